/**
 * The engine's read-only questions: a mission or task as a copy, the mission and role of a session,
 * and the hot-path {@link MissionEngine.missionStateOf} that copies nothing (the tool guard asks it
 * on every tool call).
 */
import type { EngineContext } from './engine-context'
import type { MissionEngine } from './engine-types'
import { sessionOf } from './mission-runtime'

export type MissionQueries = Pick<MissionEngine, 'getMission' | 'missionForSession' | 'sessionRole' | 'missionStateOf' | 'listMissions' | 'getTask'>

export function createMissionQueries(ctx: EngineContext): MissionQueries {
  const { state, snapshot } = ctx

  return {
    getMission: (missionId) => {
      const runtime = state.mission(missionId)
      return runtime ? snapshot(runtime) : undefined
    },
    missionForSession: (sessionId) => {
      const runtime = state.runtimeForSession(sessionId)
      return runtime ? snapshot(runtime) : undefined
    },
    sessionRole: (sessionId) => {
      const runtime = state.runtimeForSession(sessionId)
      const role = runtime ? sessionOf(runtime, sessionId) : undefined
      return role ? { ...role } : undefined
    },
    missionStateOf: (sessionId) => {
      const record = state.runtimeForSession(sessionId)?.record
      if (!record) return undefined
      const heldReason = state.runtimeForSession(sessionId)?.heldReason
      return { missionId: record.id, state: record.state, ...(record.end ? { endReason: record.end.reason } : {}), ...(heldReason !== undefined ? { heldReason } : {}) }
    },
    listMissions: () => [...state.missions()].map(snapshot),
    getTask: (taskId) => {
      const task = state.findTask(taskId)
      return task ? { ...task } : undefined
    },
  }
}
