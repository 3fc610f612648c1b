import type { ModelRef } from '@opencode-orchestrator/core'
import { backoffDelay } from './backoff'
import type { Classification } from './classification'
import type { RecoveryConfig } from './recovery-config'
import { DEFAULT_RECOVERY_CONFIG, assertNumber, parseModelString, validateRecoveryConfig } from './recovery-config'

/** What the policy is asked about. */
export interface RecoveryDecisionInput {
  sessionId: string
  classification: Classification
  /** Model the user pinned for this session's agent. A pinned model is never replaced by a fallback. */
  pinnedModel?: ModelRef
  /** Model the failed call used (skipped when walking the fallback chain). */
  currentModel?: ModelRef
  /** The host is retrying this failure itself right now (OpenCode `session.status` retry). */
  hostRetrying?: boolean
  /** The host has already compacted the session after this context overflow; only a resume is needed. */
  hostCompacted?: boolean
}

/**
 * What to do about a failure. `attempt` counts this session's recovery attempts (1-based).
 * - `none`: recovery does not act (aborts, errors a retry cannot fix); the failure stands.
 * - `wait-for-host`: the host is retrying by itself; do not retry on top.
 * - `retry`: re-prompt the session after `delayMs` with its resume prompt.
 * - `compact-and-resume`: compact the session's history, then re-prompt.
 * - `fallback`: re-prompt after `delayMs` on `model` instead.
 * - `stop`: stop the mission and tell the user `userMessage` (what to fix).
 * - `give-up`: recovery tried and stops now (attempt cap, provider asks to wait too long).
 */
export type RecoveryDecision =
  | { action: 'none'; reason: string; delayMs: 0 }
  | { action: 'wait-for-host'; reason: string; delayMs: number }
  | { action: 'retry'; reason: string; delayMs: number; attempt: number }
  | { action: 'compact-and-resume'; reason: string; attempt: number }
  | { action: 'fallback'; reason: string; delayMs: number; attempt: number; model: ModelRef }
  | { action: 'stop'; reason: string; userMessage: string }
  | { action: 'give-up'; reason: string; attempt: number }

export type RecoveryAction = RecoveryDecision['action']

export interface CreateRecoveryPolicyOptions {
  /** Uniform random numbers in [0, 1) for jitter; inject a fixed sequence in tests. */
  random: () => number
  /** The `recovery` config section; defaults apply to whatever is left out. */
  config?: Partial<RecoveryConfig>
  /**
   * Longest `retry-after` the policy honours, in ms (default 300 000 = 5 min). A provider asking
   * for a longer wait (a daily quota, say) makes the policy give up and say so instead of
   * holding a session for hours; shorter ones win over the backoff delay when larger.
   */
  maxRetryAfterMs?: number
  /** Whether a provider may receive work now (e.g. its circuit breaker is not open); used to skip fallbacks. */
  isProviderAvailable?: (providerId: string) => boolean
}

export interface RecoveryPolicy {
  decide(input: RecoveryDecisionInput): RecoveryDecision
  /** The session succeeded: its attempts and fallback position start over. */
  reset(sessionId: string): void
  /** Recovery attempts used by a session since its last success. */
  attempts(sessionId: string): number
  /** The validated config in use. */
  readonly config: Readonly<RecoveryConfig>
}

interface SessionRecord {
  attempts: number
  /** Index of the next fallback model to try. */
  fallbackIndex: number
}

const sameModel = (a: ModelRef | undefined, b: ModelRef) =>
  a !== undefined && a.providerId.toLowerCase() === b.providerId.toLowerCase() && a.modelId === b.modelId

const describe = (classification: Classification) =>
  `${classification.kind}${classification.statusCode === undefined ? '' : ` (${classification.statusCode})`}`

/** The message a user reads when a provider refuses the credentials. */
export function authUserMessage(classification: Classification): string {
  const provider = classification.providerId
  const who = provider === undefined ? 'The model provider' : `The provider '${provider}'`
  const login = provider === undefined ? '`opencode auth login`' : `\`opencode auth login ${provider}\``
  if (classification.statusCode === 403) {
    return `${who} refused access (403). Fix: check that the API key may use this model (plan, permissions), run ${login} or set another key, then /task again.`
  }
  const status = classification.statusCode === undefined ? '' : ` (${classification.statusCode})`
  return `${who} rejected the API key${status}. Fix: run ${login} or set the key, then /task again.`
}

/**
 * The recovery policy: a pure decision per failure plus per-session attempt counting.
 * It never doubles the host's own retries (`hostRetrying` → wait), retries what the host gave
 * up on with exponential backoff honouring `retry-after`, compacts on context overflow, walks
 * an optional fallback chain (never over a pinned model) and stops on auth errors.
 *
 * @example
 * const policy = createRecoveryPolicy({ random: Math.random, config: config.recovery })
 * const decision = policy.decide({ sessionId, classification: classifyError(error) })
 */
