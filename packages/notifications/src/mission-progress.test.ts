import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { Task, TaskStatus } from '@opencode-orchestrator/core'
import { createMissionProgress } from './mission-progress'

function task(id: string, status: TaskStatus, agent = 'worker'): Task {
  return {
    id,
    missionId: 'm',
    agent,
    title: id,
    prompt: '',
    todoIds: [],
    status,
    priority: 0,
    parentSessionId: 'root',
    sessionId: `s-${id}`,
    depth: 1,
    createdAt: 0,
  }
}

describe('createMissionProgress', () => {
  it('counts right under any interleaving, repetition and reordering of task events', () => {
    // Each task has a lifecycle (queued → running → final, possibly cut short); the events of all
    // tasks are interleaved at random, some are repeated and some delivered out of order.
    const lifecycle = fc.record({
      reach: fc.constantFrom(0, 1, 2),
      final: fc.constantFrom<TaskStatus>('completed', 'failed', 'cancelled'),
      agent: fc.constantFrom('worker', 'reviewer'),
    })
    fc.assert(
      fc.property(
        fc.array(lifecycle, { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 200 }),
        (tasks, noise) => {
          const events: Task[] = []
          tasks.forEach(({ reach, final, agent }, index) => {
            const statuses: TaskStatus[] = ['queued', 'running', final].slice(0, reach + 1) as TaskStatus[]
            for (const status of statuses) events.push(task(`t${index}`, status, agent))
          })
          // Shuffle deterministically from the noise, then repeat some events.
          const order = events.map((event, index) => ({ event, key: noise[index % noise.length]! + index * 0.001 }))
          order.sort((a, b) => a.key - b.key)
          const delivered = order.map(({ event }) => event)
          for (const value of noise.slice(0, 20)) delivered.push(delivered[value % delivered.length]!)

          const progress = createMissionProgress()
          for (const event of delivered) progress.applyTask(event)

          const expectedRunning: Record<string, number> = {}
          let expectedQueued = 0
          tasks.forEach(({ reach, agent }) => {
            if (reach === 1) expectedRunning[agent] = (expectedRunning[agent] ?? 0) + 1
            if (reach === 0) expectedQueued += 1
          })
          const counts = progress.counts()
          expect(counts.queued).toBe(expectedQueued)
          expect(counts.running).toEqual(expectedRunning)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('stops counting a session as retrying once its task ended', () => {
    const progress = createMissionProgress()
    progress.applyTask(task('a', 'running'))
    progress.recoveryStart('s-a')
    progress.recoveryStart('s-a')
    expect(progress.counts().retrying).toBe(1)
    progress.applyTask(task('a', 'failed'))
    expect(progress.counts().retrying).toBe(0)
  })

  it('counts verified, unverified, failed and cancelled todos apart (the same tally the status text uses)', () => {
    const progress = createMissionProgress()
    const base = { dependsOn: [], createdAt: 0, updatedAt: 0 }
    progress.setTodos([
      { ...base, id: '1', title: 'a', status: 'done', evidence: { summary: 'ok', recordedAt: 0 } },
      { ...base, id: '5', title: 'e', status: 'done' },
      { ...base, id: '2', title: 'b', status: 'failed' },
      { ...base, id: '3', title: 'c', status: 'cancelled' },
      { ...base, id: '4', title: 'd', status: 'in_progress' },
    ])
    expect(progress.counts()).toMatchObject({ todosVerified: 1, todosAwaitingReview: 1, todosTotal: 5, todosFailed: 1, todosCancelled: 1 })
  })

  it('remembers the provider of a session for recovery notices', () => {
    const progress = createMissionProgress()
    progress.applyTask({ ...task('a', 'queued'), sessionId: undefined, model: { providerId: 'openai', modelId: 'gpt' } })
    progress.applyTask(task('a', 'running'))
    expect(progress.providerOf('s-a')).toBe('openai')
    expect(progress.providerOf('unknown')).toBeUndefined()
  })
})
