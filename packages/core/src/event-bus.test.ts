import { describe, expect, it } from 'vitest'
import { createEventBus } from './event-bus'

type Events = { 'task-start': { id: string }; 'task-end': { id: string; ok: boolean } }

describe('createEventBus', () => {
  it('delivers typed payloads and unsubscribes', () => {
    const bus = createEventBus<Events>({ onListenerError: (error) => { throw error } })
    const seen: string[] = []
    const off = bus.on('task-start', ({ id }) => seen.push(id))
    bus.emit('task-start', { id: 'a' })
    off()
    bus.emit('task-start', { id: 'b' })
    expect(seen).toEqual(['a'])
  })

  it('reports a throwing listener and still calls the others', () => {
    const errors: Array<[unknown, string]> = []
    const bus = createEventBus<Events>({ onListenerError: (error, name) => errors.push([error, name]) })
    const seen: boolean[] = []
    bus.on('task-end', () => {
      throw new Error('boom')
    })
    bus.on('task-end', ({ ok }) => seen.push(ok))
    bus.emit('task-end', { id: 'a', ok: true })
    expect(seen).toEqual([true])
    expect(errors).toHaveLength(1)
    expect(errors[0]?.[1]).toBe('task-end')
  })

  it('lets two buses live side by side without sharing listeners', () => {
    const first = createEventBus<Events>({ onListenerError: () => {} })
    const second = createEventBus<Events>({ onListenerError: () => {} })
    const seen: string[] = []
    first.on('task-start', ({ id }) => seen.push(`first:${id}`))
    second.emit('task-start', { id: 'x' })
    expect(seen).toEqual([])
    expect(first.listenerCount('task-start')).toBe(1)
  })

  it('onAny sees every event with its name', () => {
    const bus = createEventBus<Events>({ onListenerError: () => {} })
    const names: string[] = []
    bus.onAny((name) => names.push(name))
    bus.emit('task-start', { id: 'a' })
    bus.emit('task-end', { id: 'a', ok: false })
    expect(names).toEqual(['task-start', 'task-end'])
  })
})
