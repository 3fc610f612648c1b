import type { HostError, HostMessage } from '@opencode-orchestrator/core'

/**
 * The error an assistant message stands for, if any: its own `error`, or — because
 * OpenCode 1.18 ends a truncated answer normally with `finish: "length"` and reports no
 * `session.error` — a `MessageOutputLengthError` for a message cut off at the output limit.
 */
export function messageError(message: Pick<HostMessage, 'role' | 'error' | 'finish' | 'completedAt'>): HostError | undefined {
  if (message.role !== 'assistant') return undefined
  if (message.error !== undefined) return message.error
  if (message.finish === 'length' && message.completedAt !== undefined) {
    return {
      name: 'MessageOutputLengthError',
      data: { message: 'The answer stopped at the output-token limit (finish reason "length").' },
    }
  }
  return undefined
}
