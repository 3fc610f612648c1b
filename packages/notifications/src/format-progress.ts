import { describeTally } from '@opencode-orchestrator/core'
import type { ProgressCounts } from './mission-progress'

/**
 * The one-line progress text, e.g. `3/7 todos verified · 4 workers running · 2 queued · 1 retrying`:
 * core's `describeTally`, the same words the status command and the CLI use.
 */
export function formatProgress(counts: ProgressCounts): string {
  return describeTally(counts)
}
