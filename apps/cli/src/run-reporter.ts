import { createLogUpdate } from 'log-update'
import { formatJsonLine, type ProgressSnapshot, type RunEvent } from './run-event'
import { progressLine, renderEventLine, renderMissionEnd, renderProgressBlock, type Palette } from './progress-view'

/** Where a run's output goes: the live terminal display or JSON Lines. */
export interface RunReporter {
  /** A line for people (e.g. "Starting OpenCode…"); JSON output leaves it out. */
  note(text: string): void
  /** Something happened (task start/end, recovery, mission start/end, error). */
  emit(event: RunEvent): void
  /** The current state; called on every change and once a second. */
  progress(snapshot: ProgressSnapshot): void
  /** Leaves the terminal clean (the live block is replaced by the final text). */
  close(): void
}

/** The parts of a writable stream the reporters use (a TTY has `isTTY` and `columns`). */
export interface OutputStream {
  write(chunk: string): boolean
  isTTY?: boolean
  columns?: number
}

const progressKey = (snapshot: ProgressSnapshot) => {
  const { elapsedMs: _elapsed, ...rest } = snapshot
  return JSON.stringify(rest)
}

/** `--json`: one JSON object per line; `progress` lines only when something other than the time changed. */
export function createJsonLinesReporter({ stream, now }: { stream: OutputStream; now: () => number }): RunReporter {
  let lastKey: string | undefined
  return {
    note() {},
    emit(event) {
      stream.write(formatJsonLine(event, now()))
    },
    progress(snapshot) {
      const key = progressKey(snapshot)
      if (key === lastKey) return
      lastKey = key
      stream.write(formatJsonLine({ type: 'progress', ...snapshot }, now()))
    },
    close() {},
  }
}

/**
 * The human display. On a terminal: activity lines scroll above a live block
 * (progress bar, workers, recoveries, elapsed time, tokens) redrawn in place.
 * Elsewhere (CI logs, pipes): plain lines, and a progress line only when
 * something other than the elapsed time changed — no escape codes.
 */
export function createTerminalReporter({ stream, colors, goal }: { stream: OutputStream; colors: Palette; goal: string }): RunReporter {
  const live = stream.isTTY === true
  // showCursor: hiding it would make log-update install process-wide signal handlers to restore it.
  const block = live ? createLogUpdate(stream as NodeJS.WritableStream, { showCursor: true }) : undefined
  let latest: ProgressSnapshot | undefined
  let lastKey: string | undefined
  let closed = false

  const line = (text: string) => {
    if (block) block.persist(text)
    else stream.write(`${text}\n`)
    if (block && latest && !closed) block(renderProgressBlock(latest, { goal, colors }))
  }

  return {
    note(text) {
      line(colors.dim(text))
    },
    emit(event) {
      if (event.type === 'mission-end') {
        block?.clear()
        closed = true
        if (latest) stream.write(`${renderProgressBlock({ ...latest, state: event.state === 'interrupted' ? latest.state : event.state, elapsedMs: event.elapsedMs }, { goal, colors })}\n`)
        stream.write(`${renderMissionEnd(event, colors)}\n`)
        return
      }
      if (event.type === 'error') {
        block?.clear()
        return
      }
      const text = renderEventLine(event, colors)
      if (text !== undefined) line(text)
    },
    progress(snapshot) {
      latest = snapshot
      if (closed) return
      if (block) {
        block(renderProgressBlock(snapshot, { goal, colors }))
        return
      }
      // Tokens move with every model call: in a log they only ride along with a real change.
      const key = progressKey({ ...snapshot, tokens: 0 })
      if (key === lastKey) return
      lastKey = key
      stream.write(`${colors.dim('progress')} ${progressLine(snapshot)}\n`)
    },
    close() {
      if (!closed) block?.done()
      closed = true
    },
  }
}
