/**
 * Text patterns for provider error messages and bodies. They are matched against
 * `data.message` plus `data.responseBody`, never against a bare top-level `message`
 * (OpenCode does not put the text there). Numeric status codes are deliberately not
 * matched in text: a body mentioning "500 tokens" is not a server error.
 */

/** The provider says the prompt does not fit the model's context window. */
export const CONTEXT_OVERFLOW_PATTERNS: readonly RegExp[] = [
  /context[_ ]length[_ ]exceeded/i,
  /maximum context length/i,
  /context (?:window|length|size) (?:exceeds|exceeded|is only)/i,
  /exceeds? (?:the )?(?:model'?s )?(?:available )?(?:context|maximum context)/i,
  /prompt (?:is )?too long/i,
  /input (?:is )?too long/i,
  /request[_ ]too[_ ]large/i,
  /request entity too large/i,
  /too many (?:input )?tokens/i,
  /token limit (?:exceeded|reached)/i,
  /model_context_window_exceeded/i,
  /reduce the length of the messages/i,
  /context overflow/i,
]

/** Broken tool-call history: a tool call without its result or a result without its call. */
export const TOOL_HISTORY_PATTERNS: readonly RegExp[] = [
  /tool_use.{0,80}without.{0,40}tool_result/i,
  /tool_result.{0,120}(?:tool_use|corresponding)/i,
  /unexpected .?tool_use_id/i,
  /tool_call_id/i,
  /role .?tool.? must be a response/i,
  /tool_calls.{0,80}must be followed by tool messages/i,
  /tool call.{0,40}(?:missing|without) (?:a )?(?:result|response)/i,
]

/** The provider rejected the credentials. */
export const AUTH_PATTERNS: readonly RegExp[] = [
  /invalid[_ -]?(?:x-)?api[_ -]?key/i,
  /incorrect api key/i,
  /api key (?:is )?(?:missing|invalid|not valid|expired|revoked)/i,
  /authentication[_ ](?:error|failed)/i,
  /\bunauthori[sz]ed\b/i,
  /permission[_ ]error/i,
]

/** Rate limits and quotas. */
export const RATE_LIMIT_PATTERNS: readonly RegExp[] = [
  /rate[-_ ]?limit/i,
  /too[_ ]many[_ ]requests/i,
  /rate increased too quickly/i,
  /resource[_ ]exhausted/i,
  /throttl/i,
  /quota/i,
]

/** Quota/billing problems: rate-limit class, but waiting does not help. */
export const QUOTA_EXHAUSTED_PATTERNS: readonly RegExp[] = [
  /insufficient[_ ]quota/i,
  /exceeded your current quota/i,
  /billing/i,
  /credit balance is too low/i,
]

/** The provider is overloaded or temporarily unavailable. */
export const OVERLOADED_PATTERNS: readonly RegExp[] = [
  /overloaded/i,
  /service[_ -]?unavailable/i,
  /(?:currently|temporarily) at capacity/i,
  /capacity (?:constraints|exceeded)/i,
  /try again later/i,
]

/** Server-side failures and network trouble on the way to the provider. */
export const SERVER_PATTERNS: readonly RegExp[] = [
  /internal[_ -]?(?:server[_ -]?)?error/i,
  /server[_ -]error/i,
  /bad gateway/i,
  /gateway time-?out/i,
  /upstream (?:connect|error|request timeout)/i,
  /fetch failed|failed to fetch/i,
  /network[-_ ]error/i,
  /connection (?:error|refused|reset|lost|closed)/i,
  /socket hang up|socket connection was closed/i,
  /econnrefused|econnreset|etimedout|enotfound|eai_again/i,
  /provider returned error/i,
]

/** The turn was aborted (user pressed Esc, the orchestrator stopped the session). */
export const ABORT_PATTERNS: readonly RegExp[] = [/\baborted\b/i, /aborterror/i]

/** True when any pattern matches `text`. */
export function matchesAny(patterns: readonly RegExp[], text: string): boolean {
  return patterns.some((pattern) => pattern.test(text))
}
