import type {
  Clock,
  EventBus,
  HostError,
  HostEvent,
  HostMessage,
  HostSessionStatus,
  HostV1,
  Logger,
  ModelRef,
  OrchestratorEvents,
  RecoveryKind,
  TimerHandle,
} from '@opencode-orchestrator/core'
import { errorMessage } from '@opencode-orchestrator/core'
import type { Classification } from './classification'
import { classifyError } from './classify-error'
import { classifyStatus } from './classify-status'
import { messageError } from './message-error'
import type { CircuitBreaker } from './circuit-breaker'
import type { RecoveryDecision, RecoveryPolicy } from './recovery-policy'
import { assertNumber } from './recovery-config'

/** What the coordinator needs to know about a session that belongs to a mission. */
export interface ManagedSession {
  missionId: string
  /** Agent role of the session (`commander`, `planner`, `worker`, `reviewer`); re-prompts run as this agent. */
  role: string
  /** Text that restates the session's role and plan; sent whenever recovery re-prompts the session. */
  resumePrompt(): string
  /** Model the user pinned for this role: a fallback never replaces it. */
  pinnedModel?: ModelRef
}

/** Where a fatal error happened. */
export interface FatalCause {
  sessionId: string
  /** The classified error, e.g. `auth`. */
  kind: RecoveryKind
  /** The host's error text, when it had one. */
  message?: string
}

export interface CreateRecoveryCoordinatorOptions {
  host: HostV1
  /** Receives `recovery-start` / `recovery-end`. */
  bus: EventBus<OrchestratorEvents>
  /** All delays run on this clock. */
  clock: Clock
  policy: RecoveryPolicy
  /** Fed with every provider failure and success seen on managed sessions. */
  breaker: CircuitBreaker
  logger: Logger
  /** Returns the mission role of a session, or `undefined` for sessions outside a mission (never touched). */
  isManaged: (sessionId: string) => ManagedSession | undefined
  /**
   * Whether the host compacts an overflowing session by itself (OpenCode's `compaction.auto`, default
   * true). When false, recovery does not announce the host's compaction: it compacts at the idle.
   */
  hostCompacts?: () => boolean
  /**
   * Called once when a mission must stop (auth errors); `userMessage` says what the user has to fix,
   * `cause` names the session whose error it was (so its task can be marked failed and its parent told).
   */
  onFatal: (missionId: string, userMessage: string, cause: FatalCause) => void
  /**
   * After a context overflow, how long to wait for the host's own compaction before checking
   * whether it will come at all, in ms (default 30 000). While the session is still busy the
   * wait is extended, up to `compactionMaxWaitMs`.
   */
  compactionWaitMs?: number
  /** Longest total wait for the host's compaction before recovery gives up, in ms (default 600 000). */
  compactionMaxWaitMs?: number
  /** Messages read to check whether work resumed after a compaction (default 20). */
  messageWindow?: number
}

export interface RecoveryCoordinator {
  /** Stops listening, cancels pending re-prompts and closes open recoveries as `skipped`. */
  dispose(): void
}

/** A recovery in progress for one session: opened by the first `recovery-start`, closed by one `recovery-end`. */
interface Episode {
  missionId: string
  kind: RecoveryKind
  classification: Classification
  /** The `action` of the episode's latest `recovery-start`. */
  action: string
}

interface OverflowWatch {
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

interface SessionState {
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

const PROVIDER_SIDE: ReadonlySet<RecoveryKind> = new Set(['rate-limit', 'overloaded', 'server'])

const modelText = (model: ModelRef) => `${model.providerId}/${model.modelId}`

/** Index of the last element matching `predicate`, or −1. */
function findLastIndex<T>(items: readonly T[], predicate: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (predicate(items[index]!)) return index
  return -1
}

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
  const sessions = new Map<string, SessionState>()
  let disposed = false

  const stateOf = (sessionId: string): SessionState => {
    let state = sessions.get(sessionId)
    if (state === undefined) {
      state = { sessionId, erroredThisTurn: false, busy: false, awaitingOwnPrompt: false, expectOwnCompact: false, lastHostAttempt: 0, hostRetrying: false, generation: 0 }
      sessions.set(sessionId, state)
    }
    return state
  }

  const cancelTimer = (state: SessionState) => {
    if (state.timer !== undefined) clock.clearTimeout(state.timer)
    state.timer = undefined
    state.pendingPrompt = undefined
  }

  /** Drops the state of a session with nothing in flight, so finished sessions do not pile up. */
  const release = (state: SessionState) => {
    if (state.episode === undefined && state.overflow === undefined && state.timer === undefined && state.pendingPrompt === undefined) {
      sessions.delete(state.sessionId)
    }
  }

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

  /** Runs async host work for a session; drops its result when newer events superseded it. */
  const background = (state: SessionState, what: string, work: (isCurrent: () => boolean) => Promise<void>) => {
    const generation = state.generation
    const isCurrent = () => !disposed && sessions.get(state.sessionId) === state && state.generation === generation
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
      if (disposed) return
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

  // ---------------------------------------------------------------- overflow

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
      if (disposed || watch?.phase !== 'awaiting-compaction') return
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
        release(state)
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

  // ---------------------------------------------------------------- events

  const onStatus = (sessionId: string, status: HostSessionStatus) => {
    const managed = options.isManaged(sessionId)
    if (managed === undefined) return
    const state = stateOf(sessionId)
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
    release(state)
  }

  const onError = (sessionId: string | undefined, error: HostError) => {
    if (sessionId === undefined) {
      logger.log('debug', 'session error without a session id; not recoverable', { error: error.name })
      return
    }
    const managed = options.isManaged(sessionId)
    if (managed === undefined) return
    const state = stateOf(sessionId)
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
    const state = sessions.get(message.sessionId) ?? (options.isManaged(message.sessionId) ? stateOf(message.sessionId) : undefined)
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
    const state = stateOf(sessionId)
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
    if (disposed) return
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

  const unsubscribe = host.subscribe(onEvent)

  return {
    dispose() {
      if (disposed) return
      unsubscribe()
      for (const state of sessions.values()) end(state, 'skipped', 'Recovery was shut down.')
      sessions.clear()
      disposed = true
    },
  }
}
