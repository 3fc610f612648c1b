import type { Todo } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { adoptTodoEdits } from './adopt-todo-edits'

const todo = (id: string, extra: Partial<Todo> = {}): Todo => ({ id, title: `todo ${id}`, status: 'pending', dependsOn: [], createdAt: 1, updatedAt: 1, ...extra })
const verified = (id: string, extra: Partial<Todo> = {}) => todo(id, { status: 'done', evidence: { summary: 'ran the tests', reviewerSessionId: 'rev', recordedAt: 5 }, ...extra })

describe('adoptTodoEdits', () => {
  it('never takes a done mark or evidence from the file', () => {
    const journal = [todo('t1', { status: 'in_progress', assignee: { agent: 'worker', sessionId: 'w1' } }), todo('t2')]
    const edited = [
      todo('t1', { status: 'done', evidence: { summary: 'trust me', reviewerSessionId: 'rev', recordedAt: 9 }, createdAt: 7 }),
      todo('t2', { status: 'blocked', evidence: { summary: 'stray', recordedAt: 9 } }),
      todo('t3', { status: 'done', evidence: { summary: 'new and done?', recordedAt: 9 } }),
    ]
    const { todos, refused, wiped } = adoptTodoEdits(journal, edited)
    expect(wiped).toBe(false)
    expect(todos).toEqual([
      todo('t1', { status: 'in_progress', assignee: { agent: 'worker', sessionId: 'w1' } }),
      todo('t2', { status: 'blocked' }),
      todo('t3'),
    ])
    expect(refused).toHaveLength(3)
    expect(refused[0]).toContain('t1 is marked done in todo.md')
    expect(refused[1]).toContain('t2: evidence is recorded only by the Reviewer')
  })

  it('keeps a verified todo exactly as verified, wherever the file moved it, and brings back a removed one', () => {
    const journal = [verified('t1'), todo('t2', { dependsOn: ['t1'] }), verified('t3', { dependsOn: ['t4'] }), todo('t4')]
    const edited = [todo('t2', { title: 'reworded' }), todo('t1', { title: 'changed' })]
    const { todos, refused } = adoptTodoEdits(journal, edited)
    expect(todos).toEqual([todo('t2', { title: 'reworded' }), verified('t1'), verified('t3')])
    // t3 depended on t4, which the edit removed: the verified todo stays, without that dependency.
    expect(todos[2]!.dependsOn).toEqual([])
    expect(refused).toEqual([
      't1 is verified by the Reviewer: its title, status, evidence and note stay as verified.',
      't3 is verified by the Reviewer and cannot be removed through todo.md; it was kept.',
    ])
  })

  it('treats an edit without any todo as wiped, never as "remove every todo"', () => {
    const journal = [verified('t1'), todo('t2')]
    expect(adoptTodoEdits(journal, [])).toEqual({ todos: journal, wiped: true, refused: [] })
    expect(adoptTodoEdits([], [])).toEqual({ todos: [], wiped: false, refused: [] })
  })
})
