import type { HostError, RecoveryKind } from '@opencode-orchestrator/core'
import type { Classification, ClassificationContext, HostHandling } from './classification'
import {
  ABORT_PATTERNS,
  AUTH_PATTERNS,
  CONTEXT_OVERFLOW_PATTERNS,
  OVERLOADED_PATTERNS,
  QUOTA_EXHAUSTED_PATTERNS,
  RATE_LIMIT_PATTERNS,
  SERVER_PATTERNS,
  TOOL_HISTORY_PATTERNS,
  matchesAny,
} from './error-patterns'

/** Bodies can be large (HTML error pages); patterns only need the start. */
const BODY_SCAN_LIMIT = 8_192
/** Messages kept in a classification, for logs and notices. */
const MESSAGE_LIMIT = 1_000
/** How deep wrappers (`{error}`, `{properties: {error}}`) are unwrapped. */
const UNWRAP_DEPTH = 4

type UnknownRecord = Readonly<Record<string, unknown>>

const isRecord = (value: unknown): value is UnknownRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const stringField = (record: UnknownRecord | undefined, key: string): string | undefined => {
  const value = record?.[key]
  return typeof value === 'string' ? value : undefined
}

const finiteNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value)
    return Number.isFinite(parsed) ? parsed : undefined
  }
  return undefined
}

/** A host error, or an object that wraps one (`{ error }`, a whole `session.error` event, …). */
function findHostError(input: unknown, depth: number): HostError | undefined {
  if (input instanceof Error) {
    // A thrown Error (e.g. from an SDK call) keeps its text in `.message`.
    const extra: unknown = (input as unknown as { data?: unknown }).data
    const data = isRecord(extra) ? extra : {}
    return { name: input.name, data: { message: input.message, ...data } }
  }
  if (!isRecord(input) || depth > UNWRAP_DEPTH) return undefined
  if (typeof input.name === 'string' && (input.data === undefined || isRecord(input.data))) {
    return { name: input.name, ...(isRecord(input.data) ? { data: input.data } : {}) }
  }
  return findHostError(input.error, depth + 1) ?? findHostError(input.properties, depth + 1)
}

/** Header lookup that ignores case: hosts and proxies disagree on header casing. */
function header(headers: UnknownRecord | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && typeof value === 'string') return value
  }
  return undefined
}

/**
 * Delay the provider asked for: `retry-after-ms` (ms, OpenAI), else `retry-after`
 * (seconds, or an HTTP date measured against `now` or the response's `date` header).
 */
export function parseRetryAfter(headers: UnknownRecord | undefined, now?: number): number | undefined {
  const milliseconds = finiteNumber(header(headers, 'retry-after-ms'))
  if (milliseconds !== undefined) return Math.max(0, Math.ceil(milliseconds))
  const retryAfter = header(headers, 'retry-after')
  if (retryAfter === undefined) return undefined
  const seconds = finiteNumber(retryAfter)
  if (seconds !== undefined) return Math.max(0, Math.ceil(seconds * 1000))
  const at = Date.parse(retryAfter)
  if (Number.isNaN(at)) return undefined
  const dateHeader = header(headers, 'date')
  const reference = now ?? (dateHeader === undefined ? Number.NaN : Date.parse(dateHeader))
  if (Number.isNaN(reference)) return undefined
  return Math.max(0, at - reference)
}

/** What the kind is decided from. */
export interface Evidence {
  name: string
  message: string
  /** Message plus the start of the response body: where the patterns look. */
  text: string
  statusCode?: number
  isRetryable?: boolean
}

/** Kind from status code and text; `undefined` when neither says anything. */
export function kindFromEvidence(evidence: Evidence): { kind: RecoveryKind; retryable: boolean } | undefined {
  const { statusCode: status, text } = evidence
  const rateLimitText = matchesAny(RATE_LIMIT_PATTERNS, text)
  // Rate-limit wording wins over overflow wording ("too many tokens per minute" is a rate limit).
  if (status === 413 || (!rateLimitText && matchesAny(CONTEXT_OVERFLOW_PATTERNS, text))) {
    return { kind: 'context-overflow', retryable: false }
  }
  if (matchesAny(TOOL_HISTORY_PATTERNS, text) && (status === undefined || status === 400 || status === 422)) {
    return { kind: 'tool-history', retryable: false }
  }
  if (status === 401 || status === 403 || matchesAny(AUTH_PATTERNS, text)) return { kind: 'auth', retryable: false }
  if (status === 429 || rateLimitText) {
    return { kind: 'rate-limit', retryable: !matchesAny(QUOTA_EXHAUSTED_PATTERNS, text) }
  }
  if (status === 503 || status === 529 || matchesAny(OVERLOADED_PATTERNS, text)) return { kind: 'overloaded', retryable: true }
  if ((status !== undefined && status >= 500) || matchesAny(SERVER_PATTERNS, text)) return { kind: 'server', retryable: true }
  if (matchesAny(ABORT_PATTERNS, text)) return { kind: 'aborted', retryable: false }
  return undefined
}

