import type { Todo } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { todoProgressKey } from './todo-progress-key'
import { isSealable, summarizeTodos } from './todo-summary'

const base = { dependsOn: [], createdAt: 0, updatedAt: 0 }
const todos: Todo[] = [
  { ...base, id: 't1', title: 'A', status: 'done', evidence: { summary: 'ok', recordedAt: 1 } },
  { ...base, id: 't2', title: 'B', status: 'pending', dependsOn: ['t1'] },
  { ...base, id: 't3', title: 'C', status: 'pending', dependsOn: ['t2'] },
  { ...base, id: 't4', title: 'D', status: 'failed', note: 'x' },
]

describe('summarizeTodos', () => {
  it('counts per status, verified and ready', () => {
    expect(summarizeTodos(todos)).toEqual({ pending: 2, in_progress: 0, done: 1, failed: 1, blocked: 0, cancelled: 0, total: 4, verified: 1, ready: 1 })
  })
})

describe('isSealable', () => {
  it('needs a non-empty list with every todo done and verified', () => {
    expect(isSealable([])).toBe(false)
    expect(isSealable([todos[0]!])).toBe(true)
    expect(isSealable([todos[0]!, { ...todos[0]!, id: 't9', evidence: undefined }])).toBe(false)
    expect(isSealable([todos[0]!, { ...todos[0]!, id: 't9', status: 'cancelled' }])).toBe(false)
  })
})

describe('todoProgressKey', () => {
  it('ignores order, titles, notes and dependencies', () => {
    const edited = [...todos].reverse().map((todo) => ({ ...todo, title: `${todo.title}!`, note: 'changed', dependsOn: [] }))
    expect(todoProgressKey(edited)).toBe(todoProgressKey(todos))
  })

  it('changes with a status, new evidence, an added or a removed todo', () => {
    const key = todoProgressKey(todos)
    expect(todoProgressKey(todos.map((todo) => (todo.id === 't2' ? { ...todo, status: 'in_progress' } : todo)))).not.toBe(key)
    expect(todoProgressKey(todos.map((todo) => (todo.id === 't1' ? { ...todo, evidence: { summary: 'again', recordedAt: 2 } } : todo)))).not.toBe(key)
    expect(todoProgressKey([...todos, { ...base, id: 't5', title: 'E', status: 'pending' }])).not.toBe(key)
    expect(todoProgressKey(todos.slice(1))).not.toBe(key)
  })
})
