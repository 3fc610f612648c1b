import { describe, expect, it } from 'vitest'
import type { Todo } from '@opencode-orchestrator/core'
import { buildStepContext } from './build-step-context'

const todo = (id: string, status: Todo['status'], dependsOn: string[] = [], extra: Partial<Todo> = {}): Todo => ({
  id,
  title: `todo ${id}`,
  status,
  dependsOn,
  createdAt: 0,
  updatedAt: 0,
  ...extra,
})

describe('buildStepContext', () => {
  it('summarises goal, state, iteration, todos, ready todos and budgets', () => {
    const text = buildStepContext({
      goal: 'Build a REST API\nwith authentication',
      state: 'dispatching',
      iteration: 3,
      maxIterations: 20,
      todos: [
        todo('t1', 'done', [], { evidence: { summary: 'checked', recordedAt: 0 } }),
        todo('t2', 'in_progress', ['t1']),
        todo('t3', 'pending', ['t1']),
        todo('t4', 'pending', ['t2', 't3']),
        todo('t5', 'failed', [], { note: 'tests fail' }),
        todo('t6', 'cancelled'),
      ],
      budgetsLeft: { wallTimeMs: 4_320_000, childSessions: 150, tokens: 1_234_567, costUsd: 1.2 },
    })
    expect(text).toBe(
      [
        '<mission-step>',
        'goal: Build a REST API with authentication',
        'state: dispatching · 3 of 20 continuations used',
        'todos: 1/5 verified · 1 in progress · 1 failed',
        'ready: t3',
        'open:',
        '- t2 [in_progress] todo t2',
        '- t3 [pending] todo t3',
        '- t4 [pending] todo t4 (after t2, t3)',
        '- t5 [failed] todo t5 — note: tests fail',
        'budgets left: time 1h 12m · child sessions 150 · tokens 1.2M · cost $1.20',
        '</mission-step>',
      ].join('\n'),
    )
  })

  it('says when an in-progress todo has nothing running for it (its task ended), and counts unverified work apart', () => {
    const text = buildStepContext({
      goal: 'g',
      state: 'waiting',
      iteration: 1,
      maxIterations: 20,
      todos: [todo('ITEM-1', 'in_progress'), todo('ITEM-2', 'in_progress'), todo('ITEM-3', 'done')],
      activeTodoIds: ['ITEM-2'],
    })
    expect(text).toContain('todos: 0/3 verified · 1 done, awaiting review · 2 in progress')
    expect(text).toContain('- ITEM-1 [in_progress, nothing running for it] todo ITEM-1')
    expect(text).toContain('- ITEM-2 [in_progress] todo ITEM-2')
  })

  it('says when there are no todos and omits unlimited budgets', () => {
    const text = buildStepContext({ goal: 'g', state: 'planning', iteration: 0, maxIterations: 20, todos: [] })
    expect(text).toContain('todos: none yet')
    expect(text).not.toContain('budgets left')
  })

  it('lists at most 20 open todos and cuts long titles', () => {
    const todos = Array.from({ length: 30 }, (_, index) => todo(`t${index + 1}`, 'pending', [], { title: 'x'.repeat(200) }))
    const lines = buildStepContext({ goal: 'g', state: 'dispatching', iteration: 1, maxIterations: 20, todos }).split('\n')
    expect(lines.filter((line) => line.startsWith('- t'))).toHaveLength(20)
    expect(lines).toContain('- … 10 more (orchestrator_todo_read)')
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThan(200)
  })
})
