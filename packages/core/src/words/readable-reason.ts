import { truncateText, TOAST_MESSAGE_LIMIT } from '../truncate-text'

/** Where providers and hosts usually keep the human text inside a JSON error body. */
function messageInside(value: unknown, depth = 0): string | undefined {
  if (depth > 4 || value === null || typeof value !== 'object') return undefined
  const record = value as Record<string, unknown>
  for (const key of ['message', 'error_description', 'detail']) {
    const candidate = record[key]
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate
  }
  for (const key of ['data', 'error', 'body', 'responseBody']) {
    const nested = record[key]
    if (typeof nested === 'string' && nested.trim() !== '') {
      const parsed = parseJson(nested)
      const inner = parsed === undefined ? nested : messageInside(parsed, depth + 1)
      if (inner !== undefined) return inner
    }
    const inner = messageInside(nested, depth + 1)
    if (inner !== undefined) return inner
  }
  return undefined
}

function parseJson(text: string): unknown {
  const trimmed = text.trim()
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined
  try {
    return JSON.parse(trimmed) as unknown
  } catch {
    // Not JSON after all: the caller keeps the text as it is.
    return undefined
  }
}

/**
 * Turns a reason into something a person can read in a toast: a JSON error body becomes
 * its message (or a pointer to the log when it has none), whitespace is collapsed and the
 * result is cut to `limit` characters. Raw JSON never reaches the user.
 */
export function readableReason(reason: string, limit: number = TOAST_MESSAGE_LIMIT): string {
  const parsed = parseJson(reason)
  if (parsed !== undefined) return truncateText(messageInside(parsed) ?? 'see the orchestrator log for details', limit)
  // JSON embedded after a prefix ("Error: {...}") is cut off rather than shown raw.
  const embedded = reason.search(/[{[]\s*"/)
  if (embedded > 0) {
    const inner = parseJson(reason.slice(embedded))
    const prefix = reason.slice(0, embedded).replace(/[\s:–—-]+$/, '')
    const message = inner === undefined ? undefined : messageInside(inner)
    return truncateText(message === undefined ? prefix : `${prefix}: ${message}`, limit)
  }
  return truncateText(reason, limit)
}
