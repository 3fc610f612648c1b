import type { Clock, ModelRef } from '@opencode-orchestrator/core'
import { assertNumber } from './recovery-config'

export type CircuitState = 'closed' | 'open' | 'half-open'

/** What the scheduler asks before dispatching work to a provider. */
/**
 * What the scheduler asks before dispatching work. Structurally compatible with core's
 * scheduler gate request, which names the model rather than the provider.
 */
export interface DispatchGateRequest {
  /** Provider the work will call. Work without a provider (or model) is always allowed. */
  providerId?: string
  /** Model the work will run on; its provider is used when `providerId` is absent. */
  model?: ModelRef
}

export type DispatchGateResult =
  | { allowed: true }
  | {
      allowed: false
      /** When asking again makes sense. */
      retryInMs: number
      reason: string
    }

/**
 * The gate the scheduler consults right before dispatching. In the half-open state an
 * `allowed: true` answer hands out the single probe, so call it only when about to dispatch.
 */
export type DispatchGate = (request: DispatchGateRequest) => DispatchGateResult

export interface CircuitTransition {
  providerId: string
  from: CircuitState
  to: CircuitState
  /** Consecutive failures counted when the transition happened. */
  failures: number
}

export interface CreateCircuitBreakerOptions {
  clock: Pick<Clock, 'now'>
  /** Consecutive failures that open a provider's breaker (≥ 1). */
  failureThreshold: number
  /** How long an open breaker blocks dispatches before one probe is let through, in ms. Also the probe's lease. */
  cooldownMs: number
  /** Called on every state change, e.g. to log it. */
  onTransition?: (transition: CircuitTransition) => void
}

export interface CircuitBreaker {
  /** Records a failed model call of `providerId` (rate limit, overload, server error). */
  recordFailure(providerId: string): void
  /** Records a successful model call of `providerId`: closes its breaker. */
  recordSuccess(providerId: string): void
  /** Current state, advancing open → half-open when the cool-down has passed. */
  state(providerId: string): CircuitState
  /** Gate for the scheduler's dispatch check. */
  readonly gate: DispatchGate
  /** Every provider that is not closed, for status displays. */
  snapshot(): Array<{ providerId: string; state: CircuitState; failures: number; retryInMs: number }>
}

interface ProviderCircuit {
  state: CircuitState
  failures: number
  /** When the breaker last opened. */
  openedAt: number
  /** When the half-open probe was handed out; `undefined` while no probe is out. */
  probeAt?: number
}

/**
 * A circuit breaker per provider: closed → open after `failureThreshold` consecutive
 * failures → half-open after `cooldownMs` (one probe dispatch allowed) → closed on a
 * success, open again on a failure. A probe that never reports back frees its slot
 * after another `cooldownMs`, so a lost probe cannot block a provider forever.
 * State advances lazily when asked: no timers.
 *
 * @example
 * const breaker = createCircuitBreaker({ clock, failureThreshold: 5, cooldownMs: 60_000 })
 * const scheduler = createScheduler({ …, gate: breaker.gate })
 */
export function createCircuitBreaker(options: CreateCircuitBreakerOptions): CircuitBreaker {
  const failureThreshold = assertNumber('circuitBreaker.failureThreshold', options.failureThreshold, { min: 1, integer: true })
  const cooldownMs = assertNumber('circuitBreaker.cooldownMs', options.cooldownMs, { min: 0 })
  const { clock } = options
  const circuits = new Map<string, ProviderCircuit>()
  // Provider ids are compared case-insensitively, like the config's concurrency keys.
  const keyOf = (providerId: string) => providerId.toLowerCase()

  const move = (providerId: string, circuit: ProviderCircuit, to: CircuitState) => {
    const from = circuit.state
    if (from === to) return
    circuit.state = to
    options.onTransition?.({ providerId, from, to, failures: circuit.failures })
  }

  /** The circuit with its state advanced to now. */
  const current = (providerId: string): ProviderCircuit | undefined => {
    const circuit = circuits.get(keyOf(providerId))
    if (circuit?.state === 'open' && clock.now() - circuit.openedAt >= cooldownMs) {
      circuit.probeAt = undefined
      move(keyOf(providerId), circuit, 'half-open')
    }
    return circuit
  }

  return {
    recordFailure(providerId) {
      const key = keyOf(providerId)
      const circuit = current(providerId) ?? { state: 'closed' as CircuitState, failures: 0, openedAt: 0 }
      circuits.set(key, circuit)
      circuit.failures++
      if (circuit.state === 'half-open' || (circuit.state === 'closed' && circuit.failures >= failureThreshold)) {
        circuit.openedAt = clock.now()
        circuit.probeAt = undefined
        move(key, circuit, 'open')
      }
      // Failures reported while open come from calls started before it opened: they do not extend the cool-down.
    },
    recordSuccess(providerId) {
      const key = keyOf(providerId)
      const circuit = circuits.get(key)
      if (circuit === undefined) return
      circuit.failures = 0
      move(key, circuit, 'closed')
      // Closed circuits with no failures carry no information: keep the map small.
      circuits.delete(key)
    },
    state: (providerId) => current(providerId)?.state ?? 'closed',
    gate(request) {
      const providerId = request.providerId ?? request.model?.providerId
      if (providerId === undefined) return { allowed: true }
      const circuit = current(providerId)
      if (circuit === undefined || circuit.state === 'closed') return { allowed: true }
      const now = clock.now()
      if (circuit.state === 'open') {
        return {
          allowed: false,
          retryInMs: Math.max(0, circuit.openedAt + cooldownMs - now),
          reason: `Provider '${providerId}' failed ${circuit.failures} times in a row; waiting for its cool-down before trying again.`,
        }
      }
      if (circuit.probeAt === undefined || now - circuit.probeAt >= cooldownMs) {
        circuit.probeAt = now
        return { allowed: true }
      }
      return {
        allowed: false,
        retryInMs: Math.max(0, circuit.probeAt + cooldownMs - now),
        reason: `Provider '${providerId}' is being probed after repeated failures; waiting for the probe's result.`,
      }
    },
    snapshot() {
      const now = clock.now()
      const rows: Array<{ providerId: string; state: CircuitState; failures: number; retryInMs: number }> = []
      for (const providerId of circuits.keys()) {
        const circuit = current(providerId)
        if (circuit === undefined || circuit.state === 'closed') continue
        const retryInMs =
          circuit.state === 'open'
            ? Math.max(0, circuit.openedAt + cooldownMs - now)
            : circuit.probeAt === undefined
              ? 0
              : Math.max(0, circuit.probeAt + cooldownMs - now)
        rows.push({ providerId, state: circuit.state, failures: circuit.failures, retryInMs })
      }
      return rows
    },
  }
}
