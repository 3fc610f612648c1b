import type { Todo } from '@opencode-orchestrator/core'

/**
 * Fingerprint of the progress of a todo list. The mission engine compares it
 * between root turns: an unchanged key means the turn made no todo progress
 * (stagnation detection).
 *
 * Progress is: a todo added or removed, a status change, evidence recorded or
 * replaced. Not progress: reordering, title or note edits, dependency edits —
 * a model that only rewrites the plan text is not moving the mission forward.
 */
export function todoProgressKey(todos: readonly Todo[]): string {
  return todos
    .map((todo) => `${todo.id}=${todo.status}${todo.evidence ? `@${todo.evidence.recordedAt}` : ''}`)
    .sort()
    .join(' ')
}
