/**
 * Adoption after a restart: a journaled mission is taken up again as the host now stands. A mission
 * whose root session is gone ends stale; otherwise its sessions' busy state is read from the host,
 * queued tasks are dispatched again, idle children and the idle root are checked as if their idle
 * had just arrived (an interrupted turn gets the resume prompt), and journaled wakes go out.
 */
import type { MissionRecord } from '../mission'
import { isMissionFinal } from '../mission'
import { errorMessage } from '../orchestrator-error'
import type { MissionEngineStartOptions } from './engine-types'
import type { EngineContext, EngineOps } from './engine-context'
import { liveTasks, newRuntime } from './mission-runtime'

export interface Adoption {
  adopt(record: MissionRecord, onAdopt: MissionEngineStartOptions['onAdopt']): Promise<'adopted' | 'stale' | 'ended'>
}

export function createAdoption(
  ctx: EngineContext,
  ops: Pick<EngineOps, 'finish' | 'finishWorkspaces' | 'armWallTimer' | 'dispatch' | 'checkChild' | 'maybeWake' | 'sendWake' | 'checkRoot'>,
): Adoption {
  const { options, host, logger, state, snapshot } = ctx
  const { finish, finishWorkspaces, armWallTimer, dispatch, checkChild, maybeWake, sendWake, checkRoot } = ops

  const adopt = async (record: MissionRecord, onAdopt: MissionEngineStartOptions['onAdopt']): Promise<'adopted' | 'stale' | 'ended'> => {
    if (isMissionFinal(record.state)) {
      const runtime = newRuntime(record)
      state.addMission(runtime)
      // Ended before its worktrees were finished (OpenCode went down in between): finish them now.
      if (options.workspaces && record.workspaces !== undefined && record.workspaces.fallback === undefined && record.workspaces.end === undefined) {
        const outcome = record.state === 'sealed' ? 'sealed' : record.state === 'failed' ? 'failed' : 'stopped'
        runtime.workspacesDone = finishWorkspaces(runtime, outcome)
      }
      return 'ended'
    }
    const isolated = record.tasks.flatMap((task) => (task.workspace ? [{ taskId: task.id, workspace: task.workspace, status: task.status }] : []))
    if (options.workspaces && (isolated.length > 0 || record.workspaces !== undefined)) {
      // The worktrees of its tasks go on (or are settled when their task ended while no one listened).
      await options.workspaces
        .adopt({ missionId: record.id, tasks: isolated })
        .catch((error: unknown) => logger.log('error', 'could not adopt the mission\'s worktrees; they are left as they are', { missionId: record.id, error: errorMessage(error) }))
    }
    // A host that runs sessions in other folders kept each one's folder in memory: before anything touches a
    // Worker's session again, the host boots its folder's instance (OpenCode loads our plugin there, which must
    // find its orchestrator) and learns the session's folder from the session itself.
    for (const task of record.tasks) {
      if (task.workspace === undefined || task.sessionId === undefined || (task.status !== 'running' && task.status !== 'queued')) continue
      await host.sessions.warm?.(task.workspace.path).catch((error: unknown) => logger.log('warn', 'could not warm a Worker\'s worktree after a restart', { path: task.workspace?.path, error: errorMessage(error) }))
      await host.sessions.get(task.sessionId).catch((error: unknown) => logger.log('warn', 'could not look up a Worker session after a restart', { sessionId: task.sessionId, error: errorMessage(error) }))
    }
    const root = await host.sessions.get(record.rootSessionId)
    const runtime = newRuntime(record)
    state.addMission(runtime)
    if (!root) {
      // The host deletes a session's children with it; ask rather than abort sessions that are gone.
      runtime.goneSessions.add(record.rootSessionId)
      for (const task of liveTasks(runtime)) {
        if (task.sessionId && !(await host.sessions.get(task.sessionId))) runtime.goneSessions.add(task.sessionId)
      }
      finish(runtime, 'stopped', 'stale: its root session no longer exists on the host')
      return 'stale'
    }
    state.track(runtime, record.rootSessionId)
    const statuses = await host.sessions.status()
    for (const session of record.sessions) {
      const entry = state.track(runtime, session.sessionId)
      entry.busy = (statuses[session.sessionId]?.type ?? 'idle') !== 'idle'
    }
    const rootEntry = state.track(runtime, record.rootSessionId)
    rootEntry.busy = (statuses[record.rootSessionId]?.type ?? 'idle') !== 'idle'
    runtime.lastEvaluatedTurnId = undefined
    // A mission the user paused stays paused across a restart.
    runtime.userMessage = record.pausedReason !== undefined
    if (onAdopt) {
      await onAdopt(snapshot(runtime)).catch((error: unknown) =>
        logger.log('error', 'the adoption hook failed; the mission resumes all the same', { missionId: record.id, error: errorMessage(error) }),
      )
    }
    armWallTimer(runtime)
    for (const task of record.tasks) {
      if (task.status === 'queued') dispatch(runtime, task)
      else if (task.status === 'running' && task.sessionId) {
        const entry = state.trackOf(task.sessionId)
        if (entry && !entry.busy) checkChild(runtime, task.sessionId, { adopting: true })
      }
    }
    // Wakes journaled for child sessions (a grandchild ended while its parent worked): the idle that
    // would have sent them may have come while no engine listened, and wake timers are not journaled.
    for (const parentSessionId of Object.keys(record.pendingWakes)) {
      if (parentSessionId !== record.rootSessionId) maybeWake(runtime, parentSessionId)
    }
    if (!rootEntry.busy && !liveTasks(runtime).some((task) => task.parentSessionId === record.rootSessionId)) {
      const pending = record.pendingWakes[record.rootSessionId]
      if (pending && pending.length > 0) sendWake(runtime, record.rootSessionId)
      else checkRoot(runtime, { adopting: true })
    } else maybeWake(runtime, record.rootSessionId) // re-arms the bound on how long a busy root keeps its wake waiting
    logger.log('info', 'mission adopted after restart', { missionId: record.id, state: record.state })
    return 'adopted'
  }

  return { adopt }
}
