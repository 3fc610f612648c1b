import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createFakeClock } from './fake-clock'

describe('createFakeClock', () => {
  it('starts at the given time and only moves when told', () => {
    const clock = createFakeClock({ start: 1_000 })
    expect(clock.now()).toBe(1_000)
    clock.advance(250)
    expect(clock.now()).toBe(1_250)
  })

  it('fires timers in due order, equal due times in insertion order, each at its own time', () => {
    const clock = createFakeClock()
    const fired: Array<[string, number]> = []
    clock.setTimeout(() => fired.push(['c', clock.now()]), 30)
    clock.setTimeout(() => fired.push(['a', clock.now()]), 10)
    clock.setTimeout(() => fired.push(['b1', clock.now()]), 20)
    clock.setTimeout(() => fired.push(['b2', clock.now()]), 20)
    clock.advance(25)
    expect(fired).toEqual([
      ['a', 10],
      ['b1', 20],
      ['b2', 20],
    ])
    expect(clock.now()).toBe(25)
    expect(clock.pending()).toBe(1)
    expect(clock.nextDueAt()).toBe(30)
  })

  it('fires timers set by timers when they fall inside the advanced window', () => {
    const clock = createFakeClock()
    const fired: number[] = []
    clock.setTimeout(() => {
      fired.push(clock.now())
      clock.setTimeout(() => fired.push(clock.now()), 5)
      clock.setTimeout(() => fired.push(clock.now()), 50)
    }, 10)
    clock.advance(20)
    expect(fired).toEqual([10, 15])
    expect(clock.pending()).toBe(1)
  })

  it('clearTimeout cancels, including from another timer, and ignores foreign handles', () => {
    const clock = createFakeClock()
    const fired: string[] = []
    const later = clock.setTimeout(() => fired.push('later'), 20)
    clock.setTimeout(() => clock.clearTimeout(later), 10)
    clock.clearTimeout(undefined)
    clock.clearTimeout(42)
    expect(clock.pending()).toBe(2)
    clock.advance(100)
    expect(fired).toEqual([])
    expect(clock.pending()).toBe(0)
    expect(clock.nextDueAt()).toBeUndefined()
  })

  it('treats negative delays as zero and rejects NaN and bad advances', () => {
    const clock = createFakeClock({ start: 5 })
    let firedAt = -1
    clock.setTimeout(() => (firedAt = clock.now()), -10)
    clock.advance(0)
    expect(firedAt).toBe(5)
    expect(() => clock.setTimeout(() => {}, Number.NaN)).toThrow(/NaN/)
    const error = (() => {
      try {
        clock.advance(-1)
      } catch (caught) {
        return caught
      }
      return undefined
    })()
    expect(OrchestratorError.hasCode(error, 'invalid-argument')).toBe(true)
  })

  it('runAll fires everything, runNext one at a time', () => {
    const clock = createFakeClock()
    const fired: number[] = []
    for (const ms of [300, 100, 200]) clock.setTimeout(() => fired.push(ms), ms)
    expect(clock.runNext()).toBe(true)
    expect(fired).toEqual([100])
    expect(clock.runAll()).toBe(2)
    expect(fired).toEqual([100, 200, 300])
    expect(clock.now()).toBe(300)
    expect(clock.runNext()).toBe(false)
  })

  it('runAll stops a timer that re-arms itself forever with limit-exceeded', () => {
    const clock = createFakeClock({ maxRunAllTimers: 50 })
    const rearm = () => void clock.setTimeout(rearm, 1)
    rearm()
    expect(() => clock.runAll()).toThrow(/re-arms itself/)
  })

  it('advanceAsync lets promise chains started by a timer set the next timer', async () => {
    const clock = createFakeClock()
    const fired: number[] = []
    clock.setTimeout(() => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => clock.setTimeout(() => fired.push(clock.now()), 5))
    }, 10)
    // With the synchronous advance the promise has not run yet when the window closes.
    await clock.advanceAsync(20)
    expect(fired).toEqual([15])
  })

  it('runAllAsync drains async timer chains', async () => {
    const clock = createFakeClock()
    let count = 0
    const step = async () => {
      await Promise.resolve()
      count++
      if (count < 5) clock.setTimeout(() => void step(), 100)
    }
    clock.setTimeout(() => void step(), 100)
    expect(await clock.runAllAsync()).toBe(5)
    expect(count).toBe(5)
    expect(clock.now()).toBe(500)
  })

  it('handles thousands of timers in order', () => {
    const clock = createFakeClock()
    const fired: number[] = []
    // Deterministic pseudo-random delays.
    let seed = 7
    const delays: number[] = []
    for (let index = 0; index < 5_000; index++) {
      seed = (seed * 48_271) % 2_147_483_647
      delays.push(seed % 10_000)
    }
    for (const delay of delays) clock.setTimeout(() => fired.push(clock.now()), delay)
    clock.runAll()
    expect(fired).toHaveLength(5_000)
    expect(fired).toEqual([...delays].sort((a, b) => a - b))
  })
})
