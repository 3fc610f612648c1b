/**
 * A model of how OpenCode 1.18.33 evaluates permissions, for tests: each block becomes rules
 * in key order (`write`/`patch` count as `edit`), rule sets are concatenated (built-in
 * defaults, then the global config, then the agent's own), and the LAST rule whose
 * permission and pattern match wins. Read from the shipped binary's agent and permission code.
 */
type Action = 'allow' | 'ask' | 'deny'

interface Rule {
  permission: string
  pattern: string
  action: Action
}

function wildcard(pattern: string, value: string): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${source}$`, 's').test(value)
}

function rulesOf(block: unknown): Rule[] {
  if (block === undefined) return []
  if (typeof block === 'string') return [{ permission: '*', pattern: '*', action: block as Action }]
  const rules: Rule[] = []
  for (const [key, value] of Object.entries(block as Record<string, unknown>)) {
    const permission = key === 'write' || key === 'patch' ? 'edit' : key
    if (typeof value === 'string') rules.push({ permission, pattern: '*', action: value as Action })
    else for (const [pattern, action] of Object.entries(value as Record<string, Action>)) rules.push({ permission, pattern, action })
  }
  return rules
}

/** OpenCode's built-in defaults for a custom agent: everything allowed unless configured otherwise. */
const DEFAULTS = rulesOf({ '*': 'allow', doom_loop: 'ask', question: 'deny' })

/** The action OpenCode takes for `permission` on `pattern`, given the global and the agent's permission blocks. */
export function evaluatePermission(options: {
  permission: string
  pattern?: string
  globalPermission?: unknown
  agentPermission?: unknown
}): Action {
  const permission = options.permission === 'write' || options.permission === 'patch' ? 'edit' : options.permission
  const rules = [...DEFAULTS, ...rulesOf(options.globalPermission), ...rulesOf(options.agentPermission)]
  const match = rules.findLast((rule) => wildcard(rule.permission, permission) && wildcard(rule.pattern, options.pattern ?? '*'))
  return match?.action ?? 'ask'
}
