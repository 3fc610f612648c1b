import type { OrchestratorEvents, RecoveryKind } from '../events'
import { asSentence } from './sentence'
import { readableReason } from './readable-reason'
import { TOAST_MESSAGE_LIMIT, truncateText } from '../truncate-text'

/** What is known about a recovery besides its event. */
export interface RecoveryContext {
  /** Provider of the failing session's model, e.g. `anthropic`. */
  providerId?: string
  /** Attempts recovery allows per session (config `recovery.maxAttemptsPerSession`). */
  maxAttempts?: number
}

/**
 * Actions of a `recovery-start` event (its `action` field). `host-retry` and `host-compaction`
 * mean OpenCode itself is retrying or compacting and recovery only watches; the others are
 * recovery's own moves.
 */
export const RECOVERY_ACTIONS = ['retry', 'wait', 'host-retry', 'host-compaction', 'compact', 'fallback', 'stop'] as const
export type RecoveryAction = (typeof RECOVERY_ACTIONS)[number]

function problem(kind: RecoveryKind, providerId: string | undefined): string {
  const by = providerId === undefined ? '' : ` by ${providerId}`
  const from = providerId === undefined ? '' : ` from ${providerId}`
  switch (kind) {
    case 'rate-limit':
      return `Rate limited${by}`
    case 'overloaded':
      return providerId === undefined ? 'Provider overloaded' : `${providerId} overloaded`
    case 'server':
      return `Server error${from}`
    case 'context-overflow':
      return 'Context window full'
    case 'output-length':
      return 'Answer hit the output limit'
    case 'auth':
      return `Authentication failed${providerId === undefined ? '' : ` for ${providerId}`}`
    case 'aborted':
      return 'Model call aborted'
    case 'tool-history':
      return 'Broken tool history'
    case 'unknown':
      return 'Model call failed'
  }
}

/** `1.5 s`, `42 s`; under a tenth of a second is `now`. */
export function describeDelay(ms: number): string {
  if (!(ms >= 50)) return 'now'
  const value = ms / 1000
  return value < 10 ? `${Math.max(0.1, Math.round(value * 10) / 10)} s` : `${Math.round(value)} s`
}

function action(name: string, delayMs: number | undefined): string {
  const inDelay = delayMs !== undefined && delayMs >= 50 ? `in ${describeDelay(delayMs)}` : 'now'
  switch (name) {
    case 'retry':
      return `retrying ${inDelay}`
    case 'wait':
      return `waiting for the provider, retrying ${inDelay}`
    case 'host-retry':
      return `OpenCode retries ${inDelay}`
    case 'host-compaction':
      return 'OpenCode is compacting the session; the work resumes after it'
    case 'compact':
      return 'compacting the session'
    case 'fallback':
      return 'switching to a fallback model'
    case 'stop':
      return 'the mission stops'
    default:
      return name
  }
}

/** Which attempt this is, only where a number means something: recovery's own attempts count from 1; OpenCode's retries carry its own count. */
function attemptText(event: OrchestratorEvents['recovery-start'], maxAttempts: number | undefined): string | undefined {
  if (event.attempt < 1) return undefined
  if (event.action === 'host-retry') return `OpenCode retry ${event.attempt}`
  if (event.action === 'retry' || event.action === 'fallback' || event.action === 'compact' || event.action === 'wait') {
    return maxAttempts === undefined ? `attempt ${event.attempt}` : `attempt ${event.attempt}/${maxAttempts}`
  }
  return undefined
}

/**
 * One line for a recovery in progress, e.g.
 * `Rate limited by anthropic — retrying in 8 s (attempt 2/3)` or
 * `Context window full — OpenCode is compacting the session; the work resumes after it`.
 * Kinds whose cause is not obvious (`unknown`, `auth`) carry the reason, made readable.
 */
export function describeRecoveryStart(event: OrchestratorEvents['recovery-start'], context: RecoveryContext = {}): string {
  const attempt = attemptText(event, context.maxAttempts)
  const head = `${problem(event.kind, context.providerId)} — ${action(event.action, event.delayMs)}${attempt === undefined ? '' : ` (${attempt})`}`
  if ((event.kind === 'unknown' || event.kind === 'auth') && event.reason.trim() !== '') {
    const room = TOAST_MESSAGE_LIMIT - head.length - 2
    if (room > 20) return `${head}: ${readableReason(event.reason, room)}`
  }
  return truncateText(head)
}

/** One line for a recovery that gave up, e.g. `Recovery gave up — rate limited by anthropic: …`. */
export function describeRecoveryGiveUp(event: OrchestratorEvents['recovery-end'], context: RecoveryContext = {}): string {
  const head = `Recovery gave up — ${problem(event.kind, context.providerId).toLowerCase()}`
  return event.reason.trim() === '' ? truncateText(head) : readableReason(`${head}: ${event.reason}`)
}

/** Short label for the end of a recovery episode (the report's marker), e.g. `Recovered from rate-limit`. */
export function describeRecoveryEnd(event: Pick<OrchestratorEvents['recovery-end'], 'kind' | 'outcome'>): string {
  const what = problem(event.kind, undefined).toLowerCase()
  if (event.outcome === 'recovered') return `Recovered: ${what}`
  if (event.outcome === 'gave-up') return `Recovery gave up: ${what}`
  return `Recovery not needed: ${what}`
}

/** The note a parent session gets when a child's error ends the mission; each part one sentence. */
export function describeFatalTaskNote(input: { taskId: string; agent: string; title: string; cause: string; userMessage: string }): string {
  return [
    `[orchestrator] Task ${input.taskId} (${input.agent}: ${input.title}) failed: ${asSentence(input.cause)}`,
    asSentence(input.userMessage),
    'The mission has failed: every other task was stopped and nothing more will run.',
  ].join('\n\n')
}
