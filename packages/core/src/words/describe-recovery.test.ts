import { describe, expect, it } from 'vitest'
import type { OrchestratorEvents } from '../events'
import { describeFatalTaskNote, describeRecoveryEnd, describeRecoveryGiveUp, describeRecoveryStart } from './describe-recovery'
import { readableReason } from './readable-reason'
import { truncateText } from '../truncate-text'

const start = (overrides: Partial<OrchestratorEvents['recovery-start']>): OrchestratorEvents['recovery-start'] => ({
  sessionId: 's',
  kind: 'rate-limit',
  action: 'retry',
  reason: '',
  attempt: 1,
  ...overrides,
})

describe('describeRecoveryStart', () => {
  it('says what happened and what is done about it', () => {
    expect(describeRecoveryStart(start({ attempt: 2, delayMs: 8000 }), { providerId: 'anthropic', maxAttempts: 3 })).toBe(
      'Rate limited by anthropic — retrying in 8 s (attempt 2/3)',
    )
    expect(describeRecoveryStart(start({ kind: 'context-overflow', action: 'compact' }))).toBe(
      'Context window full — compacting the session (attempt 1)',
    )
    expect(describeRecoveryStart(start({ kind: 'server', action: 'fallback' }), { providerId: 'openai' })).toBe(
      'Server error from openai — switching to a fallback model (attempt 1)',
    )
    expect(describeRecoveryStart(start({ delayMs: 1500 }))).toBe('Rate limited — retrying in 1.5 s (attempt 1)')
    expect(describeRecoveryStart(start({ delayMs: 42_400 }))).toBe('Rate limited — retrying in 42 s (attempt 1)')
  })

  it('shows an attempt number only where there is one: never "attempt 0/3"', () => {
    // OpenCode compacting by itself (recovery only watches): no retry, no delay, no attempt.
    expect(describeRecoveryStart(start({ kind: 'context-overflow', action: 'host-compaction', attempt: 0 }), { maxAttempts: 3 })).toBe(
      'Context window full — OpenCode is compacting the session; the work resumes after it',
    )
    // OpenCode retrying by itself: its own retry count, not recovery's attempts.
    expect(describeRecoveryStart(start({ action: 'host-retry', attempt: 2, delayMs: 4000 }), { providerId: 'fake', maxAttempts: 3 })).toBe(
      'Rate limited by fake — OpenCode retries in 4 s (OpenCode retry 2)',
    )
    // A 401 stops the mission: no attempt was made, none is named.
    const auth = describeRecoveryStart(start({ kind: 'auth', action: 'stop', attempt: 0, reason: 'Incorrect API key provided: fake-key.' }), { providerId: 'fake', maxAttempts: 3 })
    expect(auth).toBe('Authentication failed for fake — the mission stops: Incorrect API key provided: fake-key.')
    expect(auth).not.toMatch(/attempt/)
  })

  it('adds a readable reason for unknown errors, never raw JSON', () => {
    const text = describeRecoveryStart(
      start({ kind: 'unknown', action: 'retry', reason: '{"name":"UnknownError","data":{"message":"socket hang up"}}' }),
    )
    expect(text).toBe('Model call failed — retrying now (attempt 1): socket hang up')
    expect(text).not.toContain('{')
  })

  it('fits a toast however long the reason', () => {
    const text = describeRecoveryStart(start({ kind: 'unknown', reason: 'very long '.repeat(100) }))
    expect(text.length).toBeLessThanOrEqual(160)
  })
})

describe('describeRecoveryGiveUp', () => {
  it('names the kind and the reason', () => {
    expect(
      describeRecoveryGiveUp(
        { sessionId: 's', kind: 'overloaded', outcome: 'gave-up', reason: '3 attempts used' },
        { providerId: 'anthropic' },
      ),
    ).toBe('Recovery gave up — anthropic overloaded: 3 attempts used')
  })
})

describe('readableReason', () => {
  it('extracts the message of nested JSON error bodies', () => {
    expect(readableReason('{"error":{"message":"Invalid API key"}}')).toBe('Invalid API key')
    expect(readableReason('{"data":{"responseBody":"{\\"error\\":{\\"message\\":\\"quota\\"}}"}}')).toBe('quota')
    expect(readableReason('APIError: {"message":"Too many requests"}')).toBe('APIError: Too many requests')
    expect(readableReason('{"code":42}')).toBe('see the orchestrator log for details')
  })

  it('keeps plain text, collapsing whitespace', () => {
    expect(readableReason('line one\n\n  line two')).toBe('line one line two')
    expect(readableReason('{not json')).toBe('{not json')
  })
})

describe('truncateText', () => {
  it('cuts at the limit with an ellipsis', () => {
    expect(truncateText('abcdef', 4)).toBe('abc…')
    expect(truncateText('abcd', 4)).toBe('abcd')
    expect(truncateText('x'.repeat(400))).toHaveLength(160)
  })
})

describe('describeRecoveryEnd', () => {
  it('labels the end of an episode by its outcome', () => {
    expect(describeRecoveryEnd({ kind: 'rate-limit', outcome: 'recovered' })).toBe('Recovered: rate limited')
    expect(describeRecoveryEnd({ kind: 'context-overflow', outcome: 'gave-up' })).toBe('Recovery gave up: context window full')
  })
})

describe('describeFatalTaskNote', () => {
  it('never doubles a period the cause already has', () => {
    const note = describeFatalTaskNote({ taskId: 'task_1', agent: 'worker', title: 't1', cause: 'Incorrect API key provided: fake-key.', userMessage: 'Fix: set the key, then /task again.' })
    expect(note).toContain('failed: Incorrect API key provided: fake-key.\n')
    expect(note).not.toContain('..')
  })
})
