import { OrchestratorError } from '@opencode-orchestrator/core'
import picocolors from 'picocolors'
import { describe, expect, it } from 'vitest'
import { renderMissionList, summarizeMission } from './mission-list'
import { missionRecord, todo } from './test-support/mission-record'

const plain = picocolors.createColors(false)

describe('mission list', () => {
  it('summarizes a journal: verified/total todos, age, end reason', () => {
    const record = missionRecord({
      state: 'stopped',
      createdAt: 1_000,
      todos: [todo('t1', { status: 'done', evidence: { summary: 'ok', recordedAt: 2 } }), todo('t2')],
      end: { at: 5_000, reason: 'no todo progress in 3 turns' },
    })
    expect(summarizeMission(record, 61_000)).toEqual({
      id: 'mission_1',
      state: 'stopped',
      goal: 'Add a slugify module with tests',
      todos: { verified: 1, total: 2 },
      createdAt: 1_000,
      updatedAt: 1_000,
      ageMs: 60_000,
      endReason: 'no todo progress in 3 turns',
    })
  })

  it('renders an aligned table, then the unreadable journals', () => {
    const summaries = [
      summarizeMission(missionRecord({ id: 'mission_new', state: 'waiting', createdAt: 50_000 }), 60_000),
      summarizeMission(missionRecord({ id: 'mission_old', state: 'sealed', createdAt: 0, end: { at: 1, reason: 'sealed: all 3 todos verified' } }), 60_000),
    ]
    const problems = [{ file: '/p/m.json', error: new OrchestratorError({ code: 'journal-corrupt', message: 'Mission journal /p/m.json is not valid JSON' }) }]
    expect(renderMissionList({ summaries, problems, missions: '/p', colors: plain }).split('\n')).toEqual([
      'MISSION      STATE    TODOS  AGE         END REASON / GOAL',
      'mission_new  waiting  0/0    10.0 s ago  Add a slugify module with tests',
      'mission_old  sealed   0/0    1m 00s ago  sealed: all 3 todos verified',
      'unreadable: Mission journal /p/m.json is not valid JSON',
    ])
  })

  it('says how to start when there is no mission', () => {
    expect(renderMissionList({ summaries: [], problems: [], missions: '/p/missions', colors: plain })).toBe(
      'No missions in /p/missions yet. Start one with `orchestrator run "<mission>"` (or /task in OpenCode).',
    )
  })
})
