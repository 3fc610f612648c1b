import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { applyTodoUpdate } from './apply-todo-update'
import { createTodoList } from './todo-list'

const list = createTodoList({ clock: { now: () => 5 } }).add([{ title: 'Schema' }, { title: 'Routes', dependsOn: ['t1'] }])

function errorOf(run: () => unknown): OrchestratorError {
  try {
    run()
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected an OrchestratorError')
}

describe('applyTodoUpdate', () => {
  it('lets a worker start a todo and records it as the assignee', () => {
    const next = applyTodoUpdate(list, { id: 't1', status: 'in_progress' }, { agent: 'Worker', sessionId: 'ses_4' })
    expect(next.get('t1')).toMatchObject({ status: 'in_progress', assignee: { agent: 'worker', sessionId: 'ses_4' } })
  })

  it('never lets a worker mark a todo done', () => {
    const started = applyTodoUpdate(list, { id: 't1', status: 'in_progress' }, { agent: 'worker' })
    const error = errorOf(() => applyTodoUpdate(started, { id: 't1', status: 'done', evidence: 'it works' }, { agent: 'worker' }))
    expect(error.code).toBe('permission-denied')
    expect(error.message).toContain('Only the reviewer marks a todo done')
    expect(errorOf(() => applyTodoUpdate(started, { id: 't1', status: 'done', evidence: 'ok' }, { agent: 'commander' })).code).toBe('permission-denied')
  })

  it('records reviewer evidence with the reviewer session', () => {
    const next = applyTodoUpdate(list, { id: 't1', status: 'done', evidence: 'ran `pnpm test`' }, { agent: 'reviewer', sessionId: 'ses_9' })
    expect(next.get('t1')?.evidence).toEqual({ summary: 'ran `pnpm test`', reviewerSessionId: 'ses_9', recordedAt: 5 })
    expect(errorOf(() => applyTodoUpdate(list, { id: 't1', status: 'done' }, { agent: 'reviewer' })).message).toContain('needs "evidence"')
  })

  it('turns a reviewer "pending" on done work into a send-back that needs a note', () => {
    const done = applyTodoUpdate(list, { id: 't1', status: 'done', evidence: 'ok' }, { agent: 'reviewer' })
    expect(errorOf(() => applyTodoUpdate(done, { id: 't1', status: 'pending' }, { agent: 'reviewer' })).message).toContain('needs a note')
    const back = applyTodoUpdate(done, { id: 't1', status: 'pending', note: 'no test for empty passwords' }, { agent: 'reviewer' })
    expect(back.get('t1')).toMatchObject({ status: 'pending', note: 'no test for empty passwords' })
    expect(back.get('t1')?.evidence).toBeUndefined()
  })

  it('rejects evidence on other statuses, unknown agents and unknown ids', () => {
    expect(errorOf(() => applyTodoUpdate(list, { id: 't1', status: 'failed', note: 'x', evidence: 'y' }, { agent: 'reviewer' })).message).toContain(
      'evidence is recorded only with status "done"',
    )
    const unknown = errorOf(() => applyTodoUpdate(list, { id: 't1', status: 'in_progress' }, { agent: 'build' }))
    expect(unknown.code).toBe('agent-unknown')
    expect(errorOf(() => applyTodoUpdate(list, { id: 't7', status: 'in_progress' }, { agent: 'worker' })).message).toContain('No todo with id "t7"')
  })

  it('limits the planner to pending and cancelled', () => {
    expect(applyTodoUpdate(list, { id: 't2', status: 'cancelled' }, { agent: 'planner' }).get('t2')?.status).toBe('cancelled')
    expect(errorOf(() => applyTodoUpdate(list, { id: 't1', status: 'in_progress' }, { agent: 'planner' })).message).toBe(
      'The planner cannot set todo t1 to in_progress. The planner may set: pending, cancelled.',
    )
  })
})
