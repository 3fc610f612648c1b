import type { OrchestratorEvents, RecoveryKind } from '@opencode-orchestrator/core'
import { readableReason } from './readable-reason'
import { TOAST_MESSAGE_LIMIT, truncateText } from './truncate-text'

/** What is known about a recovery besides its event. */
export interface RecoveryContext {
  /** Provider of the failing session's model, e.g. `anthropic`. */
  providerId?: string
  /** Attempts recovery allows per session (config `recovery.maxAttemptsPerSession`). */
  maxAttempts?: number
}

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

function seconds(ms: number): string {
  const value = ms / 1000
  return value < 10 ? `${Math.round(value * 10) / 10} s` : `${Math.round(value)} s`
}

function action(name: string, delayMs: number | undefined): string {
  switch (name) {
    case 'retry':
    case 'wait':
      return delayMs !== undefined && delayMs > 0 ? `retrying in ${seconds(delayMs)}` : 'retrying now'
    case 'compact':
      return 'compacting the session'
    case 'fallback':
      return 'switching to a fallback model'
    case 'stop':
      return 'giving up'
    default:
      return name
  }
}

/**
 * One line for a recovery in progress, e.g.
 * `Rate limited by anthropic — retrying in 8 s (attempt 2/3)`.
 * Kinds whose cause is not obvious (`unknown`, `auth`) carry the reason, made readable.
 */
export function describeRecoveryStart(
  event: OrchestratorEvents['recovery-start'],
  context: RecoveryContext = {},
): string {
  const attempt =
    context.maxAttempts === undefined ? `attempt ${event.attempt}` : `attempt ${event.attempt}/${context.maxAttempts}`
  const head = `${problem(event.kind, context.providerId)} — ${action(event.action, event.delayMs)} (${attempt})`
  if ((event.kind === 'unknown' || event.kind === 'auth') && event.reason.trim() !== '') {
    const room = TOAST_MESSAGE_LIMIT - head.length - 2
    if (room > 20) return `${head}: ${readableReason(event.reason, room)}`
  }
  return truncateText(head)
}

/** One line for a recovery that gave up, e.g. `Gave up after rate limits by anthropic: …`. */
export function describeRecoveryGiveUp(
  event: OrchestratorEvents['recovery-end'],
  context: RecoveryContext = {},
): string {
  const head = `Recovery gave up — ${problem(event.kind, context.providerId).toLowerCase()}`
  return event.reason.trim() === '' ? truncateText(head) : readableReason(`${head}: ${event.reason}`)
}
