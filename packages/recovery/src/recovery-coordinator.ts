import { assertNumber } from './recovery-config'
import type { CreateRecoveryCoordinatorOptions, RecoveryCoordinator } from './coordinator/coordinator-types'
import { createEpisodes } from './coordinator/episodes'
import { createHostEventHandlers } from './coordinator/host-event-handlers'
import { createOverflowWatch } from './coordinator/overflow-watch'
import { createRecoveryActions } from './coordinator/recovery-actions'
import type { RecoveryContext, RecoveryOps } from './coordinator/recovery-context'
import { createSessionStates } from './coordinator/session-state'

export type { CreateRecoveryCoordinatorOptions, FatalCause, ManagedSession, RecoveryCoordinator } from './coordinator/coordinator-types'

/**
 * Watches host events for sessions that belong to a mission and recovers them:
 * waits while the host retries by itself, re-prompts (with the role and plan restated)
 * when the host gave up, makes sure work resumes after a context-overflow compaction
 * (compacting itself when the host did not), stops the mission on auth errors, and
 * never retries an aborted turn. Every decision is a `recovery-start` / `recovery-end` event.
 *
 * Sessions for which `isManaged` returns `undefined` are never touched.
 *
 * @example
 * const coordinator = createRecoveryCoordinator({ host, bus, clock, policy, breaker, logger,
 *   isManaged: (id) => engine.sessionRole(id), onFatal: (missionId, text) => engine.stopMission(missionId, { reason: text }) })
 */
export function createRecoveryCoordinator(options: CreateRecoveryCoordinatorOptions): RecoveryCoordinator {
  const { host, bus, clock, policy, breaker } = options
  const logger = options.logger.child({ component: 'recovery' })
  const compactionWaitMs = assertNumber('compactionWaitMs', options.compactionWaitMs ?? 30_000, { min: 1 })
  const compactionMaxWaitMs = assertNumber('compactionMaxWaitMs', options.compactionMaxWaitMs ?? 600_000, { min: compactionWaitMs })
  const messageWindow = assertNumber('messageWindow', options.messageWindow ?? 20, { min: 1, integer: true })
  const sessions = createSessionStates()
  const ctx: RecoveryContext = {
    options,
    host,
    bus,
    clock,
    policy,
    breaker,
    logger,
    compactionWaitMs,
    compactionMaxWaitMs,
    messageWindow,
    sessions,
    cancelTimer: (state) => {
      if (state.timer !== undefined) clock.clearTimeout(state.timer)
      state.timer = undefined
      state.pendingPrompt = undefined
    },
  }
  // The parts call each other in cycles (a decision re-prompts, a failed re-prompt ends the episode...):
  // these late-bound entries reach the part that owns the function at call time.
  const ops: RecoveryOps = {
    start: (...args) => episodes.start(...args),
    end: (...args) => episodes.end(...args),
    hostResumed: (...args) => episodes.hostResumed(...args),
    recovered: (...args) => episodes.recovered(...args),
    background: (...args) => actions.background(...args),
    prompt: (...args) => actions.prompt(...args),
    beginOwnTurn: (...args) => actions.beginOwnTurn(...args),
    sendPrompt: (...args) => actions.sendPrompt(...args),
    apply: (...args) => actions.apply(...args),
    decide: (...args) => actions.decide(...args),
    context: (...args) => actions.context(...args),
    awaitCompaction: (...args) => overflow.awaitCompaction(...args),
    compactOurselves: (...args) => overflow.compactOurselves(...args),
    verifyResume: (...args) => overflow.verifyResume(...args),
  }
  const episodes = createEpisodes(ctx)
  const actions = createRecoveryActions(ctx, ops)
  const overflow = createOverflowWatch(ctx, ops)
  const { onEvent } = createHostEventHandlers(ctx, ops)

  const unsubscribe = host.subscribe(onEvent)

  return {
    dispose() {
      if (sessions.isDisposed()) return
      unsubscribe()
      for (const state of sessions.values()) episodes.end(state, 'skipped', 'Recovery was shut down.')
      sessions.clear()
      sessions.markDisposed()
    },
  }
}
