import { OrchestratorError } from '@opencode-orchestrator/core'

/** One line a server process (or the harness about it) wrote. */
export interface ProcessLogLine {
  /** Epoch ms the line was received. */
  at: number
  /** `harness` lines are written by the test kit itself (start, stop, stream errors). */
  stream: 'stdout' | 'stderr' | 'harness'
  /** Server run the line belongs to (1, then 2 after a restart, …). */
  generation: number
  text: string
}

/** Bounded log of a server process. */
export interface ProcessLog {
  readonly lines: readonly ProcessLogLine[]
  /** The last `count` lines (default 40) as text, for error messages. */
  tail(count?: number): string
  /** Every kept line as text. */
  text(): string
  /**
   * Resolves with the first line (already logged or future) matching `pattern`; with
   * `generation`, only lines of that server run count.
   */
  waitFor(pattern: string | RegExp, timeoutMs?: number, options?: { generation?: number }): Promise<ProcessLogLine>
}

export interface ControlledProcessLog extends ProcessLog {
  /** Feeds raw output; splits it into lines (keeps an unfinished last line until its newline arrives). */
  write(stream: 'stdout' | 'stderr', chunk: string, generation: number): void
  /** Adds a harness line. */
  note(text: string, generation: number): void
  /** Flushes unfinished lines (call when the process exits). */
  flush(generation: number): void
}

const formatLine = (line: ProcessLogLine) => `[${line.stream}#${line.generation}] ${line.text}`

/** Creates a log that keeps at most `maxLines` lines (oldest dropped first). */
export function createProcessLog(options: { maxLines?: number } = {}): ControlledProcessLog {
  const maxLines = options.maxLines ?? 50_000
  const lines: ProcessLogLine[] = []
  const partial = { stdout: '', stderr: '' }
  const waiters = new Set<(line: ProcessLogLine) => void>()

  const push = (line: ProcessLogLine) => {
    lines.push(line)
    if (lines.length > maxLines) lines.splice(0, lines.length - maxLines)
    for (const waiter of [...waiters]) waiter(line)
  }

  const matches = (pattern: string | RegExp, text: string) =>
    typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)

  return {
    lines,
    tail: (count = 40) => lines.slice(-count).map(formatLine).join('\n'),
    text: () => lines.map(formatLine).join('\n'),
    write(stream, chunk, generation) {
      const text = partial[stream] + chunk
      const parts = text.split('\n')
      partial[stream] = parts.pop() ?? ''
      for (const part of parts) push({ at: Date.now(), stream, generation, text: part.replace(/\r$/, '') })
    },
    note(text, generation) {
      push({ at: Date.now(), stream: 'harness', generation, text })
    },
    flush(generation) {
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream].length > 0) push({ at: Date.now(), stream, generation, text: partial[stream] })
        partial[stream] = ''
      }
    },
    waitFor(pattern, timeoutMs = 30_000, waitOptions = {}) {
      const wanted = (line: ProcessLogLine) =>
        (waitOptions.generation === undefined || line.generation === waitOptions.generation) && matches(pattern, line.text)
      const found = lines.find(wanted)
      if (found !== undefined) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const waiter = (line: ProcessLogLine) => {
          if (!wanted(line)) return
          waiters.delete(waiter)
          clearTimeout(timer)
          resolve(line)
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(
            new OrchestratorError({
              code: 'host-failed',
              message: `No log line matching ${String(pattern)} within ${timeoutMs} ms. Last lines:\n${lines
                .slice(-20)
                .map(formatLine)
                .join('\n')}`,
            }),
          )
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
  }
}
