/**
 * Turn detection: what a session's message events say about its latest turn, and whether
 * a turn has finished. Pure functions over a session's {@link SessionTrack}.
 */
import type { HostMessage } from '../host'
import type { SessionTrack } from './mission-runtime'

/** How many of a session's latest messages are read from the host when its events did not show a finished turn. */
export const MESSAGE_WINDOW = 6

/** Records what an assistant message update says about the session's latest turn. */
export function noteAssistantMessage(entry: SessionTrack, message: HostMessage): void {
  const current = entry.lastTurn
  if (current?.messageId !== message.id) {
    // OpenCode repeats updates: one of an older message must not replace the latest turn.
    if (current !== undefined && message.createdAt < current.createdAt) return
    entry.lastTurn = { messageId: message.id, createdAt: message.createdAt, failed: false, texts: new Map() }
  }
  const turn = entry.lastTurn!
  turn.failed = message.error !== undefined
  if (message.completedAt !== undefined) turn.completedAt = message.completedAt
  if (message.finish !== undefined) turn.finish = message.finish
}

/**
 * The session's latest turn as a message, when its events show it finished cleanly with text;
 * otherwise undefined (the caller then reads the messages from the host).
 */
export function finishedTurnOf(entry: SessionTrack, sessionId: string): HostMessage | undefined {
  const turn = entry.lastTurn
  if (turn === undefined || turn.failed || turn.completedAt === undefined || turn.texts.size === 0) return undefined
  const message: HostMessage = {
    id: turn.messageId,
    sessionId,
    role: 'assistant',
    createdAt: turn.createdAt,
    completedAt: turn.completedAt,
    text: [...turn.texts.values()].filter((text) => text.length > 0).join('\n'),
    toolCalls: [],
    ...(turn.finish === undefined ? {} : { finish: turn.finish }),
  }
  return isTurnFinished(message) ? message : undefined
}

/** Latest assistant message of a list, oldest-first. */
export function lastAssistant(messages: readonly HostMessage[]): HostMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]
    if (message?.role === 'assistant') return message
  }
  return undefined
}

/** A turn has finished when its last assistant message completed for a reason other than calling tools. */
export function isTurnFinished(message: HostMessage | undefined): message is HostMessage {
  return message !== undefined && message.error === undefined && message.completedAt !== undefined && message.finish !== undefined && message.finish !== 'tool-calls'
}

export function hostErrorText(error: { name: string; data?: Readonly<Record<string, unknown>> }): string {
  const message = error.data?.['message']
  return typeof message === 'string' && message.length > 0 ? `${error.name}: ${message}` : error.name
}
