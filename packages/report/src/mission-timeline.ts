import type { BudgetName, MissionState, TaskStatus, TodoStatus } from '@opencode-orchestrator/core'

/** Schema version of `timeline.json`. Bumped when a field changes meaning. */
export const MISSION_TIMELINE_VERSION = 1 as const

/**
 * Everything the report shows, as plain JSON. Saved as `timeline.json` beside
 * the journal so a report can be rendered again after the server is gone.
 * Times are epoch milliseconds.
 */
export interface MissionTimeline {
  version: typeof MISSION_TIMELINE_VERSION
  generatedAt: number
  /** Left edge of the time axis: the mission's start, or earlier activity. */
  start: number
  /** Right edge of the time axis: the mission's end, or the latest activity. */
  end: number
  mission: TimelineMission
  todos: TimelineTodo[]
  tasks: TimelineTask[]
  /** One lane per session of the mission, root first, in the order the sessions were created. */
  lanes: TimelineLane[]
  markers: TimelineMarker[]
  /** The mission's states over time (planning, dispatching, …), from its transitions. */
  phases: TimelinePhase[]
  /** What the report could not show and why (e.g. a session whose messages were gone). */
  notes: string[]
  /** The mission's git worktrees (isolation `worktree`): where the result went, and what was left. */
  worktrees?: TimelineWorktrees
}

export interface TimelineWorktrees {
  /** One sentence: where the mission's result landed (absent while nothing landed). */
  landing?: string
  /** Why Workers shared the project folder instead (isolation unavailable). */
  fallback?: string
  /** Worktrees and branches left behind (dirty, unmerged, or the result branch). */
  left: Array<{ branch: string; path?: string; taskId?: string; reason: string }>
}

export interface TimelineMission {
  id: string
  goal: string
  state: MissionState
  rootSessionId: string
  createdAt: number
  endedAt?: number
  endReason?: string
  /** Budget that stopped the mission, when one did. */
  endBudget?: BudgetName
  /** Continuations sent. */
  iterations: number
  /** Tokens used by every session (input + output + reasoning). */
  tokens: number
  costUsd: number
  childSessions: number
}

export interface TimelineTodo {
  id: string
  title: string
  status: TodoStatus
  dependsOn: string[]
  assigneeAgent?: string
  evidence?: { summary: string; reviewerSessionId?: string; recordedAt: number }
  note?: string
}

export interface TimelineTask {
  id: string
  agent: string
  title: string
  status: TaskStatus
  todoIds: string[]
  sessionId?: string
  createdAt: number
  startedAt?: number
  endedAt?: number
  /** `code: message` of a failed or cancelled task. */
  error?: string
  /** Start of the child's final answer. */
  result?: string
}

/** Where a lane's spans came from. */
export type TimelineLaneSource =
  /** The session's messages, read from the host. */
  | 'messages'
  /** The messages were unavailable: one span from the task's start to its end. */
  | 'task'
  /** The messages were unavailable and the session has no task (the root): one span for the mission. */
  | 'mission'

export interface TimelineLane {
  sessionId: string
  agent: string
  /** e.g. `Worker · t1: slugify module`. */
  label: string
  depth: number
  parentSessionId?: string
  taskId?: string
  source: TimelineLaneSource
  spans: TimelineSpan[]
  /** Totals over the lane's assistant messages. */
  turns: number
  toolCalls: number
  errors: number
  tokens: number
  costUsd: number
}

export type TimelineSpanKind =
  /** One assistant message: a model call and its step. */
  | 'turn'
  /** One tool call of an assistant message. */
  | 'tool'
  /** Fallback when the messages are gone: the whole task or mission. */
  | 'session'

export type TimelineSpanStatus =
  | 'ok'
  | 'error'
  /** Still running when the data was read: drawn up to the axis end. */
  | 'open'
  /** Cut off by a stop or a seal (the task was cancelled, the turn aborted): not a failure. */
  | 'cancelled'

export interface TimelineSpan {
  kind: TimelineSpanKind
  start: number
  end: number
  /** Short name: the tool, or `turn` with the finish reason. */
  label: string
  status: TimelineSpanStatus
  /** Longer text for the tooltip: model, tokens, tool input, error. Already shortened. */
  detail?: string
}

export type TimelineMarkerKind =
  | 'recovery-start'
  | 'recovery-end'
  | 'mission-continue'
  | 'mission-wake'
  | 'mission-seal'
  | 'mission-stop'
  | 'mission-fail'

export interface TimelineMarker {
  kind: TimelineMarkerKind
  at: number
  /** Session the marker belongs to; absent for mission-wide markers (seal, stop, fail). */
  sessionId?: string
  label: string
  detail?: string
}

export interface TimelinePhase {
  state: MissionState
  start: number
  end: number
}
