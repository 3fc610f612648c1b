import type { RecoveryKind } from '@opencode-orchestrator/core'

/**
 * What the host itself does about an error, mirroring OpenCode 1.18's own rules:
 * - `retry`: it retried the model call (429, 5xx, rate-limit/overload bodies) before reporting the error,
 *   or — for a `session-status` retry — is retrying right now;
 * - `compact`: it compacts the session and carries on (context overflow with auto-compaction on);
 * - `none`: it reported the error and stopped.
 */
export type HostHandling = 'retry' | 'compact' | 'none'

/** The result of classifying one host error or retry status. Plain data: safe to log and journal. */
export interface Classification {
  kind: RecoveryKind
  /** A plain re-prompt after a delay may succeed. False for auth, abort, overflow (needs compaction), filters and unknowns. */
  retryable: boolean
  /** How long the provider asked us to wait (`retry-after-ms` / `retry-after`), in ms. */
  retryAfterMs?: number
  /** HTTP status of the failed model call, when the host reported one. */
  statusCode?: number
  /** What the host does about this error by itself (see {@link HostHandling}). */
  hostHandling: HostHandling
  /** Host error name (`APIError`, `ProviderAuthError`, …), or `SessionStatus` for a retry status. */
  errorName: string
  /** Human-readable text of the error (OpenCode keeps it in `data.message`). */
  message: string
  providerId?: string
  modelId?: string
}

/** Context the error itself may not carry. */
export interface ClassificationContext {
  /** Provider of the model call that failed, e.g. from the session's last assistant message. */
  providerId?: string
  modelId?: string
  /**
   * Epoch ms now, used to turn an HTTP-date `retry-after` into a delay. Without it the
   * response's own `date` header is the reference; with neither, a date-valued header is ignored.
   */
  now?: number
}
