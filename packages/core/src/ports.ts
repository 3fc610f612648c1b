/**
 * Ports for everything that touches time, ids, disk and processes. Core code
 * receives them through factories, so tests swap in fakes and two instances can
 * live in one process.
 */

/** Opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown

export interface Clock {
  /** Epoch milliseconds. */
  now(): number
  /**
   * Calls `callback` once, `ms` from now. Must honour any delay a config allows (up to a year):
   * a host timer that overflows on long delays (Node's fires at once past 2^31−1 ms) has to wait
   * them out in steps, as {@link systemClock} does.
   */
  setTimeout(callback: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle): void
}

/**
 * Longest delay a host timer honours: Node and browsers store it in a signed 32-bit
 * integer, and a longer one fires at once (with a warning) instead of late.
 */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

/** A timer of {@link systemClock}: one host timer at a time, re-armed until the whole delay has passed. */
class ChainedTimer {
  #current: ReturnType<typeof setTimeout> | undefined
  #unref = false
  #cancelled = false

  constructor(
    private readonly callback: () => void,
    private readonly dueAt: number,
  ) {
    this.#arm()
  }

  #arm(): void {
    const remaining = this.dueAt - Date.now()
    // Never 0 when time is left: a clock that reads a millisecond early must not spin.
    const delay = Math.min(Math.max(remaining, 0), MAX_TIMER_DELAY_MS)
    this.#current = setTimeout(() => {
      if (this.#cancelled) return
      if (Date.now() < this.dueAt) this.#arm()
      else this.callback()
    }, delay)
    if (this.#unref) (this.#current as { unref?: () => void }).unref?.()
  }

  /** Like Node's `Timeout.unref()`: the timer does not keep the process alive. */
  unref(): this {
    this.#unref = true
    ;(this.#current as { unref?: () => void } | undefined)?.unref?.()
    return this
  }

  cancel(): void {
    this.#cancelled = true
    clearTimeout(this.#current)
  }
}

/**
 * The real clock. Globals are looked up on every call (not captured at import)
 * so `vi.useFakeTimers()` works on code that uses it. Delays longer than the host
 * timer allows ({@link MAX_TIMER_DELAY_MS}, about 24.8 days) are waited out in
 * steps, so a week-long budget or cooldown fires after a week, not at once.
 * `Infinity` never fires; NaN or a negative delay fires as soon as possible, as with `setTimeout`.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const delay = Number.isNaN(ms) || ms < 0 ? 0 : ms
    if (delay <= MAX_TIMER_DELAY_MS) return setTimeout(callback, delay)
    return new ChainedTimer(callback, Date.now() + delay)
  },
  clearTimeout: (handle) => {
    if (handle instanceof ChainedTimer) handle.cancel()
    else clearTimeout(handle as ReturnType<typeof setTimeout>)
  },
}

export interface IdGenerator {
  /** A new unique id, e.g. `task_01j…`. The prefix says what the id names. */
  next(prefix: string): string
}

/** Time-sortable random ids: base36 time + random suffix. */
export function createRandomIds(clock: Pick<Clock, 'now'> = systemClock): IdGenerator {
  return {
    next(prefix) {
      const time = clock.now().toString(36).padStart(9, '0')
      const random = globalThis.crypto.randomUUID().replaceAll('-', '').slice(0, 12)
      return `${prefix}_${time}${random}`
    },
  }
}

/** Deterministic ids for tests and simulations: `task_1`, `task_2`, … per prefix. */
export function createSequentialIds(): IdGenerator {
  const counters = new Map<string, number>()
  return {
    next(prefix) {
      const value = (counters.get(prefix) ?? 0) + 1
      counters.set(prefix, value)
      return `${prefix}_${value}`
    },
  }
}

/**
 * Persistent storage for the mission folder. Paths are relative, `/`-separated,
 * and never leave the storage root.
 */
export interface Storage {
  /** File content, or `undefined` when the file does not exist. */
  read(path: string): Promise<string | undefined>
  /** Replaces a file atomically: readers see the old or the new content, never a mix. */
  write(path: string, content: string): Promise<void>
  /** Appends to a file, creating it when missing. */
  append(path: string, content: string): Promise<void>
  /** File names (not paths) directly inside a directory; empty when it does not exist. */
  list(directory: string): Promise<string[]>
  /** Size in bytes, or `undefined` when the file does not exist. */
  size(path: string): Promise<number | undefined>
  rename(from: string, to: string): Promise<void>
  remove(path: string): Promise<void>
}

/** In-memory {@link Storage}: for tests, simulations and hosts without a disk. */
export function createMemoryStorage(initial: Record<string, string> = {}): Storage & {
  /** Snapshot of every file, for assertions. */
  files(): Record<string, string>
} {
  const files = new Map(Object.entries(initial))
  const directoryOf = (path: string) => (path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '')
  return {
    async read(path) {
      return files.get(path)
    },
    async write(path, content) {
      files.set(path, content)
    },
    async append(path, content) {
      files.set(path, (files.get(path) ?? '') + content)
    },
    async list(directory) {
      const normalized = directory.replace(/\/+$/, '')
      const names: string[] = []
      for (const path of files.keys()) {
        if (directoryOf(path) === normalized) names.push(path.slice(normalized ? normalized.length + 1 : 0))
      }
      return names.sort()
    },
    async size(path) {
      const content = files.get(path)
      return content === undefined ? undefined : new TextEncoder().encode(content).byteLength
    },
    async rename(from, to) {
      const content = files.get(from)
      if (content === undefined) throw new Error(`Cannot rename ${from}: no such file`)
      files.delete(from)
      files.set(to, content)
    },
    async remove(path) {
      files.delete(path)
    },
    files: () => Object.fromEntries(files),
  }
}

/** Options for starting a background process. */
export interface SpawnOptions {
  /** Shell command line, run by the host's shell. */
  command: string
  cwd: string
  env?: Record<string, string>
  /** Maximum bytes of combined output kept in memory (ring buffer). */
  outputLimitBytes?: number
}

export interface ProcessExit {
  /** Exit code, or `null` when the process was ended by a signal. */
  code: number | null
  signal: string | null
}

/** A running background process. */
export interface ProcessHandle {
  readonly pid: number
  /** Settles when the process itself exits (never inferred from output). */
  readonly exited: Promise<ProcessExit>
  /** Combined stdout/stderr kept in the ring buffer. */
  output(options?: { tailBytes?: number; sinceByte?: number }): { text: string; nextByte: number; truncated: boolean }
  /** Kills the whole process group. Resolves once the process has exited. */
  kill(signal?: 'SIGTERM' | 'SIGKILL'): Promise<ProcessExit>
}

export interface ProcessRunner {
  spawn(options: SpawnOptions): ProcessHandle
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** Structured logger. `fields` must be JSON-serialisable. */
export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void
  /** A logger that adds `fields` to every entry. */
  child(fields: Record<string, unknown>): Logger
}

/** Logger that calls `sink` with one structured entry per log call. */
export function createLogger(
  sink: (entry: { level: LogLevel; message: string; fields: Record<string, unknown> }) => void,
  base: Record<string, unknown> = {},
): Logger {
  return {
    log(level, message, fields) {
      sink({ level, message, fields: { ...base, ...fields } })
    },
    child(fields) {
      return createLogger(sink, { ...base, ...fields })
    },
  }
}

/** Workspaces of writing tasks (git worktrees): the port and its types live in `task-workspaces.ts`. */
export type { TaskWorkspace, TaskWorkspaces } from './task-workspaces'
