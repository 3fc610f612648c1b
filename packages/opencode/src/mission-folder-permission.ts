import { isAbsolute, relative, resolve, sep } from 'node:path'
import type { ProtectedFolder } from '@opencode-orchestrator/agents'

export interface MissionFolderPermissionOptions {
  /** The project directory (OpenCode's `directory`). */
  directory: string
  /** OpenCode's `worktree`: its edit tools ask for paths relative to it (`/` outside git). */
  worktree: string
  /** Config `missionDirectory`, relative to the project. */
  missionDirectory: string
}

/** `*`, `?` are wildcards to OpenCode; a folder name holding them would widen the rule. */
const escapeWildcards = (text: string) => text.replace(/[*?]/g, '?')

/**
 * The permission patterns that keep orchestrator agents out of the mission folder
 * (docs/decisions/030). `edit`: the folder's path as OpenCode's edit, write and
 * apply_patch tools ask for it, relative to the worktree. `bash`: every command line
 * that names the folder as configured (OpenCode matches each command of a line, with
 * its redirections, against the patterns).
 */
export function missionFolderPermission({ directory, worktree, missionDirectory }: MissionFolderPermissionOptions): ProtectedFolder {
  const folder = resolve(directory, missionDirectory)
  const fromWorktree = relative(worktree, folder)
  const editPath = (fromWorktree === '' || fromWorktree.startsWith(`..${sep}`) || isAbsolute(fromWorktree) ? folder : fromWorktree).split(sep).join('/')
  const configured = missionDirectory.split(/[/\\]+/).filter((segment) => segment !== '' && segment !== '.').join('/')
  return {
    editPatterns: [escapeWildcards(editPath), `${escapeWildcards(editPath)}/*`],
    bashPatterns: [`*${escapeWildcards(configured)}*`],
  }
}
