/**
 * Recovery episodes: one per session in trouble, opened by the first `recovery-start` (each
 * decision announces itself again with its action) and closed by exactly one `recovery-end` —
 * recovered, skipped or gave-up. Closing also clears what the session was waiting for.
 */
import type { OrchestratorEvents, RecoveryKind } from '@opencode-orchestrator/core'
import type { Classification } from '../classification'
import type { ManagedSession } from './coordinator-types'
import type { RecoveryContext, RecoveryOps } from './recovery-context'
import type { SessionState } from './session-state'

export type Episodes = Pick<RecoveryOps, 'start' | 'end' | 'hostResumed' | 'recovered'>

export function createEpisodes(ctx: RecoveryContext): Episodes {
  const { bus, logger, policy, cancelTimer } = ctx

  const start = (
    state: SessionState,
    managed: ManagedSession,
    classification: Classification,
    details: { action: string; reason: string; attempt: number; delayMs?: number },
  ) => {
    state.episode = { missionId: managed.missionId, kind: classification.kind, classification, action: details.action }
    logger.log('info', `recovery ${details.action}: ${details.reason}`, {
      sessionId: state.sessionId,
      missionId: managed.missionId,
      kind: classification.kind,
      attempt: details.attempt,
      ...(details.delayMs === undefined ? {} : { delayMs: details.delayMs }),
    })
    bus.emit('recovery-start', {
      missionId: managed.missionId,
      sessionId: state.sessionId,
      kind: classification.kind,
      action: details.action,
      reason: details.reason,
      attempt: details.attempt,
      ...(details.delayMs === undefined ? {} : { delayMs: details.delayMs }),
      ...(state.model === undefined ? {} : { providerId: state.model.providerId }),
    })
  }

  /** Closes the open episode; a decision without one (a skip, an immediate give-up) still gets its `recovery-end`. */
  const end = (
    state: SessionState,
    outcome: OrchestratorEvents['recovery-end']['outcome'],
    reason: string,
    fallback?: { missionId: string; kind: RecoveryKind },
  ) => {
    const episode = state.episode ?? fallback
    cancelTimer(state)
    state.episode = undefined
    state.overflow = undefined
    state.lastHostAttempt = 0
    state.awaitingOwnPrompt = false
    state.expectOwnCompact = false
    if (episode === undefined) return
    logger.log(outcome === 'gave-up' ? 'warn' : 'info', `recovery ${outcome}: ${reason}`, {
      sessionId: state.sessionId,
      missionId: episode.missionId,
      kind: episode.kind,
    })
    bus.emit('recovery-end', { missionId: episode.missionId, sessionId: state.sessionId, kind: episode.kind, outcome, reason })
  }

  /**
   * OpenCode's own recovery got the session working again (its retry is under way, or it
   * compacted and carried on): the episode ends now, as OpenCode reports it (`retry` → `busy`,
   * `compacted` → `busy`), not when the turn ends seconds later. What is still watched (the
   * host's retry count, the check that a compacted turn finishes) stays.
   */
  const hostResumed = (state: SessionState, reason: string) => {
    const episode = state.episode
    if (episode === undefined) return
    state.episode = undefined
    logger.log('info', `recovery recovered: ${reason}`, { sessionId: state.sessionId, missionId: episode.missionId, kind: episode.kind })
    bus.emit('recovery-end', { missionId: episode.missionId, sessionId: state.sessionId, kind: episode.kind, outcome: 'recovered', reason })
  }

  const recovered = (state: SessionState, reason: string) => {
    if (state.episode === undefined) return
    policy.reset(state.sessionId)
    end(state, 'recovered', reason)
  }

  return { start, end, hostResumed, recovered }
}
