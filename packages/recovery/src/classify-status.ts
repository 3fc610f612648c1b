import type { HostSessionStatus } from '@opencode-orchestrator/core'
import type { Classification, ClassificationContext } from './classification'
import { kindFromEvidence } from './classify-error'

/** The `retry` member of {@link HostSessionStatus}. */
export type HostRetryStatus = Extract<HostSessionStatus, { type: 'retry' }>

/**
 * Classifies the host's own retry status (OpenCode: `session.status {type: "retry"}`).
 * The host is handling the failure, so the result always has `hostHandling: 'retry'`:
 * recovery waits and does not retry on top. OpenCode only retries provider-side
 * failures, so a message no pattern recognises counts as a `server` error.
 *
 * @example
 * classifyStatus({ type: 'retry', attempt: 1, message: 'Too Many Requests', nextAt: 1_002_000 }, { now: 1_000_000 })
 * // → { kind: 'rate-limit', retryable: true, hostHandling: 'retry', retryAfterMs: 2000, … }
 */
export function classifyStatus(status: HostRetryStatus, context: ClassificationContext = {}): Classification {
  const message = typeof status.message === 'string' ? status.message : ''
  const found = message === '' ? undefined : kindFromEvidence({ name: 'SessionStatus', message, text: message })
  const nextAt = typeof status.nextAt === 'number' && Number.isFinite(status.nextAt) ? status.nextAt : undefined
  const retryAfterMs = nextAt !== undefined && context.now !== undefined ? Math.max(0, nextAt - context.now) : undefined
  return {
    kind: found?.kind ?? 'server',
    retryable: true,
    hostHandling: 'retry',
    errorName: 'SessionStatus',
    message: message.slice(0, 1_000),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(context.providerId === undefined ? {} : { providerId: context.providerId }),
    ...(context.modelId === undefined ? {} : { modelId: context.modelId }),
  }
}
