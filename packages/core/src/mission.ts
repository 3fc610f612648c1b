import type { BudgetName, MissionState } from './events'
import type { ModelRef } from './host'
import type { Task } from './task'
import type { WorkspacesEnd } from './task-workspaces'
import type { Todo } from './todo'

/** Schema version of the mission journal written by this code. */
export const MISSION_JOURNAL_VERSION = 1 as const

/** Final states: nothing restarts a mission in one of these. */
export const FINAL_MISSION_STATES: ReadonlySet<MissionState> = new Set(['sealed', 'stopped', 'failed'])

export function isMissionFinal(state: MissionState): boolean {
  return FINAL_MISSION_STATES.has(state)
}

/** Role of a session inside a mission. */
export interface MissionSession {
  sessionId: string
  /** Agent running the session (`commander` for the root). */
  agent: string
  /** 0 for the root session, 1 for its children, … */
  depth: number
  /** Task the session runs; absent for the root. */
  taskId?: string
  parentSessionId?: string
}

/** Per-mission limits. 0 means unlimited for `maxWallTimeMs`, `maxTokens` and `maxCostUsd`; the counts need at least 1. */
export interface MissionBudgets {
  maxIterations: number
  maxWallTimeMs: number
  maxChildSessions: number
  maxDepth: number
  maxBreadth: number
  maxTokens: number
  maxCostUsd: number
}

export interface MissionCounters {
  /** Continuations sent. */
  iterations: number
  /** Root turns in a row that ended without todo progress. */
  idleTurnsWithoutProgress: number
  lastContinuationAt?: number
  /** Child sessions created so far. */
  childSessions: number
  /** Tokens used by every session of the mission (input + output + reasoning). */
  tokens: number
  costUsd: number
}

/** How a mission ended. */
export interface MissionEnd {
  at: number
  reason: string
  budget?: BudgetName
}

/** The durable record of one mission: exactly what the journal holds. */
export interface MissionRecord {
  version: typeof MISSION_JOURNAL_VERSION
  id: string
  rootSessionId: string
  goal: string
  state: MissionState
  createdAt: number
  updatedAt: number
  /** Bumped by every stop; work scheduled under an older generation is a no-op. */
  generation: number
  budgets: MissionBudgets
  counters: MissionCounters
  /** Fingerprint of the todos at the end of the last root turn (progress detection). */
  progressKey: string
  todos: Todo[]
  tasks: Task[]
  sessions: MissionSession[]
  /** Finished tasks whose parent has not been told yet, by parent session id. */
  pendingWakes: Record<string, string[]>
  /** Set while the loop waits for the user (they wrote to the Commander). */
  pausedReason?: string
  /** Model pinned by the user for this mission, never replaced by a fallback. */
  pinnedModel?: ModelRef
  end?: MissionEnd
  /** Worktree isolation of the mission's Workers (absent: none was tried). */
  workspaces?: MissionWorkspaces
}

/** What the journal keeps of a mission's worktrees. */
export interface MissionWorkspaces {
  /** Why the Workers share the project folder although isolation is `worktree` (told once). */
  fallback?: string
  /** How the worktrees ended: where the result landed, what was left (set after the mission ended). */
  end?: WorkspacesEnd
}

/** Read-only view handed to prompts, notices and tools. */
export type MissionSnapshot = Readonly<MissionRecord>
