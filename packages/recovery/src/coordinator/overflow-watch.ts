/**
 * Context overflow: after the host reports one, watch that it compacts the session by itself (or
 * compact it ourselves when it will not: compaction off, its own compaction overflowed, no progress
 * within `compactionWaitMs`, extended up to `compactionMaxWaitMs` while busy), then check that the
 * work resumed and finished its turn after the compaction; otherwise decide again.
 */
import type { HostMessage } from '@opencode-orchestrator/core'
import type { Classification } from '../classification'
import type { ManagedSession } from './coordinator-types'
import type { RecoveryContext, RecoveryOps } from './recovery-context'
import { findLastIndex, type SessionState } from './session-state'

export type OverflowWatching = Pick<RecoveryOps, 'awaitCompaction' | 'compactOurselves' | 'verifyResume'>

export function createOverflowWatch(
  ctx: RecoveryContext,
  ops: Pick<RecoveryOps, 'start' | 'end' | 'recovered' | 'background' | 'prompt' | 'beginOwnTurn' | 'apply' | 'decide'>,
): OverflowWatching {
  const { options, host, clock, compactionWaitMs, compactionMaxWaitMs, messageWindow, sessions, cancelTimer } = ctx
  const { start, end, recovered, background, prompt, beginOwnTurn, apply, decide } = ops

  const awaitCompaction = (state: SessionState, managed: ManagedSession, classification: Classification) => {
    state.overflow = { phase: 'awaiting-compaction', classification, waitedMs: 0 }
    if (options.hostCompacts?.() === false) {
      // The host only reports the overflow and goes idle; the idle (or the timer) starts our compaction.
      armCompactionTimer(state)
      return
    }
    // No delay and no attempt: recovery only watches here; OpenCode compacts (typically within
    // milliseconds) and carries on by itself, or goes idle when it will not.
    start(state, managed, classification, {
      action: 'host-compaction',
      reason: 'Context overflow: waiting for OpenCode to compact the session by itself.',
      attempt: 0,
    })
    armCompactionTimer(state)
  }

  const armCompactionTimer = (state: SessionState) => {
    cancelTimer(state)
    state.timer = clock.setTimeout(() => {
      state.timer = undefined
      const watch = state.overflow
      if (sessions.isDisposed() || watch?.phase !== 'awaiting-compaction') return
      watch.waitedMs += compactionWaitMs
      background(state, 'read the session status', async (isCurrent) => {
        const status = (await host.sessions.status())[state.sessionId]
        if (!isCurrent() || state.overflow !== watch) return
        if (status === undefined || status.type === 'idle') return compactOurselves(state)
        if (watch.waitedMs >= compactionMaxWaitMs) {
          return end(state, 'gave-up', `Context overflow: OpenCode neither compacted the session nor stopped within ${Math.round(compactionMaxWaitMs / 1000)} s.`)
        }
        armCompactionTimer(state)
      })
    }, compactionWaitMs)
  }

  /** The host reported the overflow but will not compact (compaction off, or it failed). */
  const compactOurselves = (state: SessionState) => {
    const managed = options.isManaged(state.sessionId)
    if (managed === undefined) return end(state, 'skipped', 'The session no longer belongs to an active mission.')
    const classification = state.overflow?.classification ?? state.episode?.classification
    if (classification === undefined) return
    cancelTimer(state)
    apply(state, managed, classification, decide(state, managed, classification))
  }

  /** Idle after the host compacted: did the interrupted work resume and finish its turn? */
  const verifyResume = (state: SessionState, managed: ManagedSession) => {
    const watch = state.overflow
    if (watch === undefined) return
    if (watch.ownCompaction && watch.classification !== undefined) {
      // Our summarize runs without auto-continue: once it is idle, send the resume it was for.
      // (OpenCode's status can still read busy for a moment after summarize returned.)
      const classification = watch.classification
      state.overflow = undefined
      beginOwnTurn(state)
      state.generation++
      return background(state, 're-prompt the session', async () => prompt(state, managed, classification))
    }
    background(state, 'check that the work resumed', async (isCurrent) => {
      const messages = await host.sessions.messages(state.sessionId, { limit: messageWindow })
      if (!isCurrent() || state.overflow !== watch) return
      const summaryIndex = watch.summaryMessageId === undefined ? -1 : messages.findIndex((message) => message.id === watch.summaryMessageId)
      const lastIndex = findLastIndex(messages, (message) => message.role === 'assistant')
      const last: HostMessage | undefined = messages[lastIndex]
      const finished =
        last !== undefined &&
        lastIndex > summaryIndex &&
        last.id !== watch.summaryMessageId &&
        last.completedAt !== undefined &&
        last.error === undefined &&
        last.finish !== 'tool-calls'
      if (finished) {
        state.overflow = undefined
        recovered(state, 'The session resumed after compaction and finished its turn.')
        sessions.release(state)
        return
      }
      const classification: Classification = watch.classification ?? {
        kind: 'context-overflow',
        retryable: false,
        hostHandling: 'compact',
        errorName: 'SessionCompaction',
        message: 'The session was compacted and went idle without finishing its turn.',
      }
      state.overflow = undefined
      apply(state, managed, classification, decide(state, managed, classification, { hostCompacted: true }))
    })
  }

  return { awaitCompaction, compactOurselves, verifyResume }
}
