import { OrchestratorError, createSequentialIds } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createTodoList, type TodoList } from './todo-list'

function setup() {
  let now = 1_000
  const clock = { now: () => now }
  const advance = (ms: number) => {
    now += ms
  }
  return { clock, advance }
}

function planned(): { list: TodoList; advance: (ms: number) => void } {
  const { clock, advance } = setup()
  const list = createTodoList({ clock }).add([{ title: 'Schema' }, { title: 'Routes', dependsOn: ['t1'] }, { title: 'Docs', dependsOn: ['t2'] }])
  return { list, advance }
}

function errorOf(run: () => unknown): OrchestratorError {
  try {
    run()
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected an OrchestratorError')
}

describe('TodoList', () => {
  it('creates pending todos with short ids and timestamps', () => {
    const { list } = planned()
    expect(list.todos).toEqual([
      { id: 't1', title: 'Schema', status: 'pending', dependsOn: [], createdAt: 1000, updatedAt: 1000 },
      { id: 't2', title: 'Routes', status: 'pending', dependsOn: ['t1'], createdAt: 1000, updatedAt: 1000 },
      { id: 't3', title: 'Docs', status: 'pending', dependsOn: ['t2'], createdAt: 1000, updatedAt: 1000 },
    ])
    expect(list.ready().map((todo) => todo.id)).toEqual(['t1'])
  })

  it('continues numbering above the highest id and keeps chosen ids', () => {
    const { clock } = setup()
    const list = createTodoList({ clock }).add([{ id: 't7', title: 'A' }, { title: 'B' }, { id: 'api', title: 'C', dependsOn: ['t8'] }])
    expect(list.todos.map((todo) => todo.id)).toEqual(['t7', 't8', 'api'])
  })

  it('uses an injected id generator', () => {
    const { clock } = setup()
    const list = createTodoList({ clock, ids: createSequentialIds() }).add([{ title: 'A' }, { title: 'B' }])
    expect(list.todos.map((todo) => todo.id)).toEqual(['t_1', 't_2'])
  })

  it('is immutable: operations return new lists and todos are frozen', () => {
    const { list } = planned()
    const next = list.setStatus('t1', 'in_progress')
    expect(list.get('t1')?.status).toBe('pending')
    expect(next.get('t1')?.status).toBe('in_progress')
    expect(Object.isFrozen(next.get('t1'))).toBe(true)
    expect(() => (next.todos as unknown as unknown[]).push({})).toThrow()
  })

  it('never shares objects with the caller', () => {
    const { clock } = setup()
    const assignee = { agent: 'worker' }
    const list = createTodoList({ clock, todos: [{ id: 'a', title: 'A', status: 'in_progress', dependsOn: [], assignee, createdAt: 0, updatedAt: 0 }] })
    assignee.agent = 'changed'
    expect(list.get('a')?.assignee?.agent).toBe('worker')
    expect(Object.isFrozen(assignee)).toBe(false)
  })

  it('rejects unknown dependencies and cycles when adding', () => {
    const { list } = planned()
    expect(errorOf(() => list.add([{ title: 'X', dependsOn: ['t9'] }])).code).toBe('todo-unknown-dependency')
    expect(errorOf(() => list.edit('t1', { dependsOn: ['t3'] })).message).toContain('t1 → t3 → t2 → t1')
  })

  it('rejects an existing id on add and names the field on bad titles', () => {
    const { list } = planned()
    expect(errorOf(() => list.add([{ id: 't1', title: 'again' }])).message).toContain('Todo t1 already exists')
    const error = errorOf(() => list.add([{ title: 'two\nlines' }]))
    expect(error.code).toBe('todo-invalid')
    expect(error.message).toContain('todo t4, title: must be a single line')
  })

  it('starts a todo only when its dependencies are done', () => {
    const { list } = planned()
    const error = errorOf(() => list.setStatus('t2', 'in_progress'))
    expect(error.message).toBe('Cannot start t2: it depends on t1 (pending), which must be done first.')
    expect(error.details).toMatchObject({ field: 'dependsOn', id: 't2', waitingFor: ['t1'] })
  })

  it('walks the Reviewer path: start, send back, done with evidence', () => {
    const { list, advance } = planned()
    advance(10)
    let next = list.setStatus('t1', 'in_progress', { assignee: { agent: 'worker', sessionId: 'ses_1' } })
    expect(next.get('t1')).toMatchObject({ status: 'in_progress', assignee: { agent: 'worker', sessionId: 'ses_1' }, updatedAt: 1010 })
    advance(10)
    next = next.sendBack('t1', 'tests fail: users.email is not unique')
    expect(next.get('t1')).toMatchObject({ status: 'pending', note: 'tests fail: users.email is not unique' })
    expect(next.get('t1')?.assignee).toBeUndefined()
    next = next.setStatus('t1', 'in_progress')
    advance(10)
    next = next.markDone('t1', { summary: '  ran `pnpm test`: 6 passed  \n', reviewerSessionId: 'ses_9' })
    expect(next.get('t1')).toMatchObject({ status: 'done', evidence: { summary: 'ran `pnpm test`: 6 passed', reviewerSessionId: 'ses_9', recordedAt: 1030 } })
    expect(next.ready().map((todo) => todo.id)).toEqual(['t2'])
    // Sending back done work clears the evidence: it must be verified again.
    const reopened = next.sendBack('t1', 'regressed')
    expect(reopened.get('t1')?.evidence).toBeUndefined()
    expect(reopened.summary()).toMatchObject({ pending: 3, verified: 0, ready: 1 })
  })

  it('refuses done without evidence and done through setStatus', () => {
    const { list } = planned()
    expect(errorOf(() => list.markDone('t1', { summary: '   ' })).message).toContain('done needs evidence')
    expect(errorOf(() => list.setStatus('t1', 'done' as never)).message).toContain('only the Reviewer marks a todo done')
  })

  it('enforces transitions and names the allowed ones', () => {
    const { list } = planned()
    const cancelled = list.setStatus('t1', 'cancelled')
    const error = errorOf(() => cancelled.setStatus('t1', 'in_progress'))
    expect(error.message).toBe('Todo t1 cannot go from cancelled to in_progress; allowed from cancelled: pending.')
    expect(errorOf(() => cancelled.markDone('t1', { summary: 'x' })).message).toContain('is cancelled')
    const done = list.markDone('t1', { summary: 'ok' })
    expect(errorOf(() => done.setStatus('t1', 'pending')).message).toContain('sendBack')
    expect(errorOf(() => list.sendBack('t1', 'x')).message).toContain('only work in progress, done, failed or blocked')
  })

  it('requires a note for failed and blocked', () => {
    const { list } = planned()
    expect(errorOf(() => list.setStatus('t1', 'failed')).message).toContain('needs a note')
    expect(list.setStatus('t1', 'blocked', { note: 'needs a token' }).get('t1')?.note).toBe('needs a token')
  })

  it('treats a repeated status change as a no-op', () => {
    const { list, advance } = planned()
    const started = list.setStatus('t1', 'in_progress', { assignee: { agent: 'worker' } })
    advance(50)
    expect(started.setStatus('t1', 'in_progress', { assignee: { agent: 'worker' } })).toBe(started)
  })

  it('replans: keeps status and evidence of known ids, adds new ones, removes the rest', () => {
    const { list, advance } = planned()
    const done = list.markDone('t1', { summary: 'ok' })
    advance(5)
    const next = done.replan([{ title: 'Routes and sessions', id: 't2' }, { id: 't1', title: 'Schema' }, { title: 'Deploy', dependsOn: ['t2'] }])
    expect(next.todos.map((todo) => [todo.id, todo.title, todo.status, todo.dependsOn, todo.updatedAt])).toEqual([
      ['t2', 'Routes and sessions', 'pending', ['t1'], 1005],
      ['t1', 'Schema', 'done', [], 1000],
      ['t4', 'Deploy', 'pending', ['t2'], 1005],
    ])
    expect(next.get('t1')?.evidence?.summary).toBe('ok')
  })

  it('removes a todo only when nothing depends on it', () => {
    const { list } = planned()
    expect(errorOf(() => list.remove('t1')).message).toBe('Cannot remove t1: t2 depends on it. Remove or edit those dependencies first.')
    expect(list.remove('t3').size).toBe(2)
  })

  it('names the known ids for an unknown id', () => {
    const { list } = planned()
    expect(errorOf(() => list.require('t9')).message).toBe('No todo with id "t9". Known ids: t1, t2, t3.')
  })

  it('validates initial todos', () => {
    const { clock } = setup()
    const error = errorOf(() => createTodoList({ clock, todos: [{ id: 'a', title: 'A', status: 'done', dependsOn: [], createdAt: 0, updatedAt: 0 }] }))
    expect(error.code).toBe('todo-invalid')
    expect(error.message).toContain('todo a, evidence: a done todo needs Reviewer evidence')
  })

  it('returns plain copies from toArray', () => {
    const { list } = planned()
    const copy = list.toArray()
    copy[0]!.title = 'changed'
    expect(list.get('t1')?.title).toBe('Schema')
    expect(list.topologicalOrder().map((todo) => todo.id)).toEqual(['t1', 't2', 't3'])
    expect(list.blockedBy('t3')).toEqual(['t2'])
  })
})
