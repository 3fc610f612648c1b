import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Classification } from './classification'
import { classifyError, parseRetryAfter } from './classify-error'

const KINDS = ['rate-limit', 'overloaded', 'server', 'context-overflow', 'output-length', 'auth', 'aborted', 'tool-history', 'unknown']

function expectWellFormed(result: Classification) {
  expect(KINDS).toContain(result.kind)
  expect(typeof result.retryable).toBe('boolean')
  expect(['retry', 'compact', 'none']).toContain(result.hostHandling)
  expect(typeof result.message).toBe('string')
  if (result.retryAfterMs !== undefined) expect(Number.isFinite(result.retryAfterMs) && result.retryAfterMs >= 0).toBe(true)
}

describe('classifyError: never throws', () => {
  it('classifies arbitrary JSON without throwing', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expectWellFormed(classifyError(value))
      }),
      { numRuns: 2000 },
    )
  })

  it('classifies arbitrary values, including error-shaped ones with wrong field types', () => {
    const field = fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(undefined))
    const errorLike = fc.record(
      {
        name: fc.oneof(fc.constantFrom('APIError', 'ProviderAuthError', 'ContextOverflowError', 'UnknownError'), fc.anything()),
        data: fc.oneof(
          fc.record(
            { message: field, statusCode: field, isRetryable: field, responseHeaders: fc.oneof(fc.dictionary(fc.string(), field), field), responseBody: field },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(fc.oneof(fc.anything(), errorLike, fc.record({ error: errorLike }), fc.record({ properties: fc.record({ error: errorLike }) })), (value) => {
        expectWellFormed(classifyError(value, { now: 0 }))
      }),
      { numRuns: 2000 },
    )
  })

  it('survives hostile objects (throwing getters, proxies)', () => {
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('boom')
        },
        has() {
          throw new Error('boom')
        },
      },
    )
    const result = classifyError(throwing)
    expect(result).toMatchObject({ kind: 'unknown', retryable: false, errorName: 'Unreadable' })
    expect(classifyError({ name: 'APIError', data: throwing }).kind).toBe('unknown')
  })

  it('an unknown shape classifies as unknown', () => {
    expect(classifyError({ something: 'else' })).toMatchObject({ kind: 'unknown', retryable: false, hostHandling: 'none' })
    expect(classifyError(undefined)).toMatchObject({ kind: 'unknown', retryable: false })
    expect(classifyError({ name: 'BrandNewError', data: { message: 'something odd' } })).toMatchObject({ kind: 'unknown', retryable: false })
  })
})

describe('classifyError: reading the real shape', () => {
  it('reads data.message, not a top-level message', () => {
    expect(classifyError({ name: 'UnknownError', message: 'rate limit exceeded', data: { message: 'odd failure' } }).kind).toBe('unknown')
    expect(classifyError({ name: 'UnknownError', data: { message: 'rate limit exceeded' } }).kind).toBe('rate-limit')
  })

  it('unwraps a whole session.error event or an assistant message', () => {
    const error = { name: 'APIError', data: { message: 'Overloaded', statusCode: 529, isRetryable: true } }
    expect(classifyError({ type: 'session.error', properties: { sessionID: 'ses_1', error } }).kind).toBe('overloaded')
    expect(classifyError({ id: 'msg_1', role: 'assistant', error }).kind).toBe('overloaded')
  })

  it('takes the provider from ProviderAuthError data, else from the context', () => {
    expect(classifyError({ name: 'ProviderAuthError', data: { providerID: 'anthropic', message: 'x' } }, { providerId: 'other' }).providerId).toBe(
      'anthropic',
    )
    expect(classifyError({ name: 'APIError', data: { message: 'x', statusCode: 401, isRetryable: false } }, { providerId: 'fake', modelId: 'm' })).toMatchObject({
      kind: 'auth',
      providerId: 'fake',
      modelId: 'm',
    })
  })

  it('a rate-limit wording wins over token wording', () => {
    expect(classifyError({ name: 'APIError', data: { message: 'Rate limit: too many tokens per minute', statusCode: 429, isRetryable: true } }).kind).toBe(
      'rate-limit',
    )
  })

  it('quota exhaustion is a rate limit that waiting does not fix', () => {
    const result = classifyError({
      name: 'APIError',
      data: { message: 'You exceeded your current quota', statusCode: 429, isRetryable: false, responseBody: '{"error":{"code":"insufficient_quota"}}' },
    })
    expect(result).toMatchObject({ kind: 'rate-limit', retryable: false })
  })

  it('recognises broken tool history', () => {
    const result = classifyError({
      name: 'APIError',
      data: {
        message: 'messages.3: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01',
        statusCode: 400,
        isRetryable: false,
      },
    })
    expect(result).toMatchObject({ kind: 'tool-history', retryable: false })
  })

  it('turns a thrown Error into a classification', () => {
    expect(classifyError(new Error('fetch failed'))).toMatchObject({ kind: 'server', retryable: true, errorName: 'Error' })
  })
})

describe('parseRetryAfter', () => {
  it('prefers retry-after-ms, reads seconds and HTTP dates, ignores garbage', () => {
    expect(parseRetryAfter({ 'retry-after-ms': '1500.2', 'retry-after': '9' })).toBe(1501)
    expect(parseRetryAfter({ 'Retry-After': '2' })).toBe(2000)
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT'
    expect(parseRetryAfter({ 'retry-after': date }, Date.parse(date) - 5000)).toBe(5000)
    expect(parseRetryAfter({ 'retry-after': date, date: 'Wed, 21 Oct 2026 07:27:30 GMT' })).toBe(30_000)
    expect(parseRetryAfter({ 'retry-after': date })).toBeUndefined()
    expect(parseRetryAfter({ 'retry-after': 'soon' })).toBeUndefined()
    expect(parseRetryAfter({ 'retry-after': '-3' })).toBe(0)
    expect(parseRetryAfter(undefined)).toBeUndefined()
  })
})
