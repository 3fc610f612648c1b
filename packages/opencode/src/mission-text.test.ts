import { MISSION_JOURNAL_VERSION, type MissionSnapshot, type Task, type Todo } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import type { BackgroundJob } from './node'
import { statusText } from './mission-text'
import { parseCommand, slash } from './orchestrator-commands'

const todo = (id: string, status: Todo['status'], verified = false): Todo => ({
  id,
  title: id,
  status,
  dependsOn: [],
  createdAt: 0,
  updatedAt: 0,
  ...(verified ? { evidence: { summary: 'checked', recordedAt: 0 } } : {}),
})
const task = (id: string, agent: string, status: Task['status']): Task => ({ id, missionId: 'mission_1', agent, title: id, prompt: '', todoIds: [], status, priority: 0, parentSessionId: 'root', depth: 1, createdAt: 0 })

function mission(overrides: Partial<MissionSnapshot> = {}): MissionSnapshot {
  return {
    version: MISSION_JOURNAL_VERSION,
    id: 'mission_1',
    rootSessionId: 'root',
    goal: 'g',
    state: 'waiting',
    createdAt: 0,
    updatedAt: 0,
    generation: 0,
    budgets: { maxIterations: 20, maxWallTimeMs: 0, maxChildSessions: 200, maxDepth: 2, maxBreadth: 50, maxTokens: 0, maxCostUsd: 0 },
    counters: { iterations: 2, idleTurnsWithoutProgress: 0, childSessions: 4, tokens: 12_345, costUsd: 0 },
    progressKey: '',
    todos: [todo('t1', 'done', true), todo('t2', 'done'), todo('t3', 'in_progress')],
    tasks: [task('a', 'worker', 'running'), task('b', 'worker', 'completed'), task('c', 'reviewer', 'queued')],
    sessions: [],
    pendingWakes: {},
    ...overrides,
  }
}

const job = (status: BackgroundJob['status']) => ({ status }) as BackgroundJob

describe('statusText: each line from the state that produced it', () => {
  it('a live mission: the tally the progress notice shows, the continuations used, where the report will be', () => {
    expect(statusText(mission(), [job('running'), job('exited')], { reportPath: '.opencode/orchestrator/missions/mission_1/report.html' }).split('\n')).toEqual([
      'waiting for tasks · 1/3 todos verified · 1 awaiting review · 1 worker running · 1 queued · 1 background command running',
      '2 of 20 continuations used · 4 child sessions · 12,345 tokens',
      'Report (written when the mission ends): .opencode/orchestrator/missions/mission_1/report.html',
    ])
  })

  it('an ended mission: the state said once, and where the report is', () => {
    const sealed = mission({
      state: 'sealed',
      todos: [todo('t1', 'done', true), todo('t2', 'done', true), todo('t3', 'done', true)],
      tasks: [],
      end: { at: 1, reason: 'sealed: all 3 todos are done and verified by the Reviewer' },
    })
    const text = statusText(sealed, [], { reportPath: 'r/report.html' })
    expect(text).toContain('\nsealed: all 3 todos are done and verified by the Reviewer\n')
    expect(text).not.toContain('sealed: sealed')
    expect(text).not.toContain('ended: ')
    expect(text.endsWith('Report: r/report.html')).toBe(true)
  })

  it('no mission: names the command to start one', () => {
    expect(statusText(undefined, [])).toBe(`No mission in this session. Start one with ${slash('task')} "<what to build>".`)
  })
})

describe('commands', () => {
  it('/stop with a note says who stopped it', () => {
    expect(parseCommand('stop', '  Ctrl-C in orchestrator run ')).toEqual({ name: 'stop', via: 'stop', note: 'Ctrl-C in orchestrator run' })
    expect(parseCommand('cancel', '')).toEqual({ name: 'stop', via: 'cancel' })
  })

  it('texts name the status command through one function', () => {
    expect(slash('status')).toBe('/mission')
    expect(parseCommand(slash('status').slice(1), '')).toEqual({ name: 'status' })
  })
})
