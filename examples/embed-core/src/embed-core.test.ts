import { createSequentialIds, type Task } from '@opencode-orchestrator/core'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { runExampleMission } from './run-example-mission'

/** Runs the example to its end on fake timers: the Workers' delays pass instantly and deterministically. */
async function run(options: Parameters<typeof runExampleMission>[0] = {}) {
  const pending = runExampleMission({ ids: createSequentialIds(), ...options })
  await vi.advanceTimersByTimeAsync(60_000)
  return pending
}

const workersOf = (tasks: readonly Task[]) => tasks.filter((task) => task.agent === 'worker')

describe('the core embedded in a host that is not OpenCode', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('seals the mission once the Reviewer has verified every todo', async () => {
    const { mission, events, journal } = await run()

    expect(mission.state).toBe('sealed')
    expect(mission.end?.reason).toMatch(/done and verified by the Reviewer/)
    expect(mission.tasks.map((task) => [task.agent, task.status])).toEqual([
      ['planner', 'completed'],
      ['worker', 'completed'],
      ['worker', 'completed'],
      ['reviewer', 'completed'],
    ])
    expect(events.filter((name) => name === 'mission-wake')).toHaveLength(3)
    expect(events.at(-1)).toBe('mission-seal')
    // The journal was written through the Storage port and holds the final state.
    expect(JSON.parse(journal[`missions/${mission.id}.json`]!)).toMatchObject({ state: 'sealed', todos: mission.todos })
  })

  it('runs the two Workers in parallel', async () => {
    const { mission, maxConcurrentWorkers } = await run({ workerDelayMs: 50 })

    expect(maxConcurrentWorkers).toBe(2)
    const [first, second] = workersOf(mission.tasks)
    expect(first!.startedAt!).toBeLessThan(second!.endedAt!)
    expect(second!.startedAt!).toBeLessThan(first!.endedAt!)
  })

  it('records every todo as done with the Reviewer\'s evidence', async () => {
    const { mission } = await run()
    const reviewer = mission.sessions.find((session) => session.agent === 'reviewer')

    expect(mission.todos.map((todo) => todo.id)).toEqual(['t1', 't2'])
    for (const todo of mission.todos) {
      expect(todo.status).toBe('done')
      expect(todo.evidence?.summary).toMatch(/re-ran/)
      expect(todo.evidence?.reviewerSessionId).toBe(reviewer?.sessionId)
      // Claimed by the Worker that did it.
      expect(todo.assignee?.agent).toBe('worker')
    }
  })

  it('stops in the middle with every in-flight turn aborted', async () => {
    const { mission, host, inFlightAtStop, abortedWorkerTurns, events } = await run({ stopWhileWorkersRun: true, workerDelayMs: 30_000 })

    expect(mission.state).toBe('stopped')
    expect(mission.end?.reason).toMatch(/stopped by the embedding program/)
    expect(events).toContain('mission-stop')
    expect(events).not.toContain('mission-seal')

    const workers = workersOf(mission.tasks)
    expect(workers.map((task) => task.status)).toEqual(['cancelled', 'cancelled'])
    // Both Worker turns were running when the stop came, and each one was aborted.
    expect([...inFlightAtStop].sort()).toEqual(workers.map((task) => task.sessionId).sort())
    expect([...abortedWorkerTurns].sort()).toEqual([...inFlightAtStop].sort())
    for (const sessionId of inFlightAtStop) {
      const last = (await host.sessions.messages(sessionId)).at(-1)
      expect(last?.error).toEqual({ name: 'MessageAbortedError', data: { message: 'The operation was aborted.' } })
    }
    expect(await host.sessions.status()).toEqual({})
    // The stop did not wait for the Workers' 30 s of work.
    expect(Math.max(...workers.map((task) => task.endedAt! - task.startedAt!))).toBeLessThan(1_000)
  })
})
