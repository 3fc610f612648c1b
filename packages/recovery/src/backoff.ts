import type { BackoffConfig } from './recovery-config'

export interface BackoffDelayOptions {
  /** 1-based attempt number. */
  attempt: number
  backoff: BackoffConfig
  /** Uniform random number in [0, 1); injected so tests are deterministic. */
  random: () => number
}

/**
 * Exponential backoff with jitter: `initialMs × factor^(attempt−1)`, capped at `maxMs`,
 * spread by ±`jitter`, and never above `maxMs`. At the cap the spread only goes
 * downwards, so many sessions hitting the cap still do not retry in lock-step.
 */
export function backoffDelay({ attempt, backoff, random }: BackoffDelayOptions): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1)
  const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** exponent)
  const draw = random()
  // A broken random source must not produce NaN delays (a NaN timer fires at once).
  const unit = Number.isFinite(draw) ? Math.min(Math.max(draw, 0), 1) : 0.5
  const spread = base * backoff.jitter * (2 * unit - 1)
  return Math.max(0, Math.min(backoff.maxMs, Math.round(base + spread)))
}
