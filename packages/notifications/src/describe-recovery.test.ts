import { describe, expect, it } from 'vitest'
import type { OrchestratorEvents } from '@opencode-orchestrator/core'
import { describeRecoveryGiveUp, describeRecoveryStart } from './describe-recovery'
import { formatProgress } from './format-progress'
import { readableReason } from './readable-reason'
import { truncateText } from './truncate-text'

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

describe('formatProgress', () => {
  it('shows only non-zero parts, workers first', () => {
    expect(
      formatProgress({
        todosDone: 3,
        todosTotal: 7,
        todosFailed: 0,
        running: { reviewer: 1, worker: 4 },
        queued: 2,
        retrying: 1,
      }),
    ).toBe('3/7 todos · 4 workers running · 1 reviewer running · 2 queued · 1 retrying')
    expect(
      formatProgress({ state: 'dispatching', todosDone: 0, todosTotal: 0, todosFailed: 0, running: {}, queued: 0, retrying: 0 }),
    ).toBe('dispatching')
    expect(
      formatProgress({ todosDone: 1, todosTotal: 2, todosFailed: 1, running: { worker: 0 }, queued: 0, retrying: 0 }),
    ).toBe('1/2 todos · 1 failed')
  })
})
