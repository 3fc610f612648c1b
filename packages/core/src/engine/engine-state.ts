/**
 * The engine's shared state, in one place: which missions live in memory, which mission each
 * session belongs to, each session's tracking, the sessions recovery holds, and the engine's
 * own started/disposed flags. The parts read and write it only through these functions.
 */
import type { MissionRecord } from '../mission'
import { OrchestratorError } from '../orchestrator-error'
import type { IdGenerator } from '../ports'
import type { Task } from '../task'
import { taskOf, type MissionRuntime, type SessionTrack } from './mission-runtime'

export interface EngineState {
  isStarted(): boolean
  markStarted(): void
  /** After dispose nothing may act (see `EngineContext.isStale`). */
  isDisposed(): boolean
  markDisposed(): void

  mission(missionId: string): MissionRuntime | undefined
  /** Every mission in memory, live or ended, in insertion order. */
  missions(): IterableIterator<MissionRuntime>
  addMission(runtime: MissionRuntime): void
  /** Drops an ended mission and everything known about its sessions (eviction). */
  forgetMission(runtime: MissionRuntime): void

  /** The mission a session belongs to (root or any descendant). */
  runtimeForSession(sessionId: string): MissionRuntime | undefined
  /** The session's tracking, if it belongs to a mission in memory. */
  trackOf(sessionId: string): SessionTrack | undefined
  /** The session's tracking, created on first use; binds the session to the mission. */
  track(runtime: MissionRuntime, sessionId: string): SessionTrack
  findTask(taskId: string): Task | undefined

  /** Remembers a journaled mission's ids so {@link freshId} never hands them out again. */
  noteJournaled(record: MissionRecord): void
  freshId(prefix: 'mission' | 'task'): string

  /** Recovery holds the session (between its `recovery-start` and `recovery-end`). */
  isRecovering(sessionId: string): boolean
  startRecovery(sessionId: string, action: string): void
  endRecovery(sessionId: string): void
  /** Recovery gave up while the session was still busy: the idle that follows fails the task with this reason. */
  noteGaveUp(sessionId: string, reason: string): void
  /** The reason recorded by {@link noteGaveUp}, removed as it is read. */
  takeGaveUp(sessionId: string): string | undefined
}

export function createEngineState(ids: IdGenerator): EngineState {
  const missions = new Map<string, MissionRuntime>()
  const missionBySession = new Map<string, string>()
  const tracks = new Map<string, SessionTrack>()
  const recovering = new Map<string, string>()
  const gaveUp = new Map<string, string>()
  /**
   * Mission and task ids found in the journal at start. A deterministic generator starts again
   * at `task_1` after a restart; handing such an id out again overwrote an adopted task (its
   * wake and result went to the wrong task) or a whole mission's journal file.
   */
  const journaledIds = new Set<string>()
  let started = false
  let disposed = false

  const findTask = (taskId: string): Task | undefined => {
    for (const runtime of missions.values()) {
      const task = taskOf(runtime, taskId)
      if (task) return task
    }
    return undefined
  }

  return {
    isStarted: () => started,
    markStarted: () => {
      started = true
    },
    isDisposed: () => disposed,
    markDisposed: () => {
      disposed = true
    },

    mission: (missionId) => missions.get(missionId),
    missions: () => missions.values(),
    addMission: (runtime) => {
      missions.set(runtime.record.id, runtime)
    },
    forgetMission: (runtime) => {
      missions.delete(runtime.record.id)
      for (const session of runtime.record.sessions) {
        missionBySession.delete(session.sessionId)
        tracks.delete(session.sessionId)
        recovering.delete(session.sessionId)
        gaveUp.delete(session.sessionId)
      }
      missionBySession.delete(runtime.record.rootSessionId)
      tracks.delete(runtime.record.rootSessionId)
    },

    runtimeForSession: (sessionId) => {
      const missionId = missionBySession.get(sessionId)
      return missionId === undefined ? undefined : missions.get(missionId)
    },
    trackOf: (sessionId) => tracks.get(sessionId),
    track: (runtime, sessionId) => {
      let entry = tracks.get(sessionId)
      if (!entry) {
        entry = { missionId: runtime.record.id, busy: false, activity: 0, promptInFlight: false, stirredSinceIdle: false, usage: new Map(), seenUserMessages: new Set() }
        tracks.set(sessionId, entry)
      }
      missionBySession.set(sessionId, runtime.record.id)
      return entry
    },
    findTask,

    noteJournaled: (record) => {
      journaledIds.add(record.id)
      for (const task of record.tasks) journaledIds.add(task.id)
    },
    freshId: (prefix) => {
      const inUse = (id: string) => journaledIds.has(id) || (prefix === 'mission' ? missions.has(id) : findTask(id) !== undefined)
      for (let attempt = 0; attempt < 1_000; attempt++) {
        const id = ids.next(prefix)
        if (!inUse(id)) return id
      }
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `The id generator returned 1000 ${prefix} ids in a row that are already in use. Give the mission engine a generator of unique ids (createRandomIds).`,
        details: { prefix },
      })
    },

    isRecovering: (sessionId) => recovering.has(sessionId),
    startRecovery: (sessionId, action) => {
      recovering.set(sessionId, action)
    },
    endRecovery: (sessionId) => {
      recovering.delete(sessionId)
    },
    noteGaveUp: (sessionId, reason) => {
      gaveUp.set(sessionId, reason)
    },
    takeGaveUp: (sessionId) => {
      const reason = gaveUp.get(sessionId)
      if (reason !== undefined) gaveUp.delete(sessionId)
      return reason
    },
  }
}
