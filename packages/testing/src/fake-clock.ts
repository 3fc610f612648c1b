import { setImmediate as realSetImmediate } from 'node:timers/promises'
import { OrchestratorError } from '@opencode-orchestrator/core'
import type { Clock, TimerHandle } from '@opencode-orchestrator/core'

export interface CreateFakeClockOptions {
  /** Epoch ms the clock starts at. Default `0`. */
  start?: number
  /**
   * Upper bound on timers run by one `runAll()`: a timer that keeps re-arming itself would
   * otherwise loop forever. Default `100_000`.
   */
  maxRunAllTimers?: number
}

/** Options of {@link FakeClock.advanceAsync} and {@link FakeClock.runAllAsync}. */
export interface FakeClockAsyncOptions {
  /**
   * Macrotask turns to yield after each timer so promise chains started by the timer settle
   * before the next one fires. Default `1` (one turn drains every queued microtask).
   */
  flushTurns?: number
}

/**
 * A {@link Clock} whose time only moves when the test says so. Timers fire in due-time order
 * (insertion order for equal times), synchronously inside `advance` / `runAll`.
 */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, firing every timer that falls due on the way (including timers those timers set). */
  advance(ms: number): void
  /** Like `advance`, but lets promise chains settle after each timer (for async code under test). */
  advanceAsync(ms: number, options?: FakeClockAsyncOptions): Promise<void>
  /** Fires timers until none is left, moving time to each due time. Returns the number of timers fired. */
  runAll(): number
  /** Like `runAll`, letting promise chains settle after each timer. */
  runAllAsync(options?: FakeClockAsyncOptions): Promise<number>
  /** Fires the earliest pending timer, if any. Returns whether one fired. */
  runNext(): boolean
  /** Number of timers still pending. */
  pending(): number
  /** Due time (epoch ms) of the earliest pending timer, or `undefined` when none is pending. */
  nextDueAt(): number | undefined
}

interface TimerEntry {
  id: number
  dueAt: number
  /** Tie-breaker: timers due at the same time fire in the order they were set. */
  sequence: number
  callback: () => void
}

/** Handle returned by the fake clock's `setTimeout`. */
interface FakeTimerHandle {
  readonly fakeTimerId: number
}

/** Binary min-heap on (dueAt, sequence): simulations keep thousands of timers pending. */
class TimerHeap {
  private readonly items: TimerEntry[] = []

  get size(): number {
    return this.items.length
  }

  peek(): TimerEntry | undefined {
    return this.items[0]
  }

  push(entry: TimerEntry): void {
    const items = this.items
    items.push(entry)
    let index = items.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!TimerHeap.before(items[index]!, items[parent]!)) break
      ;[items[index], items[parent]] = [items[parent]!, items[index]!]
      index = parent
    }
  }

  pop(): TimerEntry | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let index = 0
    for (;;) {
      const left = index * 2 + 1
      const right = left + 1
      let smallest = index
      if (left < items.length && TimerHeap.before(items[left]!, items[smallest]!)) smallest = left
      if (right < items.length && TimerHeap.before(items[right]!, items[smallest]!)) smallest = right
      if (smallest === index) break
      ;[items[index], items[smallest]] = [items[smallest]!, items[index]!]
      index = smallest
    }
    return top
  }

  private static before(a: TimerEntry, b: TimerEntry): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.sequence < b.sequence)
  }
}

function assertDuration(field: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `${field} must be a finite number >= 0, got ${String(value)}. Pass the milliseconds to move the fake clock by.`,
      details: { field, value },
    })
  }
}

/**
 * Creates a deterministic clock for unit tests and simulations. Works without
 * `vi.useFakeTimers()`: nothing here touches global timers (except `*Async`, which yields
 * real macrotask turns so pending promises settle).
 *
 * @example
 * const clock = createFakeClock({ start: 1_000 })
 * clock.setTimeout(() => console.log('fired at', clock.now()), 500)
 * clock.advance(500) // fired at 1500
 */
export function createFakeClock(options: CreateFakeClockOptions = {}): FakeClock {
  const start = options.start ?? 0
  if (!Number.isFinite(start)) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `createFakeClock: start must be a finite epoch ms, got ${String(start)}.`,
      details: { field: 'start', value: start },
    })
  }
  const maxRunAllTimers = options.maxRunAllTimers ?? 100_000
  let now = start
  let nextId = 1
  let nextSequence = 0
  const heap = new TimerHeap()
  // Live timers by id; cleared timers leave the heap lazily when they reach its top.
  const live = new Map<number, TimerEntry>()

  const dropCleared = () => {
    for (let top = heap.peek(); top !== undefined && !live.has(top.id); top = heap.peek()) heap.pop()
  }

  /** Fires the earliest timer due at or before `limit`. */
  const fireNext = (limit: number): boolean => {
    dropCleared()
    const top = heap.peek()
    if (top === undefined || top.dueAt > limit) return false
    heap.pop()
    live.delete(top.id)
    now = Math.max(now, top.dueAt)
    top.callback()
    return true
  }

  const flush = async (turns: number) => {
    for (let turn = 0; turn < turns; turn++) await realSetImmediate()
  }

  const tooManyTimers = (fired: number) =>
    new OrchestratorError({
      code: 'limit-exceeded',
      message: `FakeClock.runAll fired ${fired} timers and timers are still pending: a timer probably re-arms itself forever. Use advance(ms) instead, or raise maxRunAllTimers.`,
      details: { fired, pending: live.size, now },
    })

  return {
    now: () => now,
    setTimeout(callback, ms) {
      if (Number.isNaN(ms)) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: 'FakeClock.setTimeout: ms is NaN. Pass a delay in milliseconds.',
          details: { field: 'ms', value: ms },
        })
      }
      const entry: TimerEntry = { id: nextId++, dueAt: now + Math.max(0, ms), sequence: nextSequence++, callback }
      live.set(entry.id, entry)
      heap.push(entry)
      const handle: FakeTimerHandle = { fakeTimerId: entry.id }
      return handle
    },
    clearTimeout(handle: TimerHandle) {
      if (typeof handle === 'object' && handle !== null && 'fakeTimerId' in handle) {
        live.delete((handle as FakeTimerHandle).fakeTimerId)
      }
    },
    advance(ms) {
      assertDuration('FakeClock.advance(ms)', ms)
      const target = now + ms
      while (fireNext(target)) {
        // fireNext moves `now` to each timer's due time.
      }
      now = target
    },
    async advanceAsync(ms, asyncOptions) {
      assertDuration('FakeClock.advanceAsync(ms)', ms)
      const turns = asyncOptions?.flushTurns ?? 1
      const target = now + ms
      await flush(turns)
      while (fireNext(target)) await flush(turns)
      now = target
    },
    runAll() {
      let fired = 0
      while (fireNext(Number.POSITIVE_INFINITY)) {
        fired++
        if (fired >= maxRunAllTimers && live.size > 0) throw tooManyTimers(fired)
      }
      return fired
    },
    async runAllAsync(asyncOptions) {
      const turns = asyncOptions?.flushTurns ?? 1
      let fired = 0
      await flush(turns)
      while (fireNext(Number.POSITIVE_INFINITY)) {
        fired++
        await flush(turns)
        if (fired >= maxRunAllTimers && live.size > 0) throw tooManyTimers(fired)
      }
      return fired
    },
    runNext: () => fireNext(Number.POSITIVE_INFINITY),
    pending: () => live.size,
    nextDueAt() {
      dropCleared()
      return heap.peek()?.dueAt
    },
  }
}
