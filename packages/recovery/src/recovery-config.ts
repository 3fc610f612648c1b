import { OrchestratorError } from '@opencode-orchestrator/core'

/** Exponential backoff settings. */
export interface BackoffConfig {
  /** Delay before the first retry, in ms (default 2000). */
  initialMs: number
  /** Upper bound of any backoff delay, in ms (default 60 000). */
  maxMs: number
  /** Growth per attempt (default 2). */
  factor: number
  /** Random spread as a fraction of the delay: 0.2 = ±20 % (default 0.2). */
  jitter: number
}

/** Per-provider circuit breaker settings. */
export interface CircuitBreakerConfig {
  /** Consecutive failures that open the breaker (default 5). */
  failureThreshold: number
  /** Time the breaker stays open before one probe is let through, in ms (default 60 000). */
  cooldownMs: number
}

/** The `recovery` section of the orchestrator config (same shape as core's config schema). */
export interface RecoveryConfig {
  /** Recovery attempts per session before giving up (default 3). Reset when the session succeeds. */
  maxAttemptsPerSession: number
  backoff: BackoffConfig
  circuitBreaker: CircuitBreakerConfig
  /** Models tried in order when a provider keeps failing, as `"provider/model"`. Never replaces a pinned model. */
  fallbackModels: string[]
}

/** Defaults, matching core's config schema. */
export const DEFAULT_RECOVERY_CONFIG: Readonly<RecoveryConfig> = Object.freeze({
  maxAttemptsPerSession: 3,
  backoff: Object.freeze({ initialMs: 2000, maxMs: 60_000, factor: 2, jitter: 0.2 }),
  circuitBreaker: Object.freeze({ failureThreshold: 5, cooldownMs: 60_000 }),
  fallbackModels: [],
}) as Readonly<RecoveryConfig>

function invalid(field: string, value: unknown, fix: string): OrchestratorError {
  return new OrchestratorError({
    code: 'config-invalid',
    message: `recovery.${field} is ${JSON.stringify(value) ?? String(value)}: ${fix}`,
    details: { field: `recovery.${field}`, value },
  })
}

/** Throws a `config-invalid` error naming the field unless `value` is a finite number within bounds. */
export function assertNumber(field: string, value: unknown, bounds: { min: number; max?: number; integer?: boolean }): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= bounds.min &&
    (bounds.max === undefined || value <= bounds.max) &&
    (!bounds.integer || Number.isInteger(value))
  if (!ok) {
    const range = bounds.max === undefined ? `>= ${bounds.min}` : `between ${bounds.min} and ${bounds.max}`
    throw invalid(field, value, `use ${bounds.integer ? 'an integer' : 'a number'} ${range}.`)
  }
  return value as number
}

/** Validates a whole recovery config; returns it unchanged when valid. */
export function validateRecoveryConfig(config: RecoveryConfig): RecoveryConfig {
  assertNumber('maxAttemptsPerSession', config.maxAttemptsPerSession, { min: 0, integer: true })
  assertNumber('backoff.initialMs', config.backoff.initialMs, { min: 0 })
  assertNumber('backoff.maxMs', config.backoff.maxMs, { min: config.backoff.initialMs })
  assertNumber('backoff.factor', config.backoff.factor, { min: 1 })
  assertNumber('backoff.jitter', config.backoff.jitter, { min: 0, max: 1 })
  assertNumber('circuitBreaker.failureThreshold', config.circuitBreaker.failureThreshold, { min: 1, integer: true })
  assertNumber('circuitBreaker.cooldownMs', config.circuitBreaker.cooldownMs, { min: 0 })
  config.fallbackModels.forEach((model, index) => parseModelString(model, `fallbackModels[${index}]`))
  return config
}

/** Parses `"provider/model"` (the model part may itself contain `/`). */
export function parseModelString(value: unknown, field = 'model'): { providerId: string; modelId: string } {
  const slash = typeof value === 'string' ? value.indexOf('/') : -1
  if (typeof value !== 'string' || slash <= 0 || slash === value.length - 1) {
    throw invalid(field, value, 'write models as "provider/model", e.g. "anthropic/claude-sonnet-4".')
  }
  return { providerId: value.slice(0, slash), modelId: value.slice(slash + 1) }
}
