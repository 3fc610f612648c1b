/**
 * What the engine keeps per mission and per session while a mission lives in memory, and the
 * pure questions asked of it. The maps that index these records live in `engine-state.ts`.
 */
import type { MissionRecord } from '../mission'
import type { DispatchLease, DispatchTicket } from '../task-dispatcher'
import type { TimerHandle } from '../ports'
import { isTaskFinal, type TaskStatus } from '../task'

/** Per-session tracking, for every session of every live mission. */
export interface SessionTrack {
  missionId: string
  busy: boolean
  /** Bumped on every busy status and every prompt we send: results of older checks are discarded. */
  activity: number
  /** A prompt we sent has not shown up as busy yet. */
  promptInFlight: boolean
  /**
   * A message or an error arrived since the session's last idle. The host repeats the idle after
   * an error and after a turn whose idle came before its final message; only an idle with nothing
   * in between (OpenCode's answer to an abort of an idle session) is the user's Esc.
   */
  stirredSinceIdle: boolean
  /**
   * The session's latest assistant message as its events told it. When they show a finished
   * turn by the time the idle arrives (OpenCode sends the final text and the completed message
   * before the idle), the idle is decided at once; otherwise the messages are read from the host.
   */
  lastTurn?: { messageId: string; createdAt: number; completedAt?: number; finish?: string; failed: boolean; texts: Map<string, string> }
  /** Last tokens/cost seen per assistant message, to add deltas only. */
  usage: Map<string, { tokens: number; cost: number }>
  seenUserMessages: Set<string>
}

export interface MissionRuntime {
  record: MissionRecord
  tickets: Map<string, DispatchTicket>
  leases: Map<string, DispatchLease>
  silentTasks: Set<string>
  timers: Set<TimerHandle>
  wakeTimers: Map<string, TimerHandle>
  cooldownTimer?: TimerHandle
  wallTimer?: TimerHandle
  /** Prompts we sent to the root whose user message has not arrived yet. */
  syntheticRootMessages: number
  userMessage: boolean
  /** Set by `pauseMission`: nothing moves the mission on until it is resumed. */
  heldReason?: string
  lastEvaluatedTurnId?: string
  /**
   * What the root's latest turn answered. Only a turn that answered a continuation counts toward
   * stagnation: a turn answering a wake or the user's `/task` was not the loop asking for progress,
   * and whether the wake's news landed in that turn or the one before depended on the model's speed.
   */
  rootTurnAnswers?: 'continuation' | 'other'
  /** Progress key when the last continuation was sent (not journaled: after a restart the policy goes by the turn counter). */
  progressKeyAtContinuation?: string
  /** Settles once the aborts sent by a stop have been answered. */
  abortsDone?: Promise<void>
  /** Sessions the host deleted: a stop does not abort them (the host would only answer "no such session"). */
  goneSessions: Set<string>
  /**
   * Settlement of each task with a worktree, by task id: resolved once its work is merged, kept or
   * found unchanged (or the mission ended). A task whose todos depend on another's waits on it.
   */
  settled: Map<string, { promise: Promise<void>; resolve: () => void }>
  /** Tasks whose worktree is being merged back now: their end is reported once that is done. */
  settling: Map<string, Promise<void>>
  /** The mission's workspaces finishing after its end (merged, removed, landed). */
  workspacesDone?: Promise<void>
}

export const LIVE: ReadonlySet<TaskStatus> = new Set(['queued', 'running'])

export function progressKeyOf(record: MissionRecord): string {
  const todos = record.todos.map((todo) => `${todo.id}:${todo.status}:${todo.evidence ? 1 : 0}`).join('|')
  const ended = record.tasks.filter((task) => isTaskFinal(task)).length
  return `${todos}#${ended}`
}

/** A fresh in-memory runtime for a mission record (new, adopted or ended). */
export function newRuntime(record: MissionRecord): MissionRuntime {
  return {
    record,
    tickets: new Map(),
    leases: new Map(),
    silentTasks: new Set(),
    timers: new Set(),
    wakeTimers: new Map(),
    syntheticRootMessages: 0,
    userMessage: false,
    goneSessions: new Set(),
    settled: new Map(),
    settling: new Map(),
  }
}

export const sessionOf = (runtime: MissionRuntime, sessionId: string) => runtime.record.sessions.find((session) => session.sessionId === sessionId)
export const taskOf = (runtime: MissionRuntime, taskId: string) => runtime.record.tasks.find((task) => task.id === taskId)
/** The settlement promise of a task with a worktree, made on first ask. */
export function settledOf(runtime: MissionRuntime, taskId: string): { promise: Promise<void>; resolve: () => void } {
  let entry = runtime.settled.get(taskId)
  if (!entry) {
    let resolve = () => {}
    const promise = new Promise<void>((done) => {
      resolve = done
    })
    entry = { promise, resolve }
    runtime.settled.set(taskId, entry)
  }
  return entry
}

export const liveTasks = (runtime: MissionRuntime) => runtime.record.tasks.filter((task) => LIVE.has(task.status))
