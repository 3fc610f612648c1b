import { describe, expect, it } from 'vitest'
import { backoffDelay } from './backoff'

const backoff = { initialMs: 2000, maxMs: 60_000, factor: 2, jitter: 0.2 }

describe('backoffDelay', () => {
  it('grows exponentially up to the cap without jitter at the midpoint', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay({ attempt, backoff, random: () => 0.5 }))
    expect(delays).toEqual([2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000])
  })

  it('spreads by ±jitter and never exceeds the cap', () => {
    expect(backoffDelay({ attempt: 1, backoff, random: () => 0 })).toBe(1600)
    expect(backoffDelay({ attempt: 1, backoff, random: () => 0.999_999 })).toBe(2400)
    expect(backoffDelay({ attempt: 6, backoff, random: () => 0 })).toBe(48_000)
    expect(backoffDelay({ attempt: 6, backoff, random: () => 0.999_999 })).toBe(60_000)
  })

  it('survives a broken random source and huge attempts', () => {
    expect(backoffDelay({ attempt: 1, backoff, random: () => Number.NaN })).toBe(2000)
    expect(backoffDelay({ attempt: 10_000, backoff, random: () => 0.5 })).toBe(60_000)
  })
})
