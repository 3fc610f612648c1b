/** What to do with a tool call. `period` is the length of the repeated cycle (1 = the same call again). */
export type LoopVerdict = { type: 'allow' } | { type: 'block'; repeats: number; period: number } | { type: 'stop'; repeats: number; period: number }

export interface LoopBreakerOptions {
  /** Repetitions of the same call, or of the same short cycle of calls, from which a call is refused with an explanation. Default 3. */
  blockAfter?: number
  /** Repetitions from which the session's task is stopped. Default 5. */
  stopAfter?: number
  /** Longest cycle recognised: A,B,A,B… has period 2, A,B,C,A,B,C… period 3. Default 4. */
  maxPeriod?: number
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

/** How many times the last `period` calls repeat back-to-back at the end of `history` (whole cycles only). */
function cycleRepeats(history: readonly string[], period: number): number {
  let length = period
  while (length < history.length && history[history.length - 1 - length] === history[history.length - 1 - length + period]) length++
  return Math.floor(length / period)
}

/**
 * Detects an agent repeating itself: the same call with the same arguments, or
 * a short cycle of calls (A,B,A,B… or A,B,C,A,B,C…) — the classic budget-model
 * loops. A cycle counts as repeated only when its calls are not all the same
 * (that is period 1). Runs on every tool call: O(stopAfter × maxPeriod²) at most.
 */
export function createLoopBreaker({ blockAfter = 3, stopAfter = 5, maxPeriod = 4 }: LoopBreakerOptions = {}): LoopBreaker {
  const histories = new Map<string, string[]>()
  const keep = stopAfter * maxPeriod
  return {
    check(sessionId, tool, args) {
      const history = histories.get(sessionId) ?? []
      history.push(`${tool}:${stableJson(args)}`)
      if (history.length > keep) history.splice(0, history.length - keep)
      histories.set(sessionId, history)
      let worst: { repeats: number; period: number } | undefined
      for (let period = 1; period <= maxPeriod && period * blockAfter <= history.length; period++) {
        // A cycle of period p whose calls are all equal is the period-1 loop, already counted.
        if (period > 1 && history.slice(-period).every((key) => key === history[history.length - 1])) continue
        const repeats = cycleRepeats(history, period)
        if (repeats >= blockAfter && (worst === undefined || repeats > worst.repeats)) worst = { repeats, period }
      }
      if (worst === undefined) return { type: 'allow' }
      return { type: worst.repeats >= stopAfter ? 'stop' : 'block', ...worst }
    },
    forget(sessionId) {
      histories.delete(sessionId)
    },
  }
}
