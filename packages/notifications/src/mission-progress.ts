import { tallyTasks, tallyTodos } from '@opencode-orchestrator/core'
import type { MissionState, MissionTally, Task, TaskStatus, Todo } from '@opencode-orchestrator/core'

/** Counts shown in a progress notice: core's tally, the same shape every progress text is made from. */
export type ProgressCounts = MissionTally

interface TrackedTask {
  status: TaskStatus
  agent: string
  sessionId?: string
  providerId?: string
}

/**
 * Events can arrive out of order (a fast child may report its end before the start
 * was processed). A task only ever moves forward through these ranks, so a late
 * `task-start` never resurrects a finished task and nothing is counted twice.
 */
const RANK: Record<TaskStatus, number> = { queued: 0, running: 1, completed: 2, failed: 2, cancelled: 2 }

/** Live tally of one mission, fed from core events. Keyed by task and session ids, so repeats are idempotent. */
export interface MissionProgress {
  /** Records a task event; returns whether the tally changed. */
  applyTask(task: Task): boolean
  setTodos(todos: readonly Todo[]): void
  setState(state: MissionState): void
  recoveryStart(sessionId: string): void
  recoveryEnd(sessionId: string): void
  /** Provider of the model a session's task runs on, when known. */
  providerOf(sessionId: string): string | undefined
  counts(): ProgressCounts
}

export function createMissionProgress(): MissionProgress {
  const tasks = new Map<string, TrackedTask>()
  const recovering = new Set<string>()
  let todos: readonly Todo[] = []
  let state: MissionState | undefined

  return {
    applyTask(task) {
      const known = tasks.get(task.id)
      if (known !== undefined && RANK[task.status] < RANK[known.status]) return false
      if (known !== undefined && RANK[known.status] === 2) return false
      const next: TrackedTask = {
        status: task.status,
        agent: task.agent,
        sessionId: task.sessionId ?? known?.sessionId,
        providerId: task.model?.providerId ?? known?.providerId,
      }
      tasks.set(task.id, next)
      // A finished session cannot still be recovering; drop it so `retrying` never sticks.
      if (RANK[next.status] === 2 && next.sessionId !== undefined) recovering.delete(next.sessionId)
      return known === undefined || known.status !== next.status
    },
    setTodos(next) {
      todos = [...next]
    },
    setState(next) {
      state = next
    },
    recoveryStart(sessionId) {
      recovering.add(sessionId)
    },
    recoveryEnd(sessionId) {
      recovering.delete(sessionId)
    },
    providerOf(sessionId) {
      for (const task of tasks.values()) if (task.sessionId === sessionId) return task.providerId
      return undefined
    },
    counts() {
      return { state: state ?? 'planning', ...tallyTodos(todos), ...tallyTasks(tasks.values()), retrying: recovering.size, background: 0 }
    },
  }
}
