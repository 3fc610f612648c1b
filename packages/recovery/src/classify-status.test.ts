import { describe, expect, it } from 'vitest'
import { classifyStatus } from './classify-status'

describe('classifyStatus', () => {
  it('means the host is handling it, with the wait until its next attempt', () => {
    expect(classifyStatus({ type: 'retry', attempt: 2, message: 'Too Many Requests', nextAt: 5_000 }, { now: 1_000, providerId: 'fake' })).toMatchObject({
      kind: 'rate-limit',
      retryable: true,
      hostHandling: 'retry',
      retryAfterMs: 4_000,
      providerId: 'fake',
    })
    expect(classifyStatus({ type: 'retry', attempt: 1, message: 'Provider is overloaded', nextAt: 0 }).kind).toBe('overloaded')
  })

  it('counts an unrecognised retry message as a server error (the host only retries provider failures)', () => {
    expect(classifyStatus({ type: 'retry', attempt: 1, message: 'Something new', nextAt: 0 }, { now: 10 })).toMatchObject({
      kind: 'server',
      retryAfterMs: 0,
    })
  })
})
