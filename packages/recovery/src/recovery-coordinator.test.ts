import type { HostError, HostMessage, HostSessionStatus, ModelRef, OrchestratorEvents } from '@opencode-orchestrator/core'
import { createEventBus, createLogger, systemClock } from '@opencode-orchestrator/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createCircuitBreaker } from './circuit-breaker'
import { createFakeHost } from '../test/fake-host'
import type { FatalCause, ManagedSession } from './recovery-coordinator'
import { createRecoveryCoordinator } from './recovery-coordinator'
import { createRecoveryPolicy } from './recovery-policy'
import type { RecoveryConfig } from './recovery-config'

const MODEL: ModelRef = { providerId: 'fake', modelId: 'fake-model' }

type RecoveryEvent =
  | ({ name: 'recovery-start' } & OrchestratorEvents['recovery-start'])
  | ({ name: 'recovery-end' } & OrchestratorEvents['recovery-end'])

let counter = 0
const assistant = (sessionId: string, overrides: Partial<HostMessage> = {}): HostMessage => ({
  id: `msg_${++counter}`,
  sessionId,
  role: 'assistant',
  createdAt: counter,
  completedAt: counter,
  finish: 'stop',
  model: MODEL,
  text: 'done',
  toolCalls: [],
  ...overrides,
})

const rateLimit = (headers: Record<string, string> = {}): HostError => ({
  name: 'APIError',
  data: { message: 'Too Many Requests', statusCode: 429, isRetryable: true, responseHeaders: headers },
})

function setup(options: { config?: Partial<RecoveryConfig>; managed?: Partial<ManagedSession>; threshold?: number; hostCompacts?: boolean } = {}) {
  const fake = createFakeHost()
  const bus = createEventBus<OrchestratorEvents>({
    onListenerError: (error) => {
      throw error
    },
  })
  const events: RecoveryEvent[] = []
  bus.on('recovery-start', (payload) => events.push({ name: 'recovery-start', ...payload }))
  bus.on('recovery-end', (payload) => events.push({ name: 'recovery-end', ...payload }))
  const logs: Array<{ level: string; message: string }> = []
  const logger = createLogger((entry) => logs.push(entry))
  const breaker = createCircuitBreaker({ clock: systemClock, failureThreshold: options.threshold ?? 5, cooldownMs: 60_000 })
  const policy = createRecoveryPolicy({ random: () => 0.5, config: options.config ?? {} })
  const fatal: Array<{ missionId: string; message: string }> = []
  const fatalCauses: FatalCause[] = []
  const managed = new Map<string, ManagedSession>()
  const manage = (sessionId: string) =>
    managed.set(sessionId, {
      missionId: 'mission_1',
      role: 'worker',
      resumePrompt: () => `Carry on as the worker. Plan for ${sessionId}: step 1, step 2.`,
      ...options.managed,
    })
  manage('ses_1')
  const coordinator = createRecoveryCoordinator({
    host: fake.host,
    bus,
    clock: systemClock,
    policy,
    breaker,
    logger,
    isManaged: (sessionId) => managed.get(sessionId),
    ...(options.hostCompacts === undefined ? {} : { hostCompacts: () => options.hostCompacts === true }),
    onFatal: (missionId, message, cause) => {
      fatal.push({ missionId, message })
      fatalCauses.push(cause)
    },
    compactionWaitMs: 10_000,
    compactionMaxWaitMs: 30_000,
  })
  const session = (sessionId = 'ses_1') => ({
    status: (status: HostSessionStatus) => fake.emit({ type: 'session-status', sessionId, status }),
    error: (error: HostError) => fake.emit({ type: 'session-error', sessionId, error }),
    message: (message: HostMessage) => fake.emit({ type: 'message-update', message }),
    compact: () => fake.emit({ type: 'session-compact', sessionId }),
    /** A turn that fails with `error` after the host's own handling. */
    fail(error: HostError) {
      this.status({ type: 'busy' })
      this.message(assistant(sessionId, { error, finish: undefined }))
      this.error(error)
      this.status({ type: 'idle' })
    },
    /** A turn that answers; it starts with the echo of the prompt (OpenCode's user message). */
    succeed() {
      this.message({ ...assistant(sessionId), role: 'user', completedAt: undefined, finish: undefined })
      this.status({ type: 'busy' })
      this.message(assistant(sessionId))
      this.status({ type: 'idle' })
    },
  })
  return { ...fake, bus, events, logs, breaker, policy, fatal, fatalCauses, managed, manage, coordinator, session }
}

