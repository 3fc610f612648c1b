/**
 * The continuation loop: when the root session (the Commander) ends a turn, read that turn, count
 * it toward stagnation, then wake the root with ended tasks' results or ask the continuation
 * policy whether to continue, wait (cooldown, paused by the user), seal or stop the mission.
 */
import type { ContinuationDecision } from '../continuation'
import type { HostMessage } from '../host'
import { isMissionFinal } from '../mission'
import type { EngineContext, EngineOps } from './engine-context'
import { liveTasks, progressKeyOf, type MissionRuntime } from './mission-runtime'
import { MESSAGE_WINDOW, finishedTurnOf, isTurnFinished, lastAssistant } from './turns'

export interface ContinuationLoop {
  evaluate: EngineOps['evaluate']
  checkRoot: EngineOps['checkRoot']
  recheckRoot: EngineOps['recheckRoot']
}

export function createContinuationLoop(ctx: EngineContext, ops: Pick<EngineOps, 'promptSession' | 'sendWake' | 'finish'>): ContinuationLoop {
  const { options, host, bus, clock, logger, policy, prompts, rootAgent, state, isStale, persist, schedule, cancelTimer, background, snapshot } = ctx
  const { promptSession, sendWake, finish } = ops

  /** Evaluates the mission again if the root is idle (it waited for work that just ended). */
  const recheckRoot = (runtime: MissionRuntime) => {
    if (isMissionFinal(runtime.record.state)) return
    const root = state.trackOf(runtime.record.rootSessionId)
    if (root && (root.busy || root.promptInFlight)) return
    checkRoot(runtime)
  }

  /** What the continuation policy says about the mission right now (the root is idle). */
  const decide = (runtime: MissionRuntime): ContinuationDecision => {
    const { record } = runtime
    const live = liveTasks(runtime)
    return policy({
      state: record.state,
      todos: record.todos,
      now: clock.now(),
      limits: { maxIterations: record.budgets.maxIterations, stagnationTurns: options.continuation.stagnationTurns, cooldownMs: options.continuation.cooldownMs },
      counters: {
        iterations: record.counters.iterations,
        idleTurnsWithoutProgress: record.counters.idleTurnsWithoutProgress,
        ...(record.counters.lastContinuationAt !== undefined ? { lastContinuationAt: record.counters.lastContinuationAt } : {}),
      },
      activity: {
        runningTasks: live.filter((task) => task.status === 'running').length,
        queuedTasks: live.filter((task) => task.status === 'queued').length,
        runningBackground: options.backgroundCount?.(record.id) ?? 0,
        endedTasks: record.tasks.length - live.length,
        rootBusy: false,
      },
      recent: {
        userMessage: runtime.userMessage,
        cancelled: false,
        ...(runtime.progressKeyAtContinuation !== undefined ? { progress: progressKeyOf(record) !== runtime.progressKeyAtContinuation } : {}),
      },
    })
  }

  const evaluate = (runtime: MissionRuntime, turnId: string | undefined) => {
    const { record } = runtime
    if (isMissionFinal(record.state) || runtime.heldReason !== undefined) return
    const root = state.track(runtime, record.rootSessionId)
    if (root.busy || root.promptInFlight) return
    if (turnId !== undefined && turnId !== runtime.lastEvaluatedTurnId) {
      runtime.lastEvaluatedTurnId = turnId
      const key = progressKeyOf(record)
      if (key === record.progressKey) {
        if (runtime.rootTurnAnswers === 'continuation') record.counters.idleTurnsWithoutProgress++
      } else {
        record.counters.idleTurnsWithoutProgress = 0
        record.progressKey = key
      }
    }
    const decision = decide(runtime)
    logger.log('debug', 'continuation decision', { missionId: record.id, decision })
    switch (decision.type) {
      case 'continue': {
        const text = prompts.continuation({ mission: snapshot(runtime), reason: decision.reason })
        record.counters.iterations++
        record.counters.lastContinuationAt = clock.now()
        runtime.progressKeyAtContinuation = progressKeyOf(record)
        runtime.userMessage = false
        delete record.pausedReason
        persist(runtime)
        bus.emit('mission-continue', { missionId: record.id, iteration: record.counters.iterations, reason: decision.reason })
        promptSession(runtime, record.rootSessionId, text, rootAgent)
        runtime.rootTurnAnswers = 'continuation'
        return
      }
      case 'wait': {
        if (decision.retryInMs !== undefined) {
          cancelTimer(runtime, runtime.cooldownTimer)
          runtime.cooldownTimer = schedule(runtime, Math.max(0, decision.retryInMs), () => {
            runtime.cooldownTimer = undefined
            evaluate(runtime, undefined)
          })
        } else if (runtime.userMessage && record.pausedReason !== decision.reason) {
          record.pausedReason = decision.reason
          persist(runtime)
        }
        return
      }
      case 'seal':
        return finish(runtime, 'sealed', decision.reason)
      case 'stop': {
        if (record.counters.iterations >= record.budgets.maxIterations) {
          // Like every other budget, the cap announces itself before the mission stops.
          bus.emit('budget-exceed', { missionId: record.id, budget: 'iterations', limit: record.budgets.maxIterations, value: record.counters.iterations })
          return finish(runtime, 'stopped', decision.reason, 'iterations', 'orchestrator')
        }
        return finish(runtime, 'stopped', decision.reason, undefined, 'orchestrator')
      }
    }
  }

  /** The root went idle: read its last turn, then wake or evaluate. */
  const checkRoot = (runtime: MissionRuntime, options: { adopting?: boolean } = {}) => {
    const { record } = runtime
    const entry = state.track(runtime, record.rootSessionId)
    const settle = (last: HostMessage | undefined) => {
      if (last?.error) {
        if (state.isRecovering(record.rootSessionId)) return
        if (options.adopting) return promptSession(runtime, record.rootSessionId, prompts.resume({ mission: snapshot(runtime), sessionId: record.rootSessionId, agent: rootAgent }), rootAgent)
        return // aborts and fatal errors are handled from the session-error event
      }
      if (!isTurnFinished(last)) {
        if (options.adopting) promptSession(runtime, record.rootSessionId, prompts.resume({ mission: snapshot(runtime), sessionId: record.rootSessionId, agent: rootAgent }), rootAgent)
        return
      }
      const pending = record.pendingWakes[record.rootSessionId]
      if (pending && pending.length > 0 && !liveTasks(runtime).some((task) => task.parentSessionId === record.rootSessionId)) {
        // Count the turn before waking, so a wake never hides a turn without progress.
        evaluateTurnOnly(runtime, last.id)
        return sendWake(runtime, record.rootSessionId)
      }
      evaluate(runtime, last.id)
    }
    const known = options.adopting ? undefined : finishedTurnOf(entry, record.rootSessionId)
    if (known) return settle(known)
    const activity = entry.activity
    const generation = record.generation
    background('root check', { missionId: record.id }, async () => {
      const messages = await host.sessions.messages(record.rootSessionId, { limit: MESSAGE_WINDOW })
      if (isStale(runtime, generation) || entry.activity !== activity || entry.busy) return
      settle(lastAssistant(messages))
    })
  }

  const evaluateTurnOnly = (runtime: MissionRuntime, turnId: string) => {
    if (turnId === runtime.lastEvaluatedTurnId) return
    runtime.lastEvaluatedTurnId = turnId
    const key = progressKeyOf(runtime.record)
    if (key !== runtime.record.progressKey) {
      runtime.record.counters.idleTurnsWithoutProgress = 0
      runtime.record.progressKey = key
    }
  }

  return { evaluate, checkRoot, recheckRoot }
}
