import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_DELAY_MS, systemClock } from './ports'

const DAY_MS = 86_400_000

describe('systemClock', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('waits out a delay longer than the host timer allows instead of firing at once', async () => {
    const fired = vi.fn()
    // budgets.maxWallTimeMinutes: 100000 → 6e9 ms, beyond a 32-bit timer.
    systemClock.setTimeout(fired, 100_000 * 60_000)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(MAX_TIMER_DELAY_MS)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(100_000 * 60_000 - MAX_TIMER_DELAY_MS - 3_001)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(2)
    expect(fired).toHaveBeenCalledTimes(1)
  })

  it('arms one host timer at a time for a long delay (no spinning)', async () => {
    const fired = vi.fn()
    systemClock.setTimeout(fired, 1e12)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(40 * DAY_MS)
    expect(vi.getTimerCount()).toBe(1)
    expect(fired).not.toHaveBeenCalled()
  })

  it('cancels a long delay, also after it was re-armed', async () => {
    const fired = vi.fn()
    const handle = systemClock.setTimeout(fired, 60 * DAY_MS)
    await vi.advanceTimersByTimeAsync(30 * DAY_MS)
    systemClock.clearTimeout(handle)
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(60 * DAY_MS)
    expect(fired).not.toHaveBeenCalled()
  })

  it('never fires an infinite delay, and fires NaN or negative delays at once', async () => {
    const never = vi.fn()
    const soon = vi.fn()
    systemClock.setTimeout(never, Number.POSITIVE_INFINITY)
    systemClock.setTimeout(soon, Number.NaN)
    systemClock.setTimeout(soon, -5)
    await vi.advanceTimersByTimeAsync(100 * DAY_MS)
    expect(never).not.toHaveBeenCalled()
    expect(soon).toHaveBeenCalledTimes(2)
  })

  it('keeps short delays on a plain host timer', async () => {
    const fired = vi.fn()
    systemClock.setTimeout(fired, 1_000)
    await vi.advanceTimersByTimeAsync(999)
    expect(fired).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(fired).toHaveBeenCalledTimes(1)
  })
})
