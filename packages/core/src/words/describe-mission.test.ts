import { describe, expect, it } from 'vitest'
import type { MissionState } from '../events'
import type { Task, TaskStatus } from '../task'
import type { Todo, TodoStatus } from '../todo'
import { describeContinuations, describeEnd, describeTally, endReasonText, tallyMission } from './describe-mission'
import { asSentence } from './sentence'

const todo = (id: string, status: TodoStatus, verified = false): Todo => ({
  id,
  title: id,
  status,
  dependsOn: [],
  createdAt: 0,
  updatedAt: 0,
  ...(verified ? { evidence: { summary: 'checked', recordedAt: 0 } } : {}),
})
const task = (id: string, agent: string, status: TaskStatus): Task => ({
  id,
  missionId: 'm',
  agent,
  title: id,
  prompt: '',
  todoIds: [],
  status,
  priority: 0,
  parentSessionId: 'root',
  depth: 1,
  createdAt: 0,
})
const mission = (state: MissionState, todos: Todo[], tasks: Task[]) => ({ state, todos, tasks })

describe('describeTally: each text from the state that produced it', () => {
  it('counts verified todos and running work, workers first', () => {
    const state = mission('waiting', [todo('t1', 'done', true), todo('t2', 'done'), todo('t3', 'in_progress'), todo('t4', 'failed')], [
      task('a', 'worker', 'running'),
      task('b', 'worker', 'running'),
      task('c', 'reviewer', 'running'),
      task('d', 'worker', 'queued'),
      task('e', 'planner', 'completed'),
    ])
    expect(describeTally(tallyMission(state, { retrying: 1 }))).toBe('1/4 todos verified · 1 awaiting review · 1 failed · 2 workers running · 1 reviewer running · 1 queued · 1 retrying')
  })

  it('says nothing is running once both workers have ended', () => {
    const state = mission('waiting', [todo('t1', 'done'), todo('t2', 'done')], [task('a', 'worker', 'completed'), task('b', 'worker', 'completed')])
    expect(describeTally(tallyMission(state))).toBe('0/2 todos verified · 2 awaiting review')
  })

  it('after a fan-out without a plan: no "planning", the work done is counted', () => {
    const state = mission('planning', [], [task('a', 'worker', 'completed'), task('b', 'worker', 'completed')])
    expect(describeTally(tallyMission(state))).toBe('no todo list yet · 2 tasks done')
    expect(describeTally(tallyMission(mission('planning', [], [])))).toBe('planning')
    expect(describeTally(tallyMission(mission('planning', [], [task('p', 'planner', 'running')])))).toBe('no todo list yet · 1 planner running')
  })
})

describe('describeEnd', () => {
  it('names the state once: no "sealed: sealed:"', () => {
    expect(describeEnd('sealed', 'sealed: all 3 todos are done and verified by the Reviewer')).toBe('sealed: all 3 todos are done and verified by the Reviewer')
    expect(describeEnd('stopped', 'stopped by the user (/stop)')).toBe('stopped by the user (/stop)')
    expect(describeEnd('stopped', 'the root session was interrupted by the user')).toBe('stopped: the root session was interrupted by the user')
    expect(endReasonText('failed', 'failed: x')).toBe('x')
  })
})

describe('describeContinuations', () => {
  it('says what the counter counts', () => {
    expect(describeContinuations(0, 20)).toBe('0 of 20 continuations used')
    expect(describeContinuations(1, 1)).toBe('1 of 1 continuation used')
  })
})

describe('asSentence', () => {
  it('ends with one period', () => {
    expect(asSentence('fake-key.')).toBe('fake-key.')
    expect(asSentence('fake-key')).toBe('fake-key.')
    expect(asSentence('really?')).toBe('really?')
  })
})
