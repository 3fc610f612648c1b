import { OrchestratorError, type Todo } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { nextTodoId } from './todo-id'
import { normalizeTodoText } from './todo-text'
import { assertValidTodos, validateTodo, validateTodos } from './validate-todo'

const valid: Todo = { id: 't1', title: 'Schema', status: 'pending', dependsOn: [], createdAt: 0, updatedAt: 0 }

describe('validateTodo', () => {
  it('accepts a valid todo', () => {
    expect(validateTodo(valid)).toEqual([])
  })

  it('names the todo and the field of every problem', () => {
    const bad = {
      ...valid,
      title: ' padded',
      status: 'finished',
      dependsOn: ['t1', 'x y', 't2', 't2'],
      assignee: { agent: 'my agent' },
      note: 'trailing \n',
      updatedAt: -1,
    } as unknown as Todo
    expect(validateTodo(bad).map((issue) => [issue.id, issue.field])).toEqual([
      ['t1', 'title'],
      ['t1', 'status'],
      ['t1', 'dependsOn[0]'],
      ['t1', 'dependsOn[1]'],
      ['t1', 'dependsOn[3]'],
      ['t1', 'assignee.agent'],
      ['t1', 'note'],
      ['t1', 'updatedAt'],
    ])
  })

  it('rejects control characters, line separators and lone surrogates in titles', () => {
    for (const title of ['a\u0007b', 'a\u2028b', 'a\ud800b', 'a\rb']) expect(validateTodo({ ...valid, title })[0]?.field).toBe('title')
    expect(validateTodo({ ...valid, title: 'tabs\tand émoji 🚀 and <!-- --> are fine' })).toEqual([])
  })

  it('requires evidence for done', () => {
    expect(validateTodo({ ...valid, status: 'done' })).toEqual([
      { id: 't1', field: 'evidence', message: 'a done todo needs Reviewer evidence: what was verified and how (commands run, files read)' },
    ])
  })
})

describe('validateTodos / assertValidTodos', () => {
  it('reports repeated ids with their positions', () => {
    expect(validateTodos([valid, { ...valid, title: 'Again' }])).toEqual([{ id: 't1', index: 1, field: 'id', message: 't1 is used by todos #1 and #2; ids must be unique' }])
  })

  it('throws todo-invalid with every problem', () => {
    try {
      assertValidTodos([{ ...valid, title: '' }, { ...valid, id: 'bad id' }])
      expect.unreachable()
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'todo-invalid')).toBe(true)
      expect((error as Error).message).toMatch(/^Invalid todo list \(2 problems\):\n- todo t1, title: is empty.*\n- todo #2, id: "bad id" is not a valid id/)
    }
  })
})

describe('nextTodoId', () => {
  it('counts above the highest t<n>', () => {
    expect(nextTodoId(new Set(['t2', 't10', 'api', 't3b']))).toBe('t11')
    expect(nextTodoId(new Set())).toBe('t1')
  })

  it('skips taken ids of an injected generator and gives up on one that never yields a free id', () => {
    let count = 0
    expect(nextTodoId(new Set(['t_1', 't_2']), { next: (prefix) => `${prefix}_${++count}` })).toBe('t_3')
    expect(() => nextTodoId(new Set(['t_1']), { next: () => 't_1' })).toThrowError(/no free todo id in 1000 tries/)
  })
})

describe('normalizeTodoText', () => {
  it('unifies line ends and trims lines and blank edges, keeping inner blank lines and indentation', () => {
    expect(normalizeTodoText('\r\n  first  \r\n\r\n    indented\t\rlast \n\n')).toBe('first\n\n    indented\nlast')
  })
})
