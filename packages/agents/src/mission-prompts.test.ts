import { describe, expect, it } from 'vitest'
import { MISSION_JOURNAL_VERSION } from '@opencode-orchestrator/core'
import type { MissionSnapshot, Task, Todo } from '@opencode-orchestrator/core'
import { createMissionPrompts, stepSnapshotFromMission } from './mission-prompts'

const todo = (id: string, status: Todo['status'], dependsOn: string[] = []): Todo => ({
  id,
  title: `todo ${id}`,
  status,
  dependsOn,
  createdAt: 0,
  updatedAt: 0,
})

function mission(overrides: Partial<MissionSnapshot> = {}): MissionSnapshot {
  return {
    version: MISSION_JOURNAL_VERSION,
    id: 'mission_1',
    rootSessionId: 'root',
    goal: 'Build a REST API',
    state: 'waiting',
    createdAt: 1_000_000,
    updatedAt: 1_000_000,
    generation: 0,
    budgets: {
      maxIterations: 20,
      maxWallTimeMs: 7_200_000,
      maxChildSessions: 200,
      maxDepth: 2,
      maxBreadth: 50,
      maxTokens: 0,
      maxCostUsd: 5,
    },
    counters: { iterations: 2, idleTurnsWithoutProgress: 0, childSessions: 12, tokens: 50_000, costUsd: 1.25 },
    progressKey: '',
    todos: [todo('t1', 'done'), todo('t2', 'pending', ['t1'])],
    tasks: [],
    sessions: [],
    pendingWakes: {},
    ...overrides,
  }
}

function task(id: string, agent: string, status: Task['status'], result?: string): Task {
  return {
    id,
    missionId: 'mission_1',
    agent,
    title: `${agent} task ${id}`,
    prompt: 'do it',
    todoIds: agent === 'planner' ? [] : ['t2'],
    status,
    priority: 0,
    parentSessionId: 'root',
    depth: 1,
    createdAt: 0,
    ...(result === undefined ? {} : { result }),
    ...(status === 'failed' ? { error: { code: 'host-failed', message: '401 Unauthorized' } } : {}),
  }
}

const clock = { now: () => 1_000_000 + 30 * 60_000 }
const prompts = createMissionPrompts({ clock })

describe('stepSnapshotFromMission', () => {
  it('computes what is left of each limited budget, leaving 0-valued ones unlimited', () => {
    expect(stepSnapshotFromMission(mission(), clock.now()).budgetsLeft).toEqual({
      wallTimeMs: 5_400_000,
      childSessions: 188,
      costUsd: 3.75,
    })
  })
})

describe('createMissionPrompts', () => {
  it('continuation states the reason and ends with the step block of the coming iteration', () => {
    const text = prompts.continuation({ mission: mission(), reason: '1 todo still open' })
    expect(text.startsWith('[orchestrator] The mission continues: 1 todo still open')).toBe(true)
    expect(text).toContain('state: waiting for tasks · 3 of 20 continuations used')
    expect(text).toContain('budgets left: time 1h 30m · child sessions 188 · cost $3.75')
    expect(text.endsWith('</mission-step>')).toBe(true)
    expect(prompts.continuation({ mission: mission({ todos: [] }), reason: 'r' })).toContain('delegate the goal to the planner')
    // After a fan-out without a plan: the work is not called missing, the planner is asked to write the list.
    const afterFanOut = prompts.continuation({ mission: mission({ todos: [], tasks: [task('task_1', 'worker', 'completed'), task('task_2', 'worker', 'completed')] }), reason: 'r' })
    expect(afterFanOut).toContain('No todo list yet, though 2 delegated tasks ended: have the planner write the todo list')
  })

  it('wake lists every ended task and says what to do next for the roles that reported', () => {
    const text = prompts.wake({
      mission: mission(),
      tasks: [task('task_1', 'worker', 'completed', 'RESULT t2: done'), task('task_2', 'worker', 'failed')],
    })
    expect(text).toContain('[orchestrator] 2 delegated tasks ended.')
    expect(text).toContain('## task_1 · worker · completed · todos t2\nworker task task_1\nRESULT t2: done')
    expect(text).toContain('## task_2 · worker · failed · todos t2\nworker task task_2\nfailed: 401 Unauthorized')
    expect(text).toContain('have the reviewer verify the finished todos')
    expect(text).toContain('decide about failed or cancelled tasks')
    expect(text.endsWith('</mission-step>')).toBe(true)
    expect(prompts.wake({ mission: mission(), tasks: [task('task_3', 'planner', 'completed', 'PLAN 2 todos')] })).toContain(
      'delegate every ready todo to its own worker',
    )
  })

  it('keeps a wake of many tasks bounded by cutting each result', () => {
    const tasks = Array.from({ length: 50 }, (_, index) => task(`task_${index}`, 'worker', 'completed', 'x'.repeat(5000)))
    const text = prompts.wake({ mission: mission(), tasks })
    expect(text.length).toBeLessThan(40_000)
    expect(text).toContain('(cut; full text: orchestrator_task_result)')
  })

  it('resume gives a child its task again and the root the mission state', () => {
    const child = prompts.resume({ mission: mission(), sessionId: 'c', agent: 'worker', task: task('task_1', 'worker', 'running') })
    expect(child).toContain('Carry on as the worker')
    expect(child).toContain('Your task (task_1): worker task task_1\n\ndo it')
    const root = prompts.resume({ mission: mission(), sessionId: 'root', agent: 'commander' })
    expect(root).toContain('Carry on as the commander')
    expect(root.endsWith('</mission-step>')).toBe(true)
  })
})