function classifyHostError(error: HostError, context: ClassificationContext): Classification {
  const data = isRecord(error.data) ? error.data : undefined
  const message = stringField(data, 'message') ?? ''
  const body = stringField(data, 'responseBody') ?? ''
  const statusCode = finiteNumber(data?.statusCode)
  const isRetryable = typeof data?.isRetryable === 'boolean' ? data.isRetryable : undefined
  const headers = isRecord(data?.responseHeaders) ? data.responseHeaders : undefined
  const evidence: Evidence = {
    name: error.name,
    message,
    text: `${message}\n${body.slice(0, BODY_SCAN_LIMIT)}`,
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(isRetryable === undefined ? {} : { isRetryable }),
  }
  const providerId = stringField(data, 'providerID') ?? context.providerId
  const base = {
    errorName: error.name,
    message: (message || body || error.name).slice(0, MESSAGE_LIMIT),
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(providerId === undefined ? {} : { providerId }),
    ...(context.modelId === undefined ? {} : { modelId: context.modelId }),
  }
  const fixed = (kind: RecoveryKind, retryable: boolean, hostHandling: HostHandling): Classification => ({
    kind,
    retryable,
    hostHandling,
    ...base,
  })

  switch (error.name) {
    case 'ProviderAuthError':
      return fixed('auth', false, 'none')
    case 'MessageAbortedError':
      return fixed('aborted', false, 'none')
    case 'MessageOutputLengthError':
      // Re-prompting lets the model continue where the cut-off answer stopped.
      return fixed('output-length', true, 'none')
    case 'ContextOverflowError':
      return fixed('context-overflow', false, 'compact')
    case 'ContentFilterError':
    case 'StructuredOutputError':
      return fixed('unknown', false, 'none')
    default:
      break
  }

  const found = kindFromEvidence(evidence)
  const kind = found?.kind ?? 'unknown'
  // The provider's own verdict counts when our patterns know nothing better.
  const retryable = found === undefined ? isRetryable === true : found.retryable
  const providerSide = kind === 'rate-limit' || kind === 'overloaded' || kind === 'server'
  // Mirrors OpenCode 1.18: API errors that are retryable, ≥500 or rate/overload-worded are
  // retried by the host before it reports them; other errors only when their text says so.
  const hostRetried =
    error.name === 'APIError'
      ? isRetryable === true || (statusCode !== undefined && statusCode >= 500) || providerSide
      : providerSide
  const retryAfterMs = parseRetryAfter(headers, context.now)
  return {
    ...fixed(kind, retryable, hostRetried ? 'retry' : 'none'),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  }
}

function classifyPlain(input: unknown, context: ClassificationContext): Classification {
  const name = typeof input === 'string' ? 'string' : input === null ? 'null' : typeof input
  const message = typeof input === 'string' ? input : ''
  const found = message === '' ? undefined : kindFromEvidence({ name, message, text: message })
  return {
    kind: found?.kind ?? 'unknown',
    retryable: found?.retryable ?? false,
    hostHandling: 'none',
    errorName: name,
    message: message.slice(0, MESSAGE_LIMIT),
    ...(context.providerId === undefined ? {} : { providerId: context.providerId }),
    ...(context.modelId === undefined ? {} : { modelId: context.modelId }),
  }
}

/**
 * Classifies an error exactly as the host reported it (OpenCode's `session.error`
 * `properties.error`, an assistant message's `error`, or a wrapper around either).
 * Reads `name`, `data.statusCode`, `data.isRetryable`, `data.message`,
 * `data.responseBody` and `data.responseHeaders`. Never throws: anything it cannot
 * read classifies as `unknown`.
 *
 * @example
 * classifyError({ name: 'APIError', data: { message: 'Too Many Requests', statusCode: 429, isRetryable: true } })
 * // → { kind: 'rate-limit', retryable: true, hostHandling: 'retry', … }
 */
export function classifyError(input: HostError | unknown, context: ClassificationContext = {}): Classification {
  try {
    const hostError = findHostError(input, 0)
    return hostError === undefined ? classifyPlain(input, context) : classifyHostError(hostError, context)
  } catch {
    // Hostile inputs (throwing getters, proxies) must not take recovery down with them;
    // the result says so instead of hiding it.
    return {
      kind: 'unknown',
      retryable: false,
      hostHandling: 'none',
      errorName: 'Unreadable',
      message: 'The error object could not be read (a property access threw).',
    }
  }
}
