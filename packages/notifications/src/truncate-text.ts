import { truncateText as truncateToLimit } from '@opencode-orchestrator/core'

/** Longest message a toast shows comfortably on one or two lines. */
export const TOAST_MESSAGE_LIMIT = 160

/**
 * Core's `truncateText` with the toast's limit as the default: toasts have no
 * room for stack traces or multi-line bodies.
 */
export function truncateText(text: string, limit: number = TOAST_MESSAGE_LIMIT): string {
  return truncateToLimit(text, limit)
}
