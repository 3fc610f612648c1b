/** Longest message a toast shows comfortably on one or two lines: the default limit. */
export const TOAST_MESSAGE_LIMIT = 160

/**
 * Collapses whitespace and cuts `text` to at most `limit` characters, ending
 * with `…` when something was cut — for notices, prompts, tooltips and
 * journals that have no room for stack traces or multi-line bodies.
 */
export function truncateText(text: string, limit: number = TOAST_MESSAGE_LIMIT): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat.length <= limit) return flat
  if (limit <= 1) return '…'.slice(0, Math.max(0, limit))
  return `${flat.slice(0, limit - 1).trimEnd()}…`
}
