/**
 * The engine's commands: start a mission, delegate work, cancel a task, stop, pause and resume a
 * mission, replace its todos. Each validates its input against the shared state, changes the
 * mission record and hands the rest to the parts (dispatch, the continuation loop, wakes, ending).
 */
import type { BudgetName } from '../events'
import { MISSION_JOURNAL_VERSION, isMissionFinal, type MissionRecord } from '../mission'
import { OrchestratorError, errorMessage } from '../orchestrator-error'
import { isTaskFinal, type Task } from '../task'
import { describeEnd } from '../words/describe-mission'
import type { EngineContext, EngineOps } from './engine-context'
import type { MissionEngine } from './engine-types'
import { liveTasks, newRuntime, progressKeyOf, sessionOf, type MissionRuntime } from './mission-runtime'

export type MissionCommands = Pick<
  MissionEngine,
  'startMission' | 'delegate' | 'cancelTask' | 'stopMission' | 'expectOwnRootMessage' | 'wakeParentOnEnd' | 'resumeMission' | 'pauseMission' | 'recheck' | 'setTodos'
>

export function createMissionCommands(
  ctx: EngineContext,
  ops: Pick<EngineOps, 'promptSession' | 'dispatch' | 'endTask' | 'maybeWake' | 'evaluate' | 'recheckRoot' | 'stopMission' | 'exceed' | 'armWallTimer'>,
): MissionCommands {
  const { options, host, bus, clock, logger, rootAgent, state, persist, cancelTimer, refreshState, snapshot, requireLive, requireMission, background } = ctx
  const { promptSession, dispatch, endTask, maybeWake, evaluate, recheckRoot, stopMission, exceed, armWallTimer } = ops

  /**
   * While the Planner plans: worktrees for the first Workers, and the host's instance booted in each
   * (OpenCode spends about a second on a new folder), so isolation does not slow the fan-out.
   */
  const warmWorktrees = (runtime: MissionRuntime) => {
    const { workspaces, warmWorktrees: count = 0 } = options
    if (!workspaces?.warm || count <= 0 || (options.isolation ?? 'worktree') === 'none') return
    const { record } = runtime
    background('worktree warm-up', { missionId: record.id }, async () => {
      const availability = await workspaces.availability()
      if (!availability.available || isMissionFinal(record.state)) return
      // Journaled before the worktrees exist: a mission ending meanwhile still removes them.
      record.workspaces ??= {}
      persist(runtime)
      const paths = (await workspaces.warm?.({ missionId: record.id, count })) ?? []
      await Promise.all(paths.map((path) => host.sessions.warm?.(path).catch((error: unknown) => logger.log('warn', 'the host did not warm a worktree', { path, error: errorMessage(error) }))))
      logger.log('info', 'worktrees warmed', { missionId: record.id, count: paths.length })
    })
  }

  return {
    startMission(start) {
      if (!state.isStarted()) {
        // Nothing would listen to the host: the mission would sit in planning forever.
        throw new OrchestratorError({ code: 'invalid-argument', message: 'Call start() on the mission engine before startMission(): it subscribes to the host and adopts journaled missions.' })
      }
      const existing = state.runtimeForSession(start.rootSessionId)
      if (existing && !isMissionFinal(existing.record.state)) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: `A mission (${existing.record.id}) is already running in this session; stop it before starting another one.`,
          details: { missionId: existing.record.id },
        })
      }
      const now = clock.now()
      const record: MissionRecord = {
        version: MISSION_JOURNAL_VERSION,
        id: state.freshId('mission'),
        rootSessionId: start.rootSessionId,
        goal: start.goal,
        state: 'planning',
        createdAt: now,
        updatedAt: now,
        generation: 0,
        budgets: { ...options.budgets, ...start.budgets },
        counters: { iterations: 0, idleTurnsWithoutProgress: 0, childSessions: 0, tokens: 0, costUsd: 0 },
        progressKey: '',
        todos: [],
        tasks: [],
        sessions: [{ sessionId: start.rootSessionId, agent: rootAgent, depth: 0 }],
        pendingWakes: {},
        ...(start.pinnedModel ? { pinnedModel: start.pinnedModel } : {}),
      }
      if (existing) state.removeMission(existing.record.id)
      const runtime = newRuntime(record)
      state.addMission(runtime)
      const root = state.track(runtime, start.rootSessionId)
      root.seenUserMessages.clear()
      record.progressKey = progressKeyOf(record)
      armWallTimer(runtime)
      persist(runtime)
      bus.emit('mission-start', { missionId: record.id, rootSessionId: start.rootSessionId, goal: start.goal })
      warmWorktrees(runtime)
      if (start.expectUserMessage) {
        runtime.syntheticRootMessages++
        root.promptInFlight = true
      }
      if (start.kickoff !== undefined) promptSession(runtime, start.rootSessionId, start.kickoff, rootAgent)
      return snapshot(runtime)
    },

    delegate(request) {
      requireLive()
      const runtime = state.runtimeForSession(request.sessionId)
      if (!runtime) {
        throw new OrchestratorError({ code: 'mission-not-found', message: `Session ${request.sessionId} is not part of a mission; only sessions of a running mission can delegate.`, details: { sessionId: request.sessionId } })
      }
      const { record } = runtime
      if (isMissionFinal(record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `The mission has ended (${describeEnd(record.state, record.end?.reason ?? '')}); no new work is accepted.`, details: { missionId: record.id } })
      }
      const parent = sessionOf(runtime, request.sessionId)
      const depth = (parent?.depth ?? 0) + 1
      const liveChildren = liveTasks(runtime).filter((task) => task.parentSessionId === request.sessionId).length
      const refuse = (budget: BudgetName, limit: number, value: number): never => {
        const reason = exceed(runtime, budget, limit, value)
        throw new OrchestratorError({ code: 'limit-exceeded', message: `Refused: ${reason}. The mission has stopped.`, details: { limit: budget, max: limit, value } })
      }
      if (depth > record.budgets.maxDepth) refuse('depth', record.budgets.maxDepth, depth)
      if (liveChildren + 1 > record.budgets.maxBreadth) refuse('breadth', record.budgets.maxBreadth, liveChildren + 1)
      if (record.counters.childSessions + 1 > record.budgets.maxChildSessions) refuse('childSessions', record.budgets.maxChildSessions, record.counters.childSessions + 1)
      record.counters.childSessions++
      const task: Task = {
        id: state.freshId('task'),
        missionId: record.id,
        agent: request.agent,
        title: request.title,
        prompt: request.prompt,
        todoIds: [...(request.todoIds ?? [])],
        status: 'queued',
        priority: request.priority ?? 0,
        parentSessionId: request.sessionId,
        depth,
        createdAt: clock.now(),
        ...(request.model ? { model: request.model } : {}),
        ...(request.isolation ? { isolation: request.isolation } : {}),
      }
      record.tasks.push(task)
      if (request.notifyParent === false) runtime.silentTasks.add(task.id)
      bus.emit('task-queue', { task: { ...task } })
      refreshState(runtime)
      dispatch(runtime, task)
      return { ...task }
    },

    async cancelTask(taskId, reason) {
      const task = state.findTask(taskId)
      if (!task) throw new OrchestratorError({ code: 'task-not-found', message: `No task with id '${taskId}'.`, details: { taskId } })
      const runtime = requireMission(task.missionId)
      if (isTaskFinal(task)) return
      const sessionId = task.sessionId
      endTask(runtime, task, 'cancelled', { error: { code: 'task-cancelled', message: reason } })
      if (sessionId) await host.sessions.abort(sessionId)
    },

    stopMission,

    expectOwnRootMessage(missionId) {
      const runtime = state.mission(missionId)
      if (runtime && !isMissionFinal(runtime.record.state)) runtime.syntheticRootMessages++
    },

    wakeParentOnEnd(taskId) {
      const task = state.findTask(taskId)
      if (task) state.mission(task.missionId)?.silentTasks.delete(taskId)
    },

    resumeMission(missionId) {
      const runtime = requireMission(missionId)
      if (isMissionFinal(runtime.record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `Mission ${missionId} has ended (${runtime.record.state}); start a new mission instead.`, details: { missionId } })
      }
      const wasHeld = runtime.heldReason !== undefined
      delete runtime.heldReason
      runtime.userMessage = false
      delete runtime.record.pausedReason
      persist(runtime)
      // Wakes that came in while the mission was held go out now.
      if (wasHeld) for (const parentSessionId of Object.keys(runtime.record.pendingWakes)) maybeWake(runtime, parentSessionId)
      evaluate(runtime, undefined)
    },

    pauseMission(missionId, reason) {
      const runtime = state.mission(missionId)
      if (!runtime || isMissionFinal(runtime.record.state) || runtime.heldReason === reason) return
      runtime.heldReason = reason
      runtime.userMessage = true
      runtime.record.pausedReason = reason
      cancelTimer(runtime, runtime.cooldownTimer)
      runtime.cooldownTimer = undefined
      logger.log('warn', 'mission paused', { missionId, reason, continuationsSent: runtime.record.counters.iterations })
      persist(runtime)
    },

    recheck(missionId) {
      const runtime = state.mission(missionId)
      if (runtime) recheckRoot(runtime)
    },

    setTodos(missionId, todos) {
      const runtime = requireMission(missionId)
      if (isMissionFinal(runtime.record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `Mission ${missionId} has ended (${runtime.record.state}); its todos are final.`, details: { missionId } })
      }
      runtime.record.todos = structuredClone([...todos])
      bus.emit('todo-update', { missionId, todos: structuredClone([...todos]) })
      refreshState(runtime)
      return snapshot(runtime)
    },
  }
}
