import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { parseTodoInputs, parseTodoStatusUpdate } from './todo-input'

function messageOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (OrchestratorError.hasCode(error, 'todo-invalid')) return error.message
    throw error
  }
  throw new Error('expected todo-invalid')
}

describe('parseTodoInputs', () => {
  it('accepts and normalises a planner list', () => {
    expect(
      parseTodoInputs([
        { title: '  Schema  ' },
        { id: 'api', title: 'Routes', dependsOn: ['t1', 't1'], note: 'use bcrypt  \r\n\r\n' },
        { title: 'Docs', dependsOn: null, note: '' },
      ]),
    ).toEqual([{ title: 'Schema' }, { id: 'api', title: 'Routes', dependsOn: ['t1'], note: 'use bcrypt' }, { title: 'Docs' }])
  })

  it('reports every problem by path with the fix and an example', () => {
    const message = messageOf(() => parseTodoInputs([{ title: 'ok' }, {}, { title: 'x', depends_on: ['t1'] }, { title: 'y', dependsOn: 't1,t2' }, 'z']))
    expect(message).toBe(
      [
        'Invalid todo list (4 problems):',
        '- todos[1].title: required: a one-line description of the work, got nothing',
        '- todos[2].depends_on: unknown field; did you mean "dependsOn"?',
        '- todos[3].dependsOn: must be an array of todo ids like ["t1", "t2"], got the string "t1,t2"',
        '- todos[4]: must be an object like {"title": "Add the login route", "dependsOn": ["t1"]}, got the string "z"',
        'Fix these fields and call again. A valid item looks like {"title": "Add the login route", "dependsOn": ["t1"]}',
      ].join('\n'),
    )
  })

  it('names bad ids, titles and duplicates', () => {
    const message = messageOf(() => parseTodoInputs([{ id: 'a b', title: 'A' }, { id: 'x', title: 'B\nC' }, { id: 'x', title: 'D', dependsOn: [3] }, { title: 'E', deps: [] }]))
    expect(message).toContain('todos[0].id: "a b" is not a valid id')
    expect(message).toContain('todos[1].title: must be a single line; put details into a note')
    expect(message).toContain('todos[2].id: "x" is already used by todos[1]')
    expect(message).toContain('todos[2].dependsOn[0]: must be a string like "t1", got number 3')
    expect(message).toContain('todos[3].deps: unknown field; did you mean "dependsOn"?')
  })

  it('rejects a non-array', () => {
    expect(messageOf(() => parseTodoInputs({ todos: [] }))).toContain('todos: must be an array of todo items')
  })
})

describe('parseTodoStatusUpdate', () => {
  it('accepts a status change with evidence', () => {
    expect(parseTodoStatusUpdate({ id: 't2', status: 'done', evidence: 'ran tests\n', note: null })).toEqual({ id: 't2', status: 'done', evidence: 'ran tests' })
  })

  it('explains missing and wrong fields', () => {
    const message = messageOf(() => parseTodoStatusUpdate({ status: 'complete', Evidence: 'x' }))
    expect(message).toContain('update.id: required: the id of the todo to update; must be a string like "t1", got nothing')
    expect(message).toContain('update.status: required: one of pending, in_progress, done, failed, blocked, cancelled; got the string "complete"')
    expect(message).toContain('update.Evidence: unknown field; did you mean "evidence"?')
  })
})
