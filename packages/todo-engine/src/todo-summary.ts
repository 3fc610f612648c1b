import { TODO_STATUSES, type Todo, type TodoStatus } from '@opencode-orchestrator/core'
import { ready } from './todo-graph'

/** Counts of a todo list, per status and overall. */
export type TodoSummary = Record<TodoStatus, number> & {
  total: number
  /** Done with Reviewer evidence: the only todos that count towards a seal. */
  verified: number
  /** Pending with every dependency done: could be dispatched now. */
  ready: number
}

/** True when the todo is done and the Reviewer recorded evidence. */
export function isVerified(todo: Todo): boolean {
  return todo.status === 'done' && todo.evidence !== undefined && todo.evidence.summary.trim().length > 0
}

/**
 * True when a mission with these todos may seal: the list is not empty and every
 * todo is done with Reviewer evidence. One failed, blocked, cancelled, pending or
 * unverified todo is enough to say no.
 */
export function isSealable(todos: readonly Todo[]): boolean {
  return todos.length > 0 && todos.every(isVerified)
}

export function summarizeTodos(todos: readonly Todo[]): TodoSummary {
  const summary = Object.fromEntries(TODO_STATUSES.map((status) => [status, 0])) as Record<TodoStatus, number>
  for (const todo of todos) summary[todo.status] = (summary[todo.status] ?? 0) + 1
  return { ...summary, total: todos.length, verified: todos.filter(isVerified).length, ready: ready(todos).length }
}
