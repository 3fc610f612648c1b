/**
 * While a permission prompt is open, OpenCode 1.18.33's TUI puts its dialog where the input box was:
 * `/stop` cannot be typed as a command. Rejecting a child session's request asks "Tell OpenCode what
 * to do differently", and that feedback reaches only the tool's error text
 * ("The user rejected permission to use this specific tool call with the following feedback: …";
 * `permission.replied` carries no text). A rejection whose feedback is `/stop` or `/cancel` is read as
 * that command (docs/decisions/042).
 */
const FEEDBACK = /rejected permission to use this specific tool call with the following feedback:\s*\/(stop|cancel)\b/i

export interface RejectionStop {
  sessionId: string
  via: 'stop' | 'cancel'
}

/** The stop a bus event asks for, when it is a tool part that failed on such a rejection. */
export function rejectionStop(event: { type: string; properties?: unknown }): RejectionStop | undefined {
  if (event.type !== 'message.part.updated') return undefined
  const part = (event.properties as { part?: { type?: unknown; sessionID?: unknown; state?: { status?: unknown; error?: unknown } } } | undefined)?.part
  if (part?.type !== 'tool' || typeof part.sessionID !== 'string' || part.state?.status !== 'error' || typeof part.state.error !== 'string') return undefined
  const match = FEEDBACK.exec(part.state.error)
  if (!match) return undefined
  return { sessionId: part.sessionID, via: match[1]!.toLowerCase() === 'cancel' ? 'cancel' : 'stop' }
}