const summary = (events: RecoveryEvent[]) =>
  events.map((event) =>
    event.name === 'recovery-start'
      ? `start:${event.kind}:${event.action}:${event.attempt}${event.delayMs === undefined ? '' : `:${event.delayMs}`}`
      : `end:${event.kind}:${event.outcome}`,
  )

describe('createRecoveryCoordinator', () => {
  beforeEach(() => void vi.useFakeTimers({ now: 1_000_000 }))
  afterEach(() => void vi.useRealTimers())

  it('never touches sessions outside a mission', async () => {
    const test = setup()
    const other = test.session('ses_user')
    other.status({ type: 'retry', attempt: 1, message: 'Too Many Requests', nextAt: Date.now() + 2000 })
    other.fail(rateLimit())
    other.fail({ name: 'ProviderAuthError', data: { providerID: 'fake', message: 'bad key' } })
    await vi.runAllTimersAsync()
    expect(test.events).toEqual([])
    expect(test.prompts).toEqual([])
    expect(test.fatal).toEqual([])
    expect(test.breaker.state('fake')).toBe('closed')
  })

  it('waits while OpenCode retries (once per attempt); each retry ends when OpenCode reports the session busy again', async () => {
    const test = setup()
    const s = test.session()
    s.status({ type: 'busy' })
    s.message({ ...assistant('ses_1'), completedAt: undefined, finish: undefined })
    s.status({ type: 'retry', attempt: 1, message: 'Too Many Requests', nextAt: Date.now() + 2000 })
    s.status({ type: 'retry', attempt: 1, message: 'Too Many Requests', nextAt: Date.now() + 2000 })
    expect(summary(test.events)).toEqual(['start:rate-limit:host-retry:1:2000'])
    s.status({ type: 'busy' })
    // The retry is under way: the episode is over now, not when the turn ends (the toast stops saying "1 retrying").
    expect(summary(test.events)).toEqual(['start:rate-limit:host-retry:1:2000', 'end:rate-limit:recovered'])
    s.status({ type: 'retry', attempt: 2, message: 'Too Many Requests', nextAt: Date.now() + 4000 })
    s.status({ type: 'busy' })
    const atBusy = summary(test.events)
    s.message(assistant('ses_1'))
    s.status({ type: 'idle' })
    await vi.runAllTimersAsync()
    expect(atBusy).toEqual(['start:rate-limit:host-retry:1:2000', 'end:rate-limit:recovered', 'start:rate-limit:host-retry:2:4000', 'end:rate-limit:recovered'])
    expect(summary(test.events)).toEqual(atBusy)
    expect(test.events[0]).toMatchObject({ missionId: 'mission_1', sessionId: 'ses_1' })
    expect(test.prompts).toEqual([])
  })

  it('keeps counting OpenCode retries after a retry ended: the give-up names all of them', async () => {
    const test = setup({ threshold: 10 })
    const s = test.session()
    s.status({ type: 'busy' })
    for (let attempt = 1; attempt <= 3; attempt++) {
      s.status({ type: 'retry', attempt, message: 'Too Many Requests', nextAt: Date.now() + 10 })
      s.status({ type: 'busy' })
    }
    s.error(rateLimit())
    s.status({ type: 'idle' })
    expect(test.events.at(-1)).toMatchObject({ name: 'recovery-start', action: 'retry' })
    expect(test.events.at(-1)!.reason).toContain('OpenCode gave up after 3 retries')
  })

  it('re-prompts with the role and plan after OpenCode gave up, after the backoff delay', async () => {
    // A threshold above the host's 5 retries + 1 error keeps the breaker out of this test.
    const test = setup({ threshold: 10 })
    const s = test.session()
    s.status({ type: 'busy' })
    s.message({ ...assistant('ses_1'), completedAt: undefined })
    for (let attempt = 1; attempt <= 5; attempt++) {
      s.status({ type: 'retry', attempt, message: 'Too Many Requests', nextAt: Date.now() + 10 })
    }
    s.message(assistant('ses_1', { error: rateLimit(), finish: undefined }))
    s.error(rateLimit())
    s.status({ type: 'idle' })
    const retry = test.events.at(-1)!
    expect(retry).toMatchObject({ name: 'recovery-start', action: 'retry', attempt: 1, delayMs: 2000 })
    expect(retry.reason).toContain('OpenCode gave up after 5 retries')
    await vi.advanceTimersByTimeAsync(1999)
    expect(test.prompts).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(test.prompts).toHaveLength(1)
    expect(test.prompts[0]).toMatchObject({ sessionId: 'ses_1', agent: 'worker', model: MODEL })
    expect(test.prompts[0]!.text).toContain('Carry on as the worker. Plan for ses_1: step 1, step 2.')
    expect(test.prompts[0]!.text).toContain('rate-limit')
    s.succeed()
    expect(test.events.at(-1)).toMatchObject({ name: 'recovery-end', outcome: 'recovered', kind: 'rate-limit' })
    expect(test.policy.attempts('ses_1')).toBe(0)
  })

  it('honours retry-after from the real header shape', async () => {
    const test = setup()
    test.session().fail(rateLimit({ 'retry-after': '30' }))
    expect(test.events.at(-1)).toMatchObject({ action: 'retry', delayMs: 30_000 })
    await vi.advanceTimersByTimeAsync(29_999)
    expect(test.prompts).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(test.prompts).toHaveLength(1)
  })

  it('stops after the attempt cap and says it gave up', async () => {
    const test = setup({ config: { maxAttemptsPerSession: 2 } })
    const s = test.session()
    s.fail(rateLimit())
    await vi.advanceTimersByTimeAsync(2000)
    s.fail(rateLimit())
    await vi.advanceTimersByTimeAsync(4000)
    s.fail(rateLimit())
    await vi.runAllTimersAsync()
    expect(test.prompts).toHaveLength(2)
    expect(summary(test.events)).toEqual(['start:rate-limit:retry:1:2000', 'start:rate-limit:retry:2:4000', 'end:rate-limit:gave-up'])
    expect(test.events.at(-1)!.reason).toContain('2 recovery attempts used (limit 2)')
  })

  it('auth: no retry, stops the mission with a message saying what to fix', async () => {
    const test = setup()
    test.session().fail({
      name: 'APIError',
      data: { message: 'Incorrect API key provided', statusCode: 401, isRetryable: false, responseBody: '{"error":{"code":"invalid_api_key"}}' },
    })
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(test.fatal).toEqual([
      {
        missionId: 'mission_1',
        message: "The provider 'fake' rejected the API key (401). Fix: run `opencode auth login fake` or set the key, then /task again.",
      },
    ])
    expect(summary(test.events)).toEqual(['start:auth:stop:0', 'end:auth:gave-up'])
    expect(test.events.at(-1)!.reason).toBe(test.fatal[0]!.message)
    // The session is named, so the mission can record its task as failed and tell its parent.
    expect(test.fatalCauses).toEqual([{ sessionId: 'ses_1', kind: 'auth', message: 'Incorrect API key provided' }])
  })

  it('aborted: never retried, and a pending retry is dropped', async () => {
    const test = setup()
    const s = test.session()
    s.fail(rateLimit())
    s.fail({ name: 'MessageAbortedError', data: { message: 'Aborted' } })
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(summary(test.events)).toEqual(['start:rate-limit:retry:1:2000', 'end:rate-limit:skipped'])
    expect(test.events.at(-1)!.reason).toContain('aborted')
  })

  it('a non-retryable unknown error is reported as skipped, not retried', async () => {
    const test = setup()
    test.session().fail({ name: 'ContentFilterError', data: { message: 'blocked' } })
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(summary(test.events)).toEqual(['end:unknown:skipped'])
  })

  it('drops its re-prompt when someone else prompts the session first', async () => {
    const test = setup()
    const s = test.session()
    s.fail(rateLimit())
    s.status({ type: 'busy' })
    s.message(assistant('ses_1'))
    s.status({ type: 'idle' })
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(summary(test.events)).toEqual(['start:rate-limit:retry:1:2000', 'end:rate-limit:recovered'])
  })

  it('skips the re-prompt when the mission ended meanwhile', async () => {
    const test = setup()
    test.session().fail(rateLimit())
    test.managed.delete('ses_1')
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(test.events.at(-1)).toMatchObject({ name: 'recovery-end', outcome: 'skipped' })
  })

  it('re-prompts on a fallback model when configured, never over a pinned model', async () => {
    const test = setup({ config: { fallbackModels: ['backup/model-b'] } })
    test.session().fail(rateLimit())
    await vi.runAllTimersAsync()
    expect(test.prompts[0]!.model).toEqual({ providerId: 'backup', modelId: 'model-b' })
    expect(test.events[0]).toMatchObject({ action: 'fallback', delayMs: 0 })

    const pinned = setup({ config: { fallbackModels: ['backup/model-b'] }, managed: { pinnedModel: MODEL } })
    pinned.session().fail(rateLimit())
    await vi.runAllTimersAsync()
    expect(pinned.prompts[0]!.model).toEqual(MODEL)
    expect(pinned.events[0]).toMatchObject({ action: 'retry' })
  })

  it('feeds the breaker and holds a re-prompt while the provider is open', async () => {
    const test = setup({ threshold: 2 })
    const s = test.session()
    s.status({ type: 'busy' })
    s.message({ ...assistant('ses_1'), completedAt: undefined })
    s.status({ type: 'retry', attempt: 1, message: 'Provider is overloaded', nextAt: Date.now() + 10 })
    s.fail({ name: 'APIError', data: { message: 'Overloaded', statusCode: 529, isRetryable: true } })
    expect(test.breaker.state('fake')).toBe('open')
    await vi.advanceTimersByTimeAsync(2000)
    expect(test.prompts).toEqual([])
    expect(test.events.at(-1)).toMatchObject({ action: 'wait', delayMs: 58_000 })
    await vi.advanceTimersByTimeAsync(58_000)
    expect(test.prompts).toHaveLength(1)
    test.session().succeed()
    expect(test.breaker.state('fake')).toBe('closed')
    expect(test.events.at(-1)).toMatchObject({ name: 'recovery-end', outcome: 'recovered', kind: 'overloaded' })
  })

  it('output length (OpenCode ends the turn normally with finish "length"): asks to continue once the turn is over', async () => {
    const test = setup()
    const s = test.session()
    s.status({ type: 'busy' })
    const truncated = assistant('ses_1', { finish: 'length', text: 'partial' })
    s.message(truncated)
    s.message(truncated)
    await vi.advanceTimersByTimeAsync(0)
    // Still busy: the re-prompt waits for the idle instead of folding into the running turn.
    expect(test.prompts).toEqual([])
    s.status({ type: 'busy' })
    s.status({ type: 'idle' })
    expect(test.prompts).toHaveLength(1)
    expect(test.prompts[0]!.text).toContain('output-length')
    expect(summary(test.events)).toEqual(['start:output-length:retry:1:0'])
    s.succeed()
    expect(summary(test.events).at(-1)).toBe('end:output-length:recovered')
  })

  describe('context overflow', () => {
    const overflow: HostError = {
      name: 'ContextOverflowError',
      data: { message: 'Input exceeds context window of this model', responseBody: '{}' },
    }

    it('OpenCode compacted and the work resumed: recovered without a prompt', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      const summaryMessage = assistant('ses_1', { text: 'summary of the work so far' })
      s.message(summaryMessage)
      s.compact()
      // OpenCode carries on after its compaction (captured order: compacted → busy): the episode ends here.
      s.status({ type: 'busy' })
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'end:context-overflow:recovered'])
      const resumed = assistant('ses_1', { text: 'finished the step' })
      s.message(resumed)
      test.messages.set('ses_1', [summaryMessage, resumed])
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.prompts).toEqual([])
      expect(test.summaries).toEqual([])
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'end:context-overflow:recovered'])
    })

    it('OpenCode compacted but the session went idle without resuming: re-prompts with role and plan', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      const summaryMessage = assistant('ses_1', { text: 'summary' })
      s.message(summaryMessage)
      s.compact()
      test.messages.set('ses_1', [summaryMessage])
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.prompts).toHaveLength(1)
      expect(test.prompts[0]!.text).toContain('Plan for ses_1')
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'start:context-overflow:retry:1:0'])
      s.succeed()
      expect(summary(test.events).at(-1)).toBe('end:context-overflow:recovered')
    })

    it('compaction off (error then idle): compacts through the host, then resumes', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.summaries).toEqual(['ses_1'])
      expect(test.prompts).toHaveLength(1)
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'start:context-overflow:compact:1'])
    })

    it("told the host does not compact (compaction.auto false): never announces the host's compaction", async () => {
      const test = setup({ hostCompacts: false })
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      expect(summary(test.events)).toEqual([])
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.summaries).toEqual(['ses_1'])
      expect(test.prompts).toHaveLength(1)
      expect(summary(test.events)).toEqual(['start:context-overflow:compact:1'])
    })

    it('late events of its own compaction (summary message, idle) do not count as the resumed work', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.prompts).toHaveLength(1)
      // The host delivers the summarize turn's events after the resume prompt went out.
      s.status({ type: 'busy' })
      s.message(assistant('ses_1', { text: 'summary' }))
      s.compact()
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.prompts).toHaveLength(1)
      expect(summary(test.events).at(-1)).toBe('start:context-overflow:compact:1')
      s.succeed()
      expect(summary(test.events).at(-1)).toBe('end:context-overflow:recovered')
    })

    it('its own compaction still running when summarize returns: resumes once idle, within the same attempt', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      test.statuses.ses_1 = { type: 'busy' }
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.summaries).toEqual(['ses_1'])
      expect(test.prompts).toEqual([])
      const summaryMessage = assistant('ses_1', { text: 'summary' })
      s.status({ type: 'busy' })
      s.message(summaryMessage)
      delete test.statuses.ses_1
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.prompts).toHaveLength(1)
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'start:context-overflow:compact:1'])
      s.succeed()
      expect(summary(test.events).at(-1)).toBe('end:context-overflow:recovered')
    })

    it('no compaction and no idle within the bound: checks the status, then compacts itself', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      test.statuses.ses_1 = { type: 'busy' }
      await vi.advanceTimersByTimeAsync(10_000)
      expect(test.summaries).toEqual([])
      delete test.statuses.ses_1
      await vi.advanceTimersByTimeAsync(10_000)
      expect(test.summaries).toEqual(['ses_1'])
      expect(test.prompts).toHaveLength(1)
    })

    it('OpenCode could not compact (its compaction overflowed too): gives up with a clear reason', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      s.message(assistant('ses_1', { finish: undefined }))
      s.error(overflow)
      s.message(assistant('ses_1', { finish: 'error', error: { name: 'ContextOverflowError', data: { message: 'Session too large to compact' } } }))
      s.status({ type: 'idle' })
      await vi.runAllTimersAsync()
      expect(test.summaries).toEqual([])
      expect(test.prompts).toEqual([])
      expect(summary(test.events)).toEqual(['start:context-overflow:host-compaction:0', 'end:context-overflow:gave-up'])
      expect(test.events.at(-1)!.reason).toContain('could not compact')
    })

    it('gives up when the host stays busy past the maximum wait', async () => {
      const test = setup()
      const s = test.session()
      s.status({ type: 'busy' })
      s.error(overflow)
      test.statuses.ses_1 = { type: 'busy' }
      await vi.advanceTimersByTimeAsync(30_000)
      expect(test.summaries).toEqual([])
      expect(summary(test.events).at(-1)).toBe('end:context-overflow:gave-up')
    })
  })

  it('logs and gives up when the re-prompt itself fails', async () => {
    const test = setup()
    test.host.sessions.promptAsync = async () => {
      throw new Error('connection refused')
    }
    test.session().fail(rateLimit())
    await vi.runAllTimersAsync()
    expect(test.events.at(-1)).toMatchObject({ name: 'recovery-end', outcome: 'gave-up' })
    expect(test.events.at(-1)!.reason).toContain('connection refused')
    expect(test.logs.some((entry) => entry.level === 'error' && entry.message.includes('re-prompt'))).toBe(true)
  })

  it('dispose cancels pending work, closes open recoveries and unsubscribes', async () => {
    const test = setup()
    test.session().fail(rateLimit())
    test.coordinator.dispose()
    await vi.runAllTimersAsync()
    expect(test.prompts).toEqual([])
    expect(summary(test.events)).toEqual(['start:rate-limit:retry:1:2000', 'end:rate-limit:skipped'])
    expect(test.listenerCount()).toBe(0)
  })
})
