import type { HostError } from './host'
import type { Task } from './task'
import type { WorkspacesEnd } from './task-workspaces'
import type { Todo } from './todo'

/** States of a mission. The last four are final. */
export type MissionState =
  | 'planning'
  | 'dispatching'
  | 'waiting'
  | 'reviewing'
  | 'sealed'
  | 'stopped'
  | 'failed'

/** Budgets a mission can exhaust. */
export type BudgetName = 'iterations' | 'wallTime' | 'childSessions' | 'depth' | 'breadth' | 'tokens' | 'cost'

/** Kinds of recovery, as classified by the recovery package. */
export type RecoveryKind =
  | 'rate-limit'
  | 'overloaded'
  | 'server'
  | 'context-overflow'
  | 'output-length'
  | 'auth'
  | 'aborted'
  | 'tool-history'
  | 'unknown'

/**
 * Every event the orchestrator emits, by name. Names are noun-verb.
 * Payloads are plain data so they can be logged, journaled and sent as JSON.
 */
export type OrchestratorEvents = {
  'task-queue': { task: Task }
  'task-start': { task: Task }
  'task-end': { task: Task }
  'mission-start': { missionId: string; rootSessionId: string; goal: string }
  'mission-transition': { missionId: string; from: MissionState; to: MissionState; reason?: string }
  'mission-continue': { missionId: string; iteration: number; reason: string }
  'mission-wake': { missionId: string; sessionId: string; taskIds: string[] }
  'mission-seal': { missionId: string; todos: Todo[] }
  /** `by`: who stopped it — `user` (a command, Esc) or `orchestrator` (its loop, a budget, a guard). */
  'mission-stop': { missionId: string; reason: string; budget?: BudgetName; by?: 'user' | 'orchestrator' }
  'mission-fail': { missionId: string; reason: string; error?: HostError }
  /** The worktrees of an ended mission were finished: where its result landed and what was left. After the seal, stop or fail. */
  'mission-workspaces-end': { missionId: string; outcome: 'sealed' | 'stopped' | 'failed'; end: WorkspacesEnd }
  'todo-update': { missionId: string; todos: Todo[] }
  'budget-exceed': { missionId: string; budget: BudgetName; limit: number; value: number }
  'recovery-start': {
    missionId?: string
    sessionId: string
    kind: RecoveryKind
    /** What recovery does now: `wait`, `retry`, `compact`, `fallback`, `stop`. */
    action: string
    reason: string
    attempt: number
    delayMs?: number
    /** Provider of the failing session's model, when known (named in the notice). */
    providerId?: string
  }
  'recovery-end': {
    missionId?: string
    sessionId: string
    kind: RecoveryKind
    outcome: 'recovered' | 'gave-up' | 'skipped'
    reason: string
  }
}

export type OrchestratorEventName = keyof OrchestratorEvents & string
