import type { ModelRef } from './host'
import type { IsolationMode, TaskWorkspace, WorkspaceSettlement } from './task-workspaces'

/** Lifecycle of a task. `queued` and `running` are live; the rest are final. */
export type TaskStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled'

export const FINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled'])

/** One unit of delegated work: a child session running one agent on one or more todos. */
export interface Task {
  id: string
  missionId: string
  /** Agent name, normalised to lower case. */
  agent: string
  title: string
  /** Prompt the child session receives. */
  prompt: string
  todoIds: string[]
  status: TaskStatus
  /** Higher runs first; FIFO within the same priority. Default 0. */
  priority: number
  /** Session that delegated the task. */
  parentSessionId: string
  /** Child session running the task, once started. */
  sessionId?: string
  /** Nesting depth: a task delegated by the mission's root session has depth 1. */
  depth: number
  model?: ModelRef
  createdAt: number
  startedAt?: number
  endedAt?: number
  /** Final answer of the child (last assistant text), when completed. */
  result?: string
  /** Why the task failed or was cancelled. */
  error?: { code: string; message: string }
  /** Isolation asked for this task (delegate's `isolation`); absent: the engine's default. Only writing roles are isolated. */
  isolation?: IsolationMode
  /** The task's own worktree and branch (isolation `worktree`); absent when it runs in the project folder. */
  workspace?: TaskWorkspace
  /** What became of the task's worktree when it ended: merged, unchanged, conflicted or kept (with overlaps). */
  settlement?: WorkspaceSettlement
}

export function isTaskFinal(task: Pick<Task, 'status'>): boolean {
  return FINAL_TASK_STATUSES.has(task.status)
}
