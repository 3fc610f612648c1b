import type { MissionState } from './events'
import type { Todo } from './todo'

/**
 * Everything the continuation policy may look at. The mission engine gathers it;
 * the policy (todo-engine's `decideContinuation`) is a pure function of it.
 */
export interface ContinuationInput {
  state: MissionState
  todos: readonly Todo[]
  /** Epoch ms now. */
  now: number
  limits: {
    /** Continuations allowed per mission (default 20). */
    maxIterations: number
    /** Idle turns in a row without todo progress before the mission stops (default 3). */
    stagnationTurns: number
    /** Minimum ms between two continuations when nothing progressed in between. */
    cooldownMs: number
  }
  counters: {
    /** Continuations sent so far. */
    iterations: number
    /** Idle turns in a row that changed no todo. */
    idleTurnsWithoutProgress: number
    /** Epoch ms of the last continuation, if any. */
    lastContinuationAt?: number
  }
  /** Work still in flight for this mission. */
  activity: {
    runningTasks: number
    queuedTasks: number
    runningBackground: number
    /** Delegated tasks that have ended (any outcome); lets the reason tell "no plan yet" from "work done without a plan". Default 0. */
    endedTasks?: number
    /** The root session is in a turn right now. */
    rootBusy: boolean
  }
  /** Things that happened since the last continuation. */
  recent: {
    /** A real user message reached the root session (the user is steering). */
    userMessage: boolean
    /** The mission was cancelled. */
    cancelled: boolean
    /**
     * Todo progress or an ended task since the last continuation was sent. Absent: unknown
     * (e.g. after a restart), and the policy goes by `counters.idleTurnsWithoutProgress`.
     */
    progress?: boolean
  }
}

/** What the mission engine does next. */
export type ContinuationDecision =
  | { type: 'continue'; reason: string }
  /** Do nothing now. With `retryInMs`, the engine re-evaluates after that delay. */
  | { type: 'wait'; reason: string; retryInMs?: number }
  | { type: 'seal'; reason: string }
  | { type: 'stop'; reason: string }

export type ContinuationPolicy = (input: ContinuationInput) => ContinuationDecision
