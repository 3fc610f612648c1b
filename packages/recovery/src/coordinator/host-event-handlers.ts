/**
 * The coordinator's reading of host events for managed sessions: the host's retries (`retry` →
 * `busy`), busy and idle, session errors (classified, fed to the breaker, decided by the policy),
 * assistant messages (successes, answers cut at the output limit), compactions and deletions.
 */
import { errorMessage, type HostError, type HostEvent, type HostMessage, type HostSessionStatus } from '@opencode-orchestrator/core'
import { classifyError } from '../classify-error'
import { classifyStatus } from '../classify-status'
import { messageError } from '../message-error'
import type { RecoveryContext, RecoveryOps } from './recovery-context'
import { PROVIDER_SIDE, modelText } from './session-state'

export function createHostEventHandlers(
  ctx: RecoveryContext,
  ops: Pick<RecoveryOps, 'end' | 'hostResumed' | 'recovered' | 'sendPrompt' | 'apply' | 'decide' | 'context' | 'awaitCompaction' | 'compactOurselves' | 'verifyResume'>,
): { onEvent(event: HostEvent): void } {
  const { options, policy, breaker, logger, sessions, cancelTimer } = ctx
  const { end, hostResumed, recovered, sendPrompt, apply, decide, context, awaitCompaction, compactOurselves, verifyResume } = ops

  const onStatus = (sessionId: string, status: HostSessionStatus) => {
    const managed = options.isManaged(sessionId)
    if (managed === undefined) return
    const state = sessions.stateOf(sessionId)
    if (status.type === 'retry') {
      state.hostRetrying = true
      if (status.attempt === state.lastHostAttempt) return
      state.lastHostAttempt = status.attempt
      // The host is on it: a re-prompt of ours would only queue behind its retry.
      if (state.overflow === undefined) cancelTimer(state)
      const classification = classifyStatus(status, context(state))
      if (classification.providerId !== undefined) breaker.recordFailure(classification.providerId)
      const decision = decide(state, managed, classification, { hostRetrying: true })
      apply(state, managed, classification, { ...decision, reason: `${status.message || classification.kind}; OpenCode retry ${status.attempt}. ${decision.reason}` })
      return
    }
    if (status.type === 'busy') {
      if (state.hostRetrying) {
        state.hostRetrying = false
        if (state.episode?.action === 'host-retry') hostResumed(state, `OpenCode's retry ${state.lastHostAttempt} is under way: the session is working again.`)
      }
      if (state.overflow?.phase === 'compacted' && !state.overflow.ownCompaction && state.episode?.action === 'host-compaction') {
        // Still checked when the turn ends (verifyResume): a compacted turn that stops short is re-prompted.
        hostResumed(state, 'OpenCode compacted the session and the work resumed.')
      }
      const wasIdle = !state.busy
      state.busy = true
      if (!wasIdle) return
      state.erroredThisTurn = false
      // Someone else (the mission engine, the user) prompted the session: ours would be a duplicate.
      if ((state.timer !== undefined || state.pendingPrompt !== undefined) && state.overflow === undefined) {
        cancelTimer(state)
        logger.log('info', 'session busy again before the recovery re-prompt; cancelled it', { sessionId })
      }
      return
    }
    // idle
    state.busy = false
    state.hostRetrying = false
    if (state.pendingPrompt !== undefined) {
      const { classification, model } = state.pendingPrompt
      return sendPrompt(state, managed, classification, model)
    }
    if (state.overflow?.phase === 'awaiting-compaction') {
      if (state.overflow.hostCompactionFailed) {
        return end(
          state,
          'gave-up',
          'Context overflow: OpenCode could not compact the session (still too large for the model). Split the work into smaller tasks or use a model with a larger context.',
        )
      }
      // OpenCode reports the overflow and goes idle only when it will not compact by itself.
      return compactOurselves(state)
    }
    if (state.overflow?.phase === 'compacted') return verifyResume(state, managed)
    if (state.erroredThisTurn) return
    if (state.episode !== undefined && state.timer === undefined && state.overflow === undefined && !state.awaitingOwnPrompt) {
      recovered(state, 'The session finished its turn.')
    }
    sessions.release(state)
  }

  const onError = (sessionId: string | undefined, error: HostError) => {
    if (sessionId === undefined) {
      logger.log('debug', 'session error without a session id; not recoverable', { error: error.name })
      return
    }
    const managed = options.isManaged(sessionId)
    if (managed === undefined) return
    const state = sessions.stateOf(sessionId)
    state.generation++
    const classification = classifyError(error, context(state))
    if (PROVIDER_SIDE.has(classification.kind) && classification.providerId !== undefined) {
      breaker.recordFailure(classification.providerId)
    }
    if (classification.kind === 'context-overflow' && state.overflow === undefined) {
      // OpenCode reports every overflow, then compacts by itself unless compaction is off.
      return awaitCompaction(state, managed, classification)
    }
    if (classification.kind === 'context-overflow' && state.overflow?.phase === 'awaiting-compaction') {
      // The host's compaction request overflowed too; the idle that follows settles it.
      state.overflow.hostCompactionFailed = true
      return
    }
    state.erroredThisTurn = true
    cancelTimer(state)
    state.overflow = undefined
    const hostRetries = state.lastHostAttempt
    const decision = decide(state, managed, classification)
    const prefix = hostRetries > 0 ? `OpenCode gave up after ${hostRetries} retr${hostRetries === 1 ? 'y' : 'ies'}. ` : ''
    apply(state, managed, classification, { ...decision, reason: `${prefix}${decision.reason}` })
  }

  const onMessage = (message: HostMessage) => {
    const state = sessions.get(message.sessionId) ?? (options.isManaged(message.sessionId) ? sessions.stateOf(message.sessionId) : undefined)
    if (state === undefined) return
    if (message.model !== undefined) state.model = message.model
    if (message.role !== 'assistant') {
      state.awaitingOwnPrompt = false
      return
    }
    state.lastAssistantId = message.id
    if (message.completedAt === undefined || message.error !== undefined || message.finish === undefined) return
    if (message.finish === 'length') {
      // OpenCode ends a truncated answer normally, without a session error: recovery has to notice it.
      if (state.lengthMessageId === message.id) return
      state.lengthMessageId = message.id
      const error = messageError(message)
      return error === undefined ? undefined : onError(message.sessionId, error)
    }
    if (message.finish === 'error') return
    const providerId = message.model?.providerId ?? state.model?.providerId
    if (providerId !== undefined) breaker.recordSuccess(providerId)
    // A compaction summary is not the work resuming: overflow recoveries end in verifyResume.
    if (state.overflow === undefined && state.timer === undefined && state.episode !== undefined && !state.awaitingOwnPrompt) {
      recovered(state, `The model answered again${state.model ? ` (${modelText(state.model)})` : ''}.`)
    }
  }

  const onCompact = (sessionId: string) => {
    const managed = options.isManaged(sessionId)
    if (managed === undefined) return
    const state = sessions.stateOf(sessionId)
    state.erroredThisTurn = false
    if (state.expectOwnCompact) {
      // Our own summarize: compactAndResume carries on, even when this event arrives after it resumed.
      state.expectOwnCompact = false
      return
    }
    cancelTimer(state)
    // Any compaction (overflow or the host's own threshold) can cut a session off from its plan: check it resumes.
    const classification = state.overflow?.classification
    state.overflow = {
      phase: 'compacted',
      waitedMs: 0,
      ...(classification === undefined ? {} : { classification }),
      ...(state.lastAssistantId === undefined ? {} : { summaryMessageId: state.lastAssistantId }),
    }
  }

  const onDelete = (sessionId: string) => {
    const state = sessions.get(sessionId)
    if (state === undefined) return
    end(state, 'skipped', 'The session was deleted.')
    policy.reset(sessionId)
    sessions.delete(sessionId)
  }

  const onEvent = (event: HostEvent) => {
    if (sessions.isDisposed()) return
    try {
      switch (event.type) {
        case 'session-status':
          return onStatus(event.sessionId, event.status)
        case 'session-error':
          return onError(event.sessionId, event.error)
        case 'message-update':
          return onMessage(event.message)
        case 'session-compact':
          return onCompact(event.sessionId)
        case 'session-delete':
          return onDelete(event.sessionId)
        default:
          return
      }
    } catch (error) {
      // A bug here must not break the host's event delivery to other listeners.
      logger.log('error', 'recovery failed to handle a host event', { eventType: event.type, error: errorMessage(error) })
    }
  }

  return { onEvent }
}
