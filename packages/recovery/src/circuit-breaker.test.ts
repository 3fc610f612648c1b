import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import type { CircuitTransition } from './circuit-breaker'
import { createCircuitBreaker } from './circuit-breaker'

function setup(failureThreshold = 3, cooldownMs = 10_000) {
  let now = 1_000
  const transitions: CircuitTransition[] = []
  const breaker = createCircuitBreaker({
    clock: { now: () => now },
    failureThreshold,
    cooldownMs,
    onTransition: (transition) => transitions.push(transition),
  })
  return { breaker, transitions, advance: (ms: number) => (now += ms) }
}

describe('createCircuitBreaker', () => {
  it('opens after N consecutive failures and refuses dispatch until the cool-down', () => {
    const { breaker, advance } = setup()
    breaker.recordFailure('fake')
    breaker.recordFailure('fake')
    expect(breaker.state('fake')).toBe('closed')
    expect(breaker.gate({ providerId: 'fake' })).toEqual({ allowed: true })
    breaker.recordFailure('fake')
    expect(breaker.state('fake')).toBe('open')
    advance(4_000)
    const refused = breaker.gate({ providerId: 'fake' })
    expect(refused).toMatchObject({ allowed: false, retryInMs: 6_000 })
    expect(refused.allowed === false && refused.reason).toContain("'fake'")
    // Other providers are unaffected.
    expect(breaker.gate({ providerId: 'other' })).toEqual({ allowed: true })
    expect(breaker.gate({})).toEqual({ allowed: true })
  })

  it('a success in between resets the count (failures must be consecutive)', () => {
    const { breaker } = setup()
    breaker.recordFailure('fake')
    breaker.recordFailure('fake')
    breaker.recordSuccess('fake')
    breaker.recordFailure('fake')
    breaker.recordFailure('fake')
    expect(breaker.state('fake')).toBe('closed')
  })

  it('half-opens after the cool-down, lets exactly one probe through, closes on its success', () => {
    const { breaker, advance, transitions } = setup()
    for (let index = 0; index < 3; index++) breaker.recordFailure('fake')
    advance(10_000)
    expect(breaker.state('fake')).toBe('half-open')
    expect(breaker.gate({ providerId: 'fake' })).toEqual({ allowed: true })
    expect(breaker.gate({ providerId: 'fake' })).toMatchObject({ allowed: false, retryInMs: 10_000 })
    breaker.recordSuccess('fake')
    expect(breaker.state('fake')).toBe('closed')
    expect(breaker.gate({ providerId: 'fake' })).toEqual({ allowed: true })
    expect(transitions.map(({ from, to }) => `${from}>${to}`)).toEqual(['closed>open', 'open>half-open', 'half-open>closed'])
  })

  it('re-opens when the probe fails, for a full cool-down', () => {
    const { breaker, advance } = setup()
    for (let index = 0; index < 3; index++) breaker.recordFailure('fake')
    advance(10_000)
    expect(breaker.gate({ providerId: 'fake' }).allowed).toBe(true)
    advance(500)
    breaker.recordFailure('fake')
    expect(breaker.state('fake')).toBe('open')
    expect(breaker.gate({ providerId: 'fake' })).toMatchObject({ allowed: false, retryInMs: 10_000 })
  })

  it('frees a lost probe after another cool-down', () => {
    const { breaker, advance } = setup()
    for (let index = 0; index < 3; index++) breaker.recordFailure('fake')
    advance(10_000)
    expect(breaker.gate({ providerId: 'fake' }).allowed).toBe(true)
    advance(9_999)
    expect(breaker.gate({ providerId: 'fake' }).allowed).toBe(false)
    advance(1)
    expect(breaker.gate({ providerId: 'fake' }).allowed).toBe(true)
  })

  it('does not extend the cool-down for late failures while open', () => {
    const { breaker, advance } = setup()
    for (let index = 0; index < 3; index++) breaker.recordFailure('fake')
    advance(9_000)
    breaker.recordFailure('fake')
    expect(breaker.gate({ providerId: 'fake' })).toMatchObject({ allowed: false, retryInMs: 1_000 })
  })

  it('matches providers case-insensitively and reads the provider from a model', () => {
    const { breaker } = setup(1)
    breaker.recordFailure('OpenAI')
    expect(breaker.gate({ model: { providerId: 'openai', modelId: 'gpt' } }).allowed).toBe(false)
    expect(breaker.snapshot()).toEqual([{ providerId: 'openai', state: 'open', failures: 1, retryInMs: 10_000 }])
  })

  it('rejects a bad threshold naming the field', () => {
    expect(() => createCircuitBreaker({ clock: { now: () => 0 }, failureThreshold: 0, cooldownMs: 1 })).toThrowError(
      /recovery\.circuitBreaker\.failureThreshold is 0/,
    )
    try {
      createCircuitBreaker({ clock: { now: () => 0 }, failureThreshold: 1, cooldownMs: -1 })
      expect.unreachable()
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'config-invalid')).toBe(true)
    }
  })
})
