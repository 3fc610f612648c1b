import { resolve } from 'node:path'
import { landsInside, type ShellConfinement } from './node'

/** File tools whose `filePath` is the file they write (OpenCode 1.18.33). */
const FILE_WRITERS = new Set(['write', 'edit', 'multiedit'])
/** Patch tools whose text names the files they write (`*** Update File: path`, `*** Move to: path`). */
const PATCH_WRITERS = new Set(['patch', 'apply_patch'])

const outsideRefusal = (what: string, path: string, boundary: string) =>
  `Refused: ${what} ${path}, outside this task's worktree ${boundary}. Workers write only inside their own worktree (it is merged back when the task ends); use a path inside it.`

export interface ConfinementRefusalOptions {
  /** Tool id as OpenCode names it (`bash`, `write`, `orchestrator_bg_run`, …). */
  tool: string
  args: Readonly<Record<string, unknown>>
  /** The Worker's worktree. */
  boundary: string
  confinement: ShellConfinement
}

/**
 * Why a Worker's tool call in a worktree is refused, or undefined. Backs up OpenCode's own
 * `external_directory` rule (which the session also gets) with what that rule misses: shell
 * redirections, `tee`, `git -C`, variables (docs/decisions/089). Never rewrites a path.
 */
export async function confinementRefusal({ tool, args, boundary, confinement }: ConfinementRefusalOptions): Promise<string | undefined> {
  const root = resolve(boundary)
  if (tool === 'bash' || tool === 'orchestrator_bg_run') {
    const command = typeof args['command'] === 'string' ? args['command'] : ''
    const where = tool === 'bash' ? args['workdir'] : args['cwd']
    const cwd = typeof where === 'string' && where.length > 0 ? resolve(root, where) : root
    if (!landsInside(root, cwd)) return outsideRefusal(tool === 'bash' ? 'the working directory (workdir) is' : 'the working directory (cwd) is', cwd, root)
    return confinement.check(command, { cwd, boundary: root })
  }
  if (FILE_WRITERS.has(tool)) {
    const filePath = args['filePath']
    if (typeof filePath !== 'string') return undefined
    const path = resolve(root, filePath)
    return landsInside(root, path) ? undefined : outsideRefusal(`${tool} would change`, path, root)
  }
  if (PATCH_WRITERS.has(tool)) {
    const text = typeof args['patchText'] === 'string' ? args['patchText'] : typeof args['patch'] === 'string' ? args['patch'] : ''
    for (const match of text.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)) {
      const path = resolve(root, (match[1] ?? '').trim())
      if (!landsInside(root, path)) return outsideRefusal(`${tool} would change`, path, root)
    }
  }
  return undefined
}
