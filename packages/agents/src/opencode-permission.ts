/** An OpenCode permission action. */
export type PermissionAction = 'allow' | 'ask' | 'deny'

/** One permission entry: an action for every pattern, or actions per pattern (e.g. bash command globs). */
export type PermissionValue = PermissionAction | Readonly<Record<string, PermissionAction>>

/**
 * An OpenCode permission block (`permission` in `opencode.json`), keyed by permission name
 * (`edit`, `bash`, `webfetch`, `task`, a tool id, or a wildcard such as `*`).
 *
 * OpenCode 1.18 turns it into rules in key order and lets the **last** matching rule win, so
 * the order of keys matters: `{ "*": "allow", "edit": "deny" }` denies edits, the reverse allows them.
 */
export type PermissionBlock = Readonly<Record<string, PermissionValue>>

/** Tool names OpenCode checks against the `edit` permission. */
export const EDIT_PERMISSION_ALIASES: readonly string[] = ['edit', 'write', 'patch', 'multiedit', 'apply_patch']

/** True when the entry lets the permission be used at all (`allow`, or `ask` and the user says yes). */
export function permissionGrants(value: PermissionValue): boolean {
  if (typeof value === 'string') return value !== 'deny'
  return Object.values(value).some((action) => action !== 'deny')
}