export function createRecoveryPolicy(options: CreateRecoveryPolicyOptions): RecoveryPolicy {
  const config = validateRecoveryConfig({
    ...DEFAULT_RECOVERY_CONFIG,
    ...options.config,
    backoff: { ...DEFAULT_RECOVERY_CONFIG.backoff, ...options.config?.backoff },
    circuitBreaker: { ...DEFAULT_RECOVERY_CONFIG.circuitBreaker, ...options.config?.circuitBreaker },
    fallbackModels: [...(options.config?.fallbackModels ?? DEFAULT_RECOVERY_CONFIG.fallbackModels)],
  })
  const maxRetryAfterMs = assertNumber('maxRetryAfterMs', options.maxRetryAfterMs ?? 300_000, { min: 0 })
  const fallbackChain = config.fallbackModels.map((model, index) => parseModelString(model, `fallbackModels[${index}]`))
  const sessions = new Map<string, SessionRecord>()
  const record = (sessionId: string) => {
    let entry = sessions.get(sessionId)
    if (entry === undefined) {
      entry = { attempts: 0, fallbackIndex: 0 }
      sessions.set(sessionId, entry)
    }
    return entry
  }

  const nextFallback = (entry: SessionRecord, current: ModelRef | undefined): ModelRef | undefined => {
    while (entry.fallbackIndex < fallbackChain.length) {
      const candidate = fallbackChain[entry.fallbackIndex++]!
      if (sameModel(current, candidate)) continue
      if (options.isProviderAvailable && !options.isProviderAvailable(candidate.providerId)) continue
      return candidate
    }
    return undefined
  }

  const decide = (input: RecoveryDecisionInput): RecoveryDecision => {
    const { classification } = input
    const what = describe(classification)
    if (input.hostRetrying) {
      return {
        action: 'wait-for-host',
        delayMs: classification.retryAfterMs ?? 0,
        reason: `${what}: the host is retrying by itself; not retrying on top of it.`,
      }
    }
    if (classification.kind === 'auth') {
      return { action: 'stop', reason: `${what}: credentials rejected; retrying cannot help.`, userMessage: authUserMessage(classification) }
    }
    if (classification.kind === 'aborted') {
      return { action: 'none', delayMs: 0, reason: 'The turn was aborted (user or stop); aborted work is never retried.' }
    }
    const resumable = classification.kind === 'context-overflow' || classification.kind === 'tool-history'
    if (!classification.retryable && !resumable) {
      return { action: 'none', delayMs: 0, reason: `${what}: a retry cannot fix this error (${classification.errorName}).` }
    }
    const entry = record(input.sessionId)
    if (entry.attempts >= config.maxAttemptsPerSession) {
      return {
        action: 'give-up',
        attempt: entry.attempts,
        reason: `${what}: ${entry.attempts} recovery attempt${entry.attempts === 1 ? '' : 's'} used (limit ${config.maxAttemptsPerSession}).`,
      }
    }
    const retryAfter = classification.retryAfterMs
    if (retryAfter !== undefined && retryAfter > maxRetryAfterMs) {
      return {
        action: 'give-up',
        attempt: entry.attempts,
        reason: `${what}: the provider asks to wait ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.ceil(maxRetryAfterMs / 1000)} s recovery waits.`,
      }
    }
    const attempt = ++entry.attempts
    if (resumable) {
      if (classification.kind === 'context-overflow' && input.hostCompacted) {
        return { action: 'retry', attempt, delayMs: 0, reason: `${what}: the host compacted the session but the work did not resume; re-prompting.` }
      }
      return {
        action: 'compact-and-resume',
        attempt,
        reason:
          classification.kind === 'tool-history'
            ? `${what}: the tool-call history is broken; compacting rewrites it, then the work resumes.`
            : `${what}: the host did not compact the session; compacting, then resuming.`,
      }
    }
    if (classification.kind === 'output-length') {
      return { action: 'retry', attempt, delayMs: 0, reason: `${what}: the answer hit the output limit; asking the model to continue.` }
    }
    const delayMs = Math.max(backoffDelay({ attempt, backoff: config.backoff, random: options.random }), retryAfter ?? 0)
    const providerSide = classification.kind === 'rate-limit' || classification.kind === 'overloaded' || classification.kind === 'server'
    if (providerSide && input.pinnedModel === undefined) {
      const model = nextFallback(entry, input.currentModel)
      if (model !== undefined) {
        const otherProvider =
          input.currentModel === undefined || input.currentModel.providerId.toLowerCase() !== model.providerId.toLowerCase()
        return {
          action: 'fallback',
          attempt,
          model,
          // Another provider has its own limits: no need to wait out this one's backoff.
          delayMs: otherProvider ? 0 : delayMs,
          reason: `${what}: switching to fallback model ${model.providerId}/${model.modelId}.`,
        }
      }
    }
    const honoured = retryAfter !== undefined && retryAfter >= delayMs ? ` (provider asked for ${retryAfter} ms)` : ''
    return { action: 'retry', attempt, delayMs, reason: `${what}: retrying in ${delayMs} ms${honoured}, attempt ${attempt} of ${config.maxAttemptsPerSession}.` }
  }

  return {
    decide,
    reset: (sessionId) => void sessions.delete(sessionId),
    attempts: (sessionId) => sessions.get(sessionId)?.attempts ?? 0,
    config,
  }
}
