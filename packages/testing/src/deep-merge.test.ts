import { describe, expect, it } from 'vitest'
import { deepMerge } from './deep-merge'

describe('deepMerge', () => {
  it('merges nested objects, replaces arrays and scalars, leaves inputs alone', () => {
    const base = { a: 1, nested: { keep: true, list: [1, 2], deep: { x: 1 } }, plugin: ['a'] }
    const override = { nested: { list: [3], deep: { y: 2 } }, plugin: ['b'], added: 'yes' }
    const merged = deepMerge(base, override)
    expect(merged).toEqual({ a: 1, nested: { keep: true, list: [3], deep: { x: 1, y: 2 } }, plugin: ['b'], added: 'yes' })
    expect(base.nested.list).toEqual([1, 2])
    expect(base.nested.deep).toEqual({ x: 1 })
  })

  it('lets an override replace an object with a scalar', () => {
    expect(deepMerge({ a: { b: 1 } }, { a: false })).toEqual({ a: false })
    expect(deepMerge({ a: 1 }, undefined)).toEqual({ a: 1 })
  })
})
