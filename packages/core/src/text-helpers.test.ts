import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance } from './did-you-mean'
import { formatDuration } from './format-duration'
import { truncateText } from './truncate-text'

describe('formatDuration', () => {
  it('reads in the largest useful units', () => {
    expect(formatDuration(850)).toBe('850 ms')
    expect(formatDuration(12_340)).toBe('12.3 s')
    expect(formatDuration(59_960)).toBe('1m 00s')
    expect(formatDuration(245_000)).toBe('4m 05s')
    expect(formatDuration(3_720_000)).toBe('1h 02m')
  })
  it('has a whole-second and a minute precision', () => {
    expect(formatDuration(8_400, { smallest: 's' })).toBe('8 s')
    expect(formatDuration(400, { smallest: 's' })).toBe('0 s')
    expect(formatDuration(245_000, { smallest: 's' })).toBe('4m 05s')
    expect(formatDuration(12 * 60_000 + 59_000, { smallest: 'min' })).toBe('12m')
    expect(formatDuration(65 * 60_000, { smallest: 'min' })).toBe('1h 05m')
  })
  it('reads nonsense as zero', () => {
    expect(formatDuration(-5)).toBe('0 ms')
    expect(formatDuration(Number.NaN, { smallest: 'min' })).toBe('0m')
  })
})

describe('didYouMean', () => {
  it('finds a small typo, a case slip, and nothing for a stranger', () => {
    expect(editDistance('reviwer', 'reviewer')).toBe(1)
    expect(didYouMean('reviwer', ['commander', 'reviewer'])).toBe('reviewer')
    expect(didYouMean('Worker', ['worker'])).toBe('worker')
    expect(didYouMean('database', ['worker', 'planner'])).toBeUndefined()
    expect(didYouMean('abc', ['abd', 'abe'])).toBe('abd')
    expect(didYouMean('abcd', ['abxy'], { maxDistance: 1 })).toBeUndefined()
  })
})

describe('truncateText', () => {
  it('collapses whitespace and cuts with an ellipsis within the limit', () => {
    expect(truncateText('  a\n\tb  ', 10)).toBe('a b')
    expect(truncateText('hello world, again', 8)).toBe('hello w…')
    expect(truncateText('hello world', 7)).toBe('hello…')
    expect(truncateText('hello', 1)).toBe('…')
    expect(truncateText('hello', 0)).toBe('')
  })
})
