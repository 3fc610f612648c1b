/** What to do with a tool call. */
export type LoopVerdict = { type: 'allow' } | { type: 'block'; repeats: number } | { type: 'stop'; repeats: number }

export interface LoopBreakerOptions {
  /** Identical calls in a row from which a call is refused with an explanation. Default 3. */
  blockAfter?: number
  /** Identical calls in a row from which the session's task is stopped. Default 5. */
  stopAfter?: number
}

export interface LoopBreaker {
  check(sessionId: string, tool: string, args: unknown): LoopVerdict
  forget(sessionId: string): void
}

/** JSON with sorted keys, so `{a,b}` and `{b,a}` are the same call. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${stableJson(item)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'undefined'
}

/**
 * Detects an agent repeating the same tool call with the same arguments —
 * the classic budget-model loop. Runs on every tool call: O(1) per call.
 */
export function createLoopBreaker({ blockAfter = 3, stopAfter = 5 }: LoopBreakerOptions = {}): LoopBreaker {
  const last = new Map<string, { key: string; repeats: number }>()
  return {
    check(sessionId, tool, args) {
      const key = `${tool}:${stableJson(args)}`
      const previous = last.get(sessionId)
      const repeats = previous && previous.key === key ? previous.repeats + 1 : 1
      last.set(sessionId, { key, repeats })
      if (repeats >= stopAfter) return { type: 'stop', repeats }
      if (repeats >= blockAfter) return { type: 'block', repeats }
      return { type: 'allow' }
    },
    forget(sessionId) {
      last.delete(sessionId)
    },
  }
}
