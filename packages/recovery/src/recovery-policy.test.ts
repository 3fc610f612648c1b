import { defaultConfig } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import type { Classification } from './classification'
import type { RecoveryPolicy } from './recovery-policy'
import { createRecoveryPolicy } from './recovery-policy'

const classification = (overrides: Partial<Classification> = {}): Classification => ({
  kind: 'rate-limit',
  retryable: true,
  hostHandling: 'retry',
  errorName: 'APIError',
  message: 'Too Many Requests',
  statusCode: 429,
  providerId: 'fake',
  modelId: 'fake-model',
  ...overrides,
})

const midpoint = () => 0.5
const current = { providerId: 'fake', modelId: 'fake-model' }

function delays(policy: RecoveryPolicy, count: number, overrides: Partial<Classification> = {}) {
  return Array.from({ length: count }, () => policy.decide({ sessionId: 's1', classification: classification(overrides) }))
}

describe('createRecoveryPolicy', () => {
  it('backs off exponentially per session, then gives up at the attempt cap', () => {
    const policy = createRecoveryPolicy({ random: midpoint, config: { maxAttemptsPerSession: 3 } })
    const decisions = delays(policy, 4)
    expect(decisions.map((decision) => decision.action)).toEqual(['retry', 'retry', 'retry', 'give-up'])
    expect(decisions.slice(0, 3).map((decision) => (decision.action === 'retry' ? decision.delayMs : -1))).toEqual([2000, 4000, 8000])
    expect(decisions[3]!.reason).toContain('3 recovery attempts used (limit 3)')
    expect(policy.attempts('s1')).toBe(3)
    // Another session has its own count.
    expect(policy.decide({ sessionId: 's2', classification: classification() })).toMatchObject({ action: 'retry', attempt: 1 })
  })

  it('starts over after reset (the session succeeded)', () => {
    const policy = createRecoveryPolicy({ random: midpoint, config: { maxAttemptsPerSession: 2 } })
    delays(policy, 2)
    policy.reset('s1')
    expect(policy.decide({ sessionId: 's1', classification: classification() })).toMatchObject({ action: 'retry', attempt: 1, delayMs: 2000 })
  })

  it('applies jitter from the injected random source and the configured cap', () => {
    const draws = [0, 0.999_999, 0]
    const policy = createRecoveryPolicy({
      random: () => draws.shift() ?? 0.5,
      config: { maxAttemptsPerSession: 5, backoff: { initialMs: 1000, maxMs: 3000, factor: 3, jitter: 0.5 } },
    })
    const result = delays(policy, 3).map((decision) => (decision.action === 'retry' ? decision.delayMs : -1))
    // 1000 −50 %, 3000 capped (+50 % clipped to the cap), 3000 −50 %
    expect(result).toEqual([500, 3000, 1500])
  })

  it('honours a retry-after longer than the backoff, and ignores a shorter one', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    const longer = policy.decide({ sessionId: 'a', classification: classification({ retryAfterMs: 45_000 }) })
    expect(longer).toMatchObject({ action: 'retry', delayMs: 45_000 })
    expect(longer.reason).toContain('provider asked for 45000 ms')
    const shorter = policy.decide({ sessionId: 'b', classification: classification({ retryAfterMs: 100 }) })
    expect(shorter).toMatchObject({ action: 'retry', delayMs: 2000 })
  })

  it('gives up instead of waiting when retry-after exceeds maxRetryAfterMs', () => {
    const policy = createRecoveryPolicy({ random: midpoint, maxRetryAfterMs: 60_000 })
    const decision = policy.decide({ sessionId: 's1', classification: classification({ retryAfterMs: 3_600_000 }) })
    expect(decision.action).toBe('give-up')
    expect(decision.reason).toContain('3600 s')
    expect(policy.attempts('s1')).toBe(0)
  })

  it('waits while the host retries and spends no attempt', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    const decision = policy.decide({ sessionId: 's1', classification: classification({ retryAfterMs: 4000 }), hostRetrying: true })
    expect(decision).toMatchObject({ action: 'wait-for-host', delayMs: 4000 })
    expect(policy.attempts('s1')).toBe(0)
  })

  it('never retries auth errors: stops with a message saying what to fix', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    for (let index = 0; index < 5; index++) {
      const decision = policy.decide({
        sessionId: 's1',
        classification: classification({ kind: 'auth', retryable: false, statusCode: 401, providerId: 'anthropic' }),
      })
      expect(decision.action).toBe('stop')
      expect(decision.action === 'stop' && decision.userMessage).toBe(
        "The provider 'anthropic' rejected the API key (401). Fix: run `opencode auth login anthropic` or set the key, then /task again.",
      )
    }
    expect(policy.attempts('s1')).toBe(0)
  })

  it('never retries aborted turns or errors a retry cannot fix', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    expect(policy.decide({ sessionId: 's1', classification: classification({ kind: 'aborted', retryable: false }) }).action).toBe('none')
    expect(policy.decide({ sessionId: 's1', classification: classification({ kind: 'unknown', retryable: false }) }).action).toBe('none')
    expect(policy.attempts('s1')).toBe(0)
  })

  it('compacts on context overflow and tool-history errors, and only re-prompts after a host compaction', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    const overflow = classification({ kind: 'context-overflow', retryable: false, hostHandling: 'compact' })
    expect(policy.decide({ sessionId: 's1', classification: overflow })).toMatchObject({ action: 'compact-and-resume', attempt: 1 })
    expect(policy.decide({ sessionId: 's1', classification: overflow, hostCompacted: true })).toMatchObject({ action: 'retry', delayMs: 0, attempt: 2 })
    expect(policy.decide({ sessionId: 's2', classification: classification({ kind: 'tool-history', retryable: false }) })).toMatchObject({
      action: 'compact-and-resume',
    })
  })

  it('asks the model to continue after an output-length stop, at once', () => {
    const policy = createRecoveryPolicy({ random: midpoint })
    expect(policy.decide({ sessionId: 's1', classification: classification({ kind: 'output-length' }) })).toMatchObject({ action: 'retry', delayMs: 0 })
  })

  describe('fallback chain', () => {
    const fallbackModels = ['other/model-a', 'fake/fake-model', 'third/model-b']

    it('walks the chain, skipping the current model, then falls back to plain retries', () => {
      const policy = createRecoveryPolicy({ random: midpoint, config: { fallbackModels, maxAttemptsPerSession: 5 } })
      const decide = () => policy.decide({ sessionId: 's1', classification: classification(), currentModel: current })
      expect(decide()).toMatchObject({ action: 'fallback', model: { providerId: 'other', modelId: 'model-a' }, delayMs: 0, attempt: 1 })
      expect(decide()).toMatchObject({ action: 'fallback', model: { providerId: 'third', modelId: 'model-b' }, attempt: 2 })
      expect(decide()).toMatchObject({ action: 'retry', attempt: 3, delayMs: 8000 })
    })

    it('never replaces a pinned model', () => {
      const policy = createRecoveryPolicy({ random: midpoint, config: { fallbackModels } })
      for (let index = 0; index < 3; index++) {
        const decision = policy.decide({ sessionId: 's1', classification: classification(), currentModel: current, pinnedModel: current })
        expect(decision.action).toBe('retry')
      }
    })

    it('keeps the backoff when the fallback is on the same provider, and skips unavailable providers', () => {
      const policy = createRecoveryPolicy({
        random: midpoint,
        config: { fallbackModels: ['other/model-a', 'fake/smaller'] },
        isProviderAvailable: (providerId) => providerId !== 'other',
      })
      expect(policy.decide({ sessionId: 's1', classification: classification(), currentModel: current })).toMatchObject({
        action: 'fallback',
        model: { providerId: 'fake', modelId: 'smaller' },
        delayMs: 2000,
      })
    })

    it('does not fall back for errors that are not the provider’s (auth, overflow)', () => {
      const policy = createRecoveryPolicy({ random: midpoint, config: { fallbackModels } })
      const overflow = classification({ kind: 'context-overflow', retryable: false })
      expect(policy.decide({ sessionId: 's1', classification: overflow, currentModel: current }).action).toBe('compact-and-resume')
    })
  })

  it("accepts core's parsed config section as is, with the same defaults", () => {
    const policy = createRecoveryPolicy({ random: midpoint, config: defaultConfig().recovery })
    expect(policy.config).toEqual({
      maxAttemptsPerSession: 3,
      backoff: { initialMs: 2000, maxMs: 60_000, factor: 2, jitter: 0.2 },
      circuitBreaker: { failureThreshold: 5, cooldownMs: 60_000 },
      fallbackModels: [],
    })
  })

  it('rejects invalid config naming the field, value and fix', () => {
    expect(() => createRecoveryPolicy({ random: midpoint, config: { maxAttemptsPerSession: -1 } })).toThrowError(
      'recovery.maxAttemptsPerSession is -1: use an integer >= 0.',
    )
    expect(() => createRecoveryPolicy({ random: midpoint, config: { fallbackModels: ['gpt-4'] } })).toThrowError(
      'recovery.fallbackModels[0] is "gpt-4": write models as "provider/model", e.g. "anthropic/claude-sonnet-4".',
    )
    expect(() =>
      createRecoveryPolicy({ random: midpoint, config: { backoff: { initialMs: 5000, maxMs: 1000, factor: 2, jitter: 0.2 } } }),
    ).toThrowError(/recovery\.backoff\.maxMs is 1000: use a number >= 5000/)
  })
})
