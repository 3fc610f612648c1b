import type { HostMessage, OrchestratorEvents } from '@opencode-orchestrator/core'
import { createEventBus, createLogger, systemClock } from '@opencode-orchestrator/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createFakeHost } from '../test/fake-host'
import { loadFixtures, toHostEvents } from '../test/fixtures'
import { createCircuitBreaker } from './circuit-breaker'
import { createRecoveryCoordinator } from './recovery-coordinator'
import { createRecoveryPolicy } from './recovery-policy'

/*
 * Replays the event sequences captured from a real OpenCode through the coordinator with the
 * default config, and checks every decision it announces.
 */

const SESSION = 'ses_1'
const EPOCH = 1_767_225_600_000
const MODEL = { providerId: 'fake', modelId: 'fake-model' }
// Each OpenCode retry is one episode: it opens on `retry` and closes on the `busy` that follows (the retry under way).
const hostWaits = (kind: string) => [1, 2, 3, 4, 5].flatMap((attempt) => [`start:${kind}:host-retry:${attempt}:0`, `end:${kind}:recovered`])
// OpenCode's five retries plus its final error open the breaker (threshold 5): the re-prompt waits out the cool-down.
const gaveUpAfterHostRetries = (kind: string) => [...hostWaits(kind), `start:${kind}:retry:1:2000`, `start:${kind}:wait:1:58000`]

const EXPECTED: Record<string, { events: string[]; prompts: number; summaries: number; fatal: number }> = {
  'rate-limit-retry-after-ms': { events: gaveUpAfterHostRetries('rate-limit'), prompts: 1, summaries: 0, fatal: 0 },
  'rate-limit-retry-after-seconds': { events: gaveUpAfterHostRetries('rate-limit'), prompts: 1, summaries: 0, fatal: 0 },
  'rate-limit-recovers': {
    events: ['start:rate-limit:host-retry:1:0', 'end:rate-limit:recovered', 'start:rate-limit:host-retry:2:0', 'end:rate-limit:recovered'],
    prompts: 0,
    summaries: 0,
    fatal: 0,
  },
  'server-error-500': { events: gaveUpAfterHostRetries('server'), prompts: 1, summaries: 0, fatal: 0 },
  'service-unavailable-503': { events: gaveUpAfterHostRetries('overloaded'), prompts: 1, summaries: 0, fatal: 0 },
  'overloaded-529': { events: gaveUpAfterHostRetries('overloaded'), prompts: 1, summaries: 0, fatal: 0 },
  'context-overflow-openai': {
    // Ends on the busy after `session.compacted`, not when the resumed turn ends.
    events: ['start:context-overflow:host-compaction:0', 'end:context-overflow:recovered'],
    prompts: 0,
    summaries: 0,
    fatal: 0,
  },
  'context-overflow-anthropic-compaction-off': {
    events: ['start:context-overflow:host-compaction:0', 'start:context-overflow:compact:1'],
    prompts: 1,
    summaries: 1,
    fatal: 0,
  },
  'context-overflow-compaction-fails': {
    events: ['start:context-overflow:host-compaction:0', 'end:context-overflow:gave-up'],
    prompts: 0,
    summaries: 0,
    fatal: 0,
  },
  'output-length': { events: ['start:output-length:retry:1:0'], prompts: 1, summaries: 0, fatal: 0 },
  'auth-401': { events: ['start:auth:stop:0', 'end:auth:gave-up'], prompts: 0, summaries: 0, fatal: 1 },
  'tool-history-400': { events: ['start:tool-history:compact:1'], prompts: 1, summaries: 1, fatal: 0 },
  aborted: { events: ['end:aborted:skipped'], prompts: 0, summaries: 0, fatal: 0 },
}

const fixtures = loadFixtures()

describe('coordinator replaying captured OpenCode sessions', () => {
  beforeEach(() => void vi.useFakeTimers({ now: EPOCH }))
  afterEach(() => void vi.useRealTimers())

  it('has an expectation for every fixture', () => {
    expect([...fixtures.keys()].sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  for (const [name, fixture] of fixtures) {
    it(name, async () => {
      const fake = createFakeHost()
      const bus = createEventBus<OrchestratorEvents>({
        onListenerError: (error) => {
          throw error
        },
      })
      const events: string[] = []
      bus.on('recovery-start', (event) =>
        events.push(`start:${event.kind}:${event.action}:${event.attempt}${event.delayMs === undefined ? '' : `:${event.delayMs}`}`),
      )
      bus.on('recovery-end', (event) => events.push(`end:${event.kind}:${event.outcome}`))
      const fatal: string[] = []
      createRecoveryCoordinator({
        host: fake.host,
        bus,
        clock: systemClock,
        policy: createRecoveryPolicy({ random: () => 0.5 }),
        breaker: createCircuitBreaker({ clock: systemClock, failureThreshold: 5, cooldownMs: 60_000 }),
        logger: createLogger(() => undefined),
        isManaged: (sessionId) =>
          sessionId === SESSION ? { missionId: 'mission_1', role: 'worker', resumePrompt: () => 'Resume as the worker: plan …' } : undefined,
        onFatal: (_missionId, message) => fatal.push(message),
      })
      const message = (overrides: Partial<HostMessage>): HostMessage => ({
        id: 'msg_first',
        sessionId: SESSION,
        role: 'assistant',
        createdAt: EPOCH,
        model: MODEL,
        text: '',
        toolCalls: [],
        ...overrides,
      })
      const hostEvents = toHostEvents(fixture, SESSION)
      const last = fixture.lastAssistant
      const finalMessage = last === null ? undefined : message({ id: 'msg_last', completedAt: EPOCH, ...last })
      if (finalMessage) fake.messages.set(SESSION, [message({ completedAt: EPOCH }), finalMessage])
      const finalIdle = hostEvents.length - 1
      hostEvents.forEach((event, index) => {
        if (index === 1) fake.emit({ type: 'message-update', message: message({}) })
        // OpenCode sends the last assistant message's final update just before the session goes idle.
        if (index === finalIdle && finalMessage) fake.emit({ type: 'message-update', message: finalMessage })
        fake.emit(event)
      })
      await vi.advanceTimersByTimeAsync(120_000)
      const expected = EXPECTED[name]!
      expect(events).toEqual(expected.events)
      expect(fake.prompts).toHaveLength(expected.prompts)
      expect(fake.summaries).toHaveLength(expected.summaries)
      expect(fatal).toHaveLength(expected.fatal)
      for (const prompt of fake.prompts) expect(prompt).toMatchObject({ sessionId: SESSION, agent: 'worker', text: expect.stringContaining('Resume as the worker') })
    })
  }
})
