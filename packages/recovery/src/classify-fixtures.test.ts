import type { HostRetryStatus } from './classify-status'
import { describe, expect, it } from 'vitest'
import type { Classification } from './classification'
import { classifyError } from './classify-error'
import { classifyStatus } from './classify-status'
import { loadFixtures, retryStatuses, sessionErrors } from '../test/fixtures'
import { messageError } from './message-error'

/*
 * The classifier runs on payloads captured from a real OpenCode (scripts/capture-fixtures.ts),
 * not on hand-written shapes. Every fixture must have an entry here, and every entry a fixture.
 */

const context = { providerId: 'fake', modelId: 'fake-model', now: 1_767_225_600_000 }
type Expected = Partial<Classification>

const hostRetried = (kind: Classification['kind'], statusCode: number, retryAfterMs?: number): Expected => ({
  kind,
  retryable: true,
  hostHandling: 'retry',
  statusCode,
  errorName: 'APIError',
  providerId: 'fake',
  modelId: 'fake-model',
  ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
})
const overflow: Expected = { kind: 'context-overflow', retryable: false, hostHandling: 'compact', errorName: 'ContextOverflowError' }

const EXPECTED: Record<string, { errors: Expected[]; statuses?: Classification['kind']; lastAssistant: Expected | undefined }> = {
  'rate-limit-retry-after-ms': { errors: [hostRetried('rate-limit', 429, 20)], statuses: 'rate-limit', lastAssistant: hostRetried('rate-limit', 429, 20) },
  'rate-limit-retry-after-seconds': {
    errors: [hostRetried('rate-limit', 429, 1000)],
    statuses: 'rate-limit',
    lastAssistant: hostRetried('rate-limit', 429, 1000),
  },
  'rate-limit-recovers': { errors: [], statuses: 'rate-limit', lastAssistant: undefined },
  'server-error-500': { errors: [hostRetried('server', 500, 20)], statuses: 'server', lastAssistant: hostRetried('server', 500, 20) },
  'service-unavailable-503': { errors: [hostRetried('overloaded', 503, 20)], statuses: 'overloaded', lastAssistant: hostRetried('overloaded', 503, 20) },
  'overloaded-529': { errors: [hostRetried('overloaded', 529, 20)], statuses: 'overloaded', lastAssistant: hostRetried('overloaded', 529, 20) },
  'context-overflow-openai': { errors: [overflow], lastAssistant: undefined },
  'context-overflow-anthropic-compaction-off': { errors: [overflow], lastAssistant: overflow },
  'context-overflow-compaction-fails': { errors: [overflow, overflow], lastAssistant: overflow },
  'output-length': {
    errors: [],
    lastAssistant: { kind: 'output-length', retryable: true, hostHandling: 'none', errorName: 'MessageOutputLengthError' },
  },
  'auth-401': {
    errors: [{ kind: 'auth', retryable: false, hostHandling: 'none', statusCode: 401, providerId: 'fake', message: expect.stringContaining('Incorrect API key') }],
    lastAssistant: { kind: 'auth' },
  },
  'tool-history-400': {
    errors: [{ kind: 'tool-history', retryable: false, hostHandling: 'none', statusCode: 400 }],
    lastAssistant: { kind: 'tool-history' },
  },
  aborted: {
    errors: [{ kind: 'aborted', retryable: false, hostHandling: 'none', errorName: 'MessageAbortedError' }],
    lastAssistant: { kind: 'aborted' },
  },
}

const fixtures = loadFixtures()

describe('classifier on captured OpenCode fixtures', () => {
  it('has an expectation for every fixture and a fixture for every expectation', () => {
    expect([...fixtures.keys()].sort()).toEqual(Object.keys(EXPECTED).sort())
  })

  for (const [name, fixture] of fixtures) {
    const expected = EXPECTED[name]
    describe(name, () => {
      it('classifies every session.error payload', () => {
        const errors = sessionErrors(fixture)
        expect(errors).toHaveLength(expected?.errors.length ?? -1)
        errors.forEach((error, index) => {
          expect(classifyError(error, context)).toMatchObject(expected!.errors[index]!)
        })
      })

      it('classifies every retry status as the host handling it', () => {
        const statuses = retryStatuses(fixture)
        if (expected?.statuses === undefined) return expect(statuses).toEqual([])
        expect(statuses.length).toBeGreaterThan(0)
        for (const raw of statuses) {
          const status: HostRetryStatus = { type: 'retry', attempt: Number(raw.attempt), message: String(raw.message), nextAt: Number(raw.next) }
          expect(classifyStatus(status, context)).toMatchObject({ kind: expected.statuses, retryable: true, hostHandling: 'retry', retryAfterMs: 0 })
        }
      })

      it("classifies the last assistant message's outcome", () => {
        const last = fixture.lastAssistant
        const error = last === null ? undefined : messageError({ role: 'assistant', completedAt: 1, ...last })
        if (expected?.lastAssistant === undefined) return expect(error).toBeUndefined()
        expect(classifyError(error, context)).toMatchObject(expected.lastAssistant)
      })
    })
  }
})
