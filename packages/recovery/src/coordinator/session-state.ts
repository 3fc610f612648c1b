/**
 * What recovery keeps per session (its open episode, the overflow being watched, the pending
 * re-prompt) and the one map that holds it, with the coordinator's disposed flag. The other parts
 * reach the map only through {@link SessionStates}.
 */
import type { ModelRef, RecoveryKind, TimerHandle } from '@opencode-orchestrator/core'
import type { Classification } from '../classification'

/** A recovery in progress for one session: opened by the first `recovery-start`, closed by one `recovery-end`. */
export interface Episode {
  missionId: string
  kind: RecoveryKind
  classification: Classification
  /** The `action` of the episode's latest `recovery-start`. */
  action: string
}

export interface OverflowWatch {
  /**
   * `awaiting-compaction`: the overflow was reported, the host should compact now;
   * `compacting`: recovery asked the host to compact; `compacted`: compaction done, the work should resume.
   */
  phase: 'awaiting-compaction' | 'compacting' | 'compacted'
  /** The overflow being recovered; absent when the host compacted without reporting one. */
  classification?: Classification
  waitedMs: number
  /** A second overflow arrived while waiting: the host's own compaction failed. */
  hostCompactionFailed?: boolean
  /** Recovery asked for this compaction (no auto-continue): on idle it resumes, within the same attempt. */
  ownCompaction?: boolean
  /** Last assistant message before the compaction finished (the summary): later ones are resumed work. */
  summaryMessageId?: string
}

export interface SessionState {
  sessionId: string
  /** Model of the latest message seen, for the breaker and for re-prompts. */
  model?: ModelRef
  lastAssistantId?: string
  /** The current turn reported an error: the idle that follows is not a success. */
  erroredThisTurn: boolean
  /** Last status the host reported was busy or retry. */
  busy: boolean
  /** A re-prompt whose delay has passed, waiting for the session to go idle. */
  pendingPrompt?: { classification: Classification; model?: ModelRef }
  /** Assistant message already handled as cut off at the output limit (the host repeats updates). */
  lengthMessageId?: string
  /**
   * Recovery sent a prompt whose user message the host has not echoed yet: completions and
   * idles seen before it are leftovers of earlier work (a compaction summary), not its success.
   */
  awaitingOwnPrompt: boolean
  /** Recovery asked the host to compact and its `session-compact` has not arrived yet (it may come late). */
  expectOwnCompact: boolean
  /** Host retry attempt last reported, so repeated status events count once. */
  lastHostAttempt: number
  /** The last status the host reported was `retry`: the `busy` that follows is its retry under way. */
  hostRetrying: boolean
  episode?: Episode
  overflow?: OverflowWatch
  timer?: TimerHandle
  /** Bumped by every event that supersedes pending async work for the session. */
  generation: number
}

export const PROVIDER_SIDE: ReadonlySet<RecoveryKind> = new Set(['rate-limit', 'overloaded', 'server'])

export const modelText = (model: ModelRef) => `${model.providerId}/${model.modelId}`

/** Index of the last element matching `predicate`, or −1. */
export function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (predicate(items[index]!)) return index
  return -1
}

export interface SessionStates {
  /** The session's state, created on first use. */
  stateOf(sessionId: string): SessionState
  get(sessionId: string): SessionState | undefined
  delete(sessionId: string): void
  values(): IterableIterator<SessionState>
  clear(): void
  /** Drops the state of a session with nothing in flight, so finished sessions do not pile up. */
  release(state: SessionState): void
  isDisposed(): boolean
  markDisposed(): void
}

export function createSessionStates(): SessionStates {
  const sessions = new Map<string, SessionState>()
  let disposed = false
  return {
    stateOf: (sessionId) => {
      let state = sessions.get(sessionId)
      if (state === undefined) {
        state = { sessionId, erroredThisTurn: false, busy: false, awaitingOwnPrompt: false, expectOwnCompact: false, lastHostAttempt: 0, hostRetrying: false, generation: 0 }
        sessions.set(sessionId, state)
      }
      return state
    },
    get: (sessionId) => sessions.get(sessionId),
    delete: (sessionId) => {
      sessions.delete(sessionId)
    },
    values: () => sessions.values(),
    clear: () => sessions.clear(),
    release: (state) => {
      if (state.episode === undefined && state.overflow === undefined && state.timer === undefined && state.pendingPrompt === undefined) {
        sessions.delete(state.sessionId)
      }
    },
    isDisposed: () => disposed,
    markDisposed: () => {
      disposed = true
    },
  }
}
