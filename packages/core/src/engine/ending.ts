/**
 * Ending a mission: sealed (the policy found every todo verified), stopped (the user, a budget, the
 * loop breaker) or failed (a fatal error). Live tasks are cancelled, timers cleared, the end
 * announced and journaled, and every in-flight model call of the mission aborted. Ended missions
 * beyond `retainEndedMissions` leave memory.
 */
import type { BudgetName } from '../events'
import { isMissionFinal } from '../mission'
import { errorMessage } from '../orchestrator-error'
import { describeEnd } from '../words/describe-mission'
import type { StopMissionOptions } from './engine-types'
import type { EngineContext, EngineOps } from './engine-context'
import { LIVE, liveTasks, type MissionRuntime } from './mission-runtime'

export interface Ending {
  finish: EngineOps['finish']
  finishWorkspaces(runtime: MissionRuntime, outcome: 'sealed' | 'stopped' | 'failed'): Promise<void>
  stopMission: EngineOps['stopMission']
  evictEnded: EngineOps['evictEnded']
}

export function createEnding(ctx: EngineContext, ops: Pick<EngineOps, 'settleWaiters'>): Ending {
  const { options, host, bus, clock, logger, retainEnded, state: engineState, persist, requireMission } = ctx
  const { settleWaiters } = ops

  const finish = (runtime: MissionRuntime, state: 'sealed' | 'stopped' | 'failed', reason: string, budget?: BudgetName, by: 'user' | 'orchestrator' = 'orchestrator') => {
    const { record } = runtime
    if (isMissionFinal(record.state)) return
    const previous = record.state
    record.generation++
    record.state = state
    record.end = { at: clock.now(), reason, ...(budget ? { budget } : {}) }
    delete record.pausedReason
    record.pendingWakes = {}
    for (const handle of runtime.timers) clock.clearTimeout(handle)
    runtime.timers.clear()
    runtime.wakeTimers.clear()
    runtime.cooldownTimer = undefined
    runtime.wallTimer = undefined
    const toAbort: string[] = []
    for (const task of liveTasks(runtime)) {
      if (task.sessionId) toAbort.push(task.sessionId)
      task.status = 'cancelled'
      task.endedAt = clock.now()
      task.error = { code: 'mission-ended', message: `mission ${describeEnd(state, reason)}` }
      runtime.tickets.get(task.id)?.cancel('mission ended')
      runtime.leases.get(task.id)?.release()
      bus.emit('task-end', { task: { ...task } })
    }
    // A session whose task already ended can still be in a turn the engine started (answering a
    // grandchild's wake): it belongs to the mission and stops with it.
    for (const session of record.sessions) {
      const entry = engineState.trackOf(session.sessionId)
      if (session.sessionId === record.rootSessionId || !entry || !(entry.busy || entry.promptInFlight)) continue
      if (!toAbort.includes(session.sessionId)) toAbort.push(session.sessionId)
    }
    runtime.tickets.clear()
    runtime.leases.clear()
    runtime.silentTasks.clear()
    bus.emit('mission-transition', { missionId: record.id, from: previous, to: state, reason })
    if (state === 'sealed') bus.emit('mission-seal', { missionId: record.id, todos: structuredClone(record.todos) })
    else if (state === 'stopped') bus.emit('mission-stop', { missionId: record.id, reason, ...(budget ? { budget } : {}), by })
    else bus.emit('mission-fail', { missionId: record.id, reason })
    persist(runtime)
    // Cut every in-flight model call: children first, then the root's own turn. A seal cuts the
    // children too (their tasks are cancelled; a leftover worker must not touch verified work, nor
    // spend more), but not the root, whose finished turn is what sealed the mission.
    const targets = state === 'sealed' ? toAbort : [...toAbort, record.rootSessionId]
    const aborts = targets.filter((sessionId) => !runtime.goneSessions.has(sessionId)).map((sessionId) =>
      host.sessions.abort(sessionId).catch((error: unknown) => logger.log('error', 'abort failed', { missionId: record.id, sessionId, error: errorMessage(error) })),
    )
    runtime.abortsDone = Promise.all(aborts).then(() => undefined)
    // Tasks waiting on a dependency's merge go on: nothing more will be merged for this mission.
    for (const entry of runtime.settled.values()) entry.resolve()
    if (options.workspaces && record.workspaces !== undefined && record.workspaces.fallback === undefined && record.workspaces.end === undefined) runtime.workspacesDone = finishWorkspaces(runtime, state)
    settleWaiters()
    evictEnded()
  }

  /**
   * After the end: waits for merges in flight, then removes the merged worktrees, keeps (and lists)
   * dirty or unmerged ones, and lands a sealed mission's result per `onSeal`. Never throws.
   */
  const finishWorkspaces = async (runtime: MissionRuntime, outcome: 'sealed' | 'stopped' | 'failed') => {
    const workspaces = options.workspaces
    if (!workspaces) return
    const { record } = runtime
    try {
      await Promise.all([...runtime.settling.values()])
      const end = await workspaces.finish({ missionId: record.id, outcome, onSeal: options.onSeal ?? 'branch' })
      record.workspaces = { ...record.workspaces, end }
      persist(runtime)
      bus.emit('mission-workspaces-end', { missionId: record.id, outcome, end })
    } catch (error) {
      logger.log('error', 'the mission\'s worktrees could not be finished; they are left as they are', { missionId: record.id, error: errorMessage(error) })
    }
  }

  const evictEnded = () => {
    const ended = [...engineState.missions()].filter((runtime) => isMissionFinal(runtime.record.state))
    if (ended.length <= retainEnded) return
    ended.sort((a, b) => (a.record.end?.at ?? 0) - (b.record.end?.at ?? 0))
    for (const runtime of ended.slice(0, ended.length - retainEnded)) {
      engineState.forgetMission(runtime)
      for (const task of runtime.record.tasks) options.onTaskArchive?.(task)
    }
  }

  const stopMission = async (missionId: string, stop: StopMissionOptions) => {
    const runtime = requireMission(missionId)
    if (isMissionFinal(runtime.record.state)) return
    if (stop.cause) failCause(runtime, stop.cause)
    finish(runtime, stop.outcome ?? 'stopped', stop.reason, stop.budget, stop.by ?? 'user')
    await runtime.abortsDone
  }

  /** Records the task of the session that ended the mission as failed; no wake (the mission is ending). */
  const failCause = (runtime: MissionRuntime, cause: NonNullable<StopMissionOptions['cause']>) => {
    const task = runtime.record.tasks.find((item) => item.sessionId === cause.sessionId && LIVE.has(item.status))
    if (!task) return
    task.status = 'failed'
    task.endedAt = clock.now()
    task.error = { ...cause.error }
    runtime.tickets.get(task.id)?.cancel('task failed')
    runtime.tickets.delete(task.id)
    runtime.leases.get(task.id)?.release()
    runtime.leases.delete(task.id)
    runtime.silentTasks.delete(task.id)
    bus.emit('task-end', { task: { ...task } })
  }

  return { finish, finishWorkspaces, stopMission, evictEnded }
}
