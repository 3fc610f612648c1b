/** What to do with one more tool call of a session. */
export type StepVerdict =
  | { type: 'allow' }
  /** The turn is over its limit: refuse the call and tell the model to report. `first` is true once per turn (notice the user then). */
  | { type: 'refuse-turn'; calls: number; limit: number; first: boolean }
  /** The turn kept calling after being told to stop, or the task is over its limit: stop the task. */
  | { type: 'stop'; calls: number; limit: number; scope: 'turn' | 'task' }

export interface StepLimiterOptions {
  /** Tool calls per turn (config `steps.maxToolCallsPerTurn`). */
  maxPerTurn: number
  /** Tool calls per task, over all its turns (config `steps.maxToolCallsPerTask`). */
  maxPerTask: number
  /** Calls refused after the turn limit before the task is stopped. Default 3. */
  refusalsBeforeStop?: number
}

export interface StepLimiter {
  /** Counts a tool call of a session; `inTask` is false for the Commander's root session (no per-task limit). */
  check(sessionId: string, inTask: boolean): StepVerdict
  /** A new turn starts (a user or orchestrator message reached the session). */
  newTurn(sessionId: string): void
  forget(sessionId: string): void
}

/**
 * Step limits per session: tool calls per turn and per task. A model that never
 * ends its turn is told to report once the turn limit is reached, and stopped when
 * it keeps going; a task that used up its calls is stopped. O(1) per call.
 */
export function createStepLimiter({ maxPerTurn, maxPerTask, refusalsBeforeStop = 3 }: StepLimiterOptions): StepLimiter {
  const counts = new Map<string, { turn: number; task: number }>()
  return {
    check(sessionId, inTask) {
      const count = counts.get(sessionId) ?? { turn: 0, task: 0 }
      counts.set(sessionId, count)
      count.turn++
      count.task++
      if (inTask && count.task > maxPerTask) return { type: 'stop', calls: count.task, limit: maxPerTask, scope: 'task' }
      if (count.turn > maxPerTurn + refusalsBeforeStop) return { type: 'stop', calls: count.turn, limit: maxPerTurn, scope: 'turn' }
      if (count.turn > maxPerTurn) return { type: 'refuse-turn', calls: count.turn, limit: maxPerTurn, first: count.turn === maxPerTurn + 1 }
      return { type: 'allow' }
    },
    newTurn(sessionId) {
      const count = counts.get(sessionId)
      if (count) count.turn = 0
    },
    forget(sessionId) {
      counts.delete(sessionId)
    },
  }
}
