/**
 * A permission question asked by a session in a Worker's worktree. OpenCode 1.18.33 publishes it only
 * to the worktree's instance: it is not on the project's event stream, `permission.list` of the project
 * does not list it, and a reply without the worktree's directory fails with `PermissionNotFoundError`
 * (docs/opencode-worktree-facts.md). The user's TUI, attached to the project, cannot answer it, and the
 * Worker would wait for it until the mission's wall time. The orchestrator refuses it at once and says
 * so (docs/decisions/084).
 */
export interface WorktreeQuestion {
  id: string
  sessionId: string
  permission: string
  patterns: string[]
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** The question a raw bus event asks, when it is a `permission.asked`. */
export function worktreeQuestion(event: unknown): WorktreeQuestion | undefined {
  if (!isRecord(event) || event['type'] !== 'permission.asked' || !isRecord(event['properties'])) return undefined
  const properties = event['properties']
  const id = properties['id']
  const sessionId = properties['sessionID']
  const permission = properties['permission']
  if (typeof id !== 'string' || typeof sessionId !== 'string' || typeof permission !== 'string') return undefined
  const patterns = Array.isArray(properties['patterns']) ? properties['patterns'].filter((pattern): pattern is string => typeof pattern === 'string') : []
  return { id, sessionId, permission, patterns }
}

/** The notice for a refused question: what was asked, why it was refused, how to allow it. */
export function describeRefusedQuestion(question: WorktreeQuestion, worktree: string): string {
  const what = question.patterns.length > 0 ? `${question.permission} (${question.patterns.slice(0, 3).join(', ')})` : question.permission
  return `A Worker in its worktree asked for ${what}; a question from a worktree cannot reach you here, so it was refused. Allow it in your permission config (opencode.json) if Workers should do it, or use isolation "none". Worktree: ${worktree}`
}
