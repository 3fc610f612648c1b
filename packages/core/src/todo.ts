/**
 * The todo contract shared by the mission engine (core) and the todo-engine
 * package, which owns the operations on it (graph, markdown, policy).
 */

/** Every status a todo can have. Only `done` with Reviewer evidence counts towards a seal. */
export const TODO_STATUSES = ['pending', 'in_progress', 'done', 'failed', 'blocked', 'cancelled'] as const

export type TodoStatus = (typeof TODO_STATUSES)[number]

/** Who works on a todo. */
export interface TodoAssignee {
  agent?: string
  sessionId?: string
}

/** What the Reviewer checked before accepting a todo. */
export interface TodoEvidence {
  /** What was verified and how (commands run, files read). */
  summary: string
  /** Reviewer session that recorded it. */
  reviewerSessionId?: string
  recordedAt: number
}

export interface Todo {
  /** Stable id, survives edits of the title and reordering. */
  id: string
  title: string
  status: TodoStatus
  /** Ids of todos that must be `done` before this one can start. */
  dependsOn: string[]
  assignee?: TodoAssignee
  evidence?: TodoEvidence
  /** Free-form note, e.g. why a todo failed or was sent back. */
  note?: string
  createdAt: number
  updatedAt: number
}
