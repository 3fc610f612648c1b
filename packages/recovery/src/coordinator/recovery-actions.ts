/**
 * What recovery does for a session once it has decided: re-prompt it (after a delay, held back
 * while the provider's circuit breaker refuses work, and never into a running turn), with a
 * fallback model, compact it and resume, stop the mission (auth), or give up — `apply` maps a
 * policy decision onto these. Async host work runs in `background`, dropped when superseded.
 */
import { errorMessage, type ModelRef } from '@opencode-orchestrator/core'
import type { Classification } from '../classification'
import type { RecoveryDecision } from '../recovery-policy'
import type { ManagedSession } from './coordinator-types'
import type { RecoveryContext, RecoveryOps } from './recovery-context'
import type { SessionState } from './session-state'

export type RecoveryActions = Pick<RecoveryOps, 'background' | 'prompt' | 'beginOwnTurn' | 'sendPrompt' | 'apply' | 'decide' | 'context'>

export function createRecoveryActions(ctx: RecoveryContext, ops: Pick<RecoveryOps, 'start' | 'end'>): RecoveryActions {
  const { options, host, clock, policy, breaker, logger, sessions, cancelTimer } = ctx
  const { start, end } = ops

  /** Runs async host work for a session; drops its result when newer events superseded it. */
  const background = (state: SessionState, what: string, work: (isCurrent: () => boolean) => Promise<void>) => {
    const generation = state.generation
    const isCurrent = () => !sessions.isDisposed() && sessions.get(state.sessionId) === state && state.generation === generation
    work(isCurrent).catch((error: unknown) => {
      logger.log('error', `recovery could not ${what}`, { sessionId: state.sessionId, error: errorMessage(error) })
      if (isCurrent()) end(state, 'gave-up', `Recovery could not ${what}: ${errorMessage(error)}`)
    })
  }

  const resumeText = (managed: ManagedSession, classification: Classification) =>
    [
      `[orchestrator] Recovery: your previous turn failed (${classification.kind}${classification.message ? `: ${classification.message.slice(0, 200)}` : ''}) and was not completed.`,
      managed.resumePrompt(),
    ].join('\n\n')

  const prompt = async (state: SessionState, managed: ManagedSession, classification: Classification, model?: ModelRef) => {
    const chosen = model ?? state.model
    await host.sessions.promptAsync({
      sessionId: state.sessionId,
      text: resumeText(managed, classification),
      agent: managed.role,
      ...(chosen === undefined ? {} : { model: chosen }),
    })
  }

  /** Re-prompts after `delayMs`, holding back while the provider's breaker refuses work. */
  const schedulePrompt = (state: SessionState, classification: Classification, delayMs: number, model?: ModelRef) => {
    cancelTimer(state)
    state.timer = clock.setTimeout(() => {
      state.timer = undefined
      if (sessions.isDisposed()) return
      const managed = options.isManaged(state.sessionId)
      if (managed === undefined) return end(state, 'skipped', 'The session no longer belongs to an active mission.')
      const providerId = (model ?? state.model)?.providerId
      const gate = breaker.gate(providerId === undefined ? {} : { providerId })
      if (!gate.allowed) {
        start(state, managed, classification, { action: 'wait', reason: gate.reason, attempt: policy.attempts(state.sessionId), delayMs: gate.retryInMs })
        return schedulePrompt(state, classification, Math.max(1, gate.retryInMs), model)
      }
      // A prompt into a running turn would be folded into it: send once the turn is over.
      if (state.busy) {
        state.pendingPrompt = { classification, ...(model === undefined ? {} : { model }) }
        return
      }
      sendPrompt(state, managed, classification, model)
    }, delayMs)
  }

  /** Our own prompt starts a new turn and makes the session busy: that busy is not someone else steering it. */
  const beginOwnTurn = (state: SessionState) => {
    state.busy = true
    state.erroredThisTurn = false
    state.awaitingOwnPrompt = true
  }

  const sendPrompt = (state: SessionState, managed: ManagedSession, classification: Classification, model?: ModelRef) => {
    state.pendingPrompt = undefined
    state.generation++
    beginOwnTurn(state)
    background(state, 're-prompt the session', async () => prompt(state, managed, classification, model))
  }

  /** Compacts the session through the host, then resumes it (unless the host already carried on). */
  const compactAndResume = (state: SessionState, managed: ManagedSession, classification: Classification) => {
    state.overflow = { phase: 'compacting', classification, waitedMs: 0 }
    state.expectOwnCompact = true
    state.generation++
    background(state, 'compact the session', async (isCurrent) => {
      await host.sessions.summarize(state.sessionId, state.model)
      if (!isCurrent()) return
      const status = (await host.sessions.status())[state.sessionId]
      if (!isCurrent()) return
      if (status !== undefined && status.type !== 'idle') {
        // Still busy: resume once it is idle.
        state.overflow = {
          phase: 'compacted',
          classification,
          ownCompaction: true,
          waitedMs: 0,
          ...(state.lastAssistantId === undefined ? {} : { summaryMessageId: state.lastAssistantId }),
        }
        return
      }
      state.overflow = undefined
      beginOwnTurn(state)
      await prompt(state, managed, classification)
    })
  }

  const apply = (state: SessionState, managed: ManagedSession, classification: Classification, decision: RecoveryDecision) => {
    const fallbackEnd = { missionId: managed.missionId, kind: classification.kind }
    switch (decision.action) {
      case 'none':
        return end(state, 'skipped', decision.reason, fallbackEnd)
      case 'give-up':
        return end(state, 'gave-up', decision.reason, fallbackEnd)
      case 'wait-for-host':
        return start(state, managed, classification, { action: 'host-retry', reason: decision.reason, attempt: state.lastHostAttempt, delayMs: decision.delayMs })
      case 'stop': {
        start(state, managed, classification, { action: 'stop', reason: decision.reason, attempt: policy.attempts(state.sessionId) })
        try {
          options.onFatal(managed.missionId, decision.userMessage, {
            sessionId: state.sessionId,
            kind: classification.kind,
            ...(classification.message ? { message: classification.message } : {}),
          })
        } catch (error) {
          logger.log('error', 'onFatal threw', { missionId: managed.missionId, error: errorMessage(error) })
        }
        return end(state, 'gave-up', decision.userMessage)
      }
      case 'retry':
        start(state, managed, classification, { action: 'retry', reason: decision.reason, attempt: decision.attempt, delayMs: decision.delayMs })
        return schedulePrompt(state, classification, decision.delayMs)
      case 'fallback':
        start(state, managed, classification, { action: 'fallback', reason: decision.reason, attempt: decision.attempt, delayMs: decision.delayMs })
        return schedulePrompt(state, classification, decision.delayMs, decision.model)
      case 'compact-and-resume':
        start(state, managed, classification, { action: 'compact', reason: decision.reason, attempt: decision.attempt })
        return compactAndResume(state, managed, classification)
    }
  }

  const decide = (
    state: SessionState,
    managed: ManagedSession,
    classification: Classification,
    extra: { hostCompacted?: boolean; hostRetrying?: boolean } = {},
  ) =>
    policy.decide({
      sessionId: state.sessionId,
      classification,
      ...(managed.pinnedModel === undefined ? {} : { pinnedModel: managed.pinnedModel }),
      ...(state.model === undefined ? {} : { currentModel: state.model }),
      ...extra,
    })

  const context = (state: SessionState) => ({
    now: clock.now(),
    ...(state.model === undefined ? {} : { providerId: state.model.providerId, modelId: state.model.modelId }),
  })

  return { background, prompt, beginOwnTurn, sendPrompt, apply, decide, context }
}
