import { createMemoryStorage, type MissionEngine, type MissionSnapshot } from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost, type FakeHost } from '@opencode-orchestrator/testing'
import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

/**
 * A small but complete mission, driven by tool calls the way the plugin's tools drive it. The
 * handlers act on whichever engine is current, so the same agents keep working across a restart.
 */
function scriptMission(host: FakeHost, current: () => MissionEngine, durations: Record<string, number>) {
  host.onAgent('commander', { steps: [{ tool: 'orchestrator_step', durationMs: 20 }], reply: 'step taken' })
  host.onAgent('worker', (prompt) => ({ steps: [{ tool: 'worker_step', durationMs: durations[prompt.text] ?? 1_000 }], reply: `${prompt.text}: done` }))
  host.onAgent('reviewer', { steps: [{ tool: 'review_step', durationMs: 2_000 }], reply: 'verified' })
  host.subscribe((event) => {
    if (event.type !== 'part-update' || event.part.kind !== 'tool' || event.part.call.status !== 'running') return
    const engine = current()
    const { sessionId } = event.part
    const mission = engine.missionForSession(sessionId)
    if (!mission) return
    const now = event.part.call.startedAt ?? 0
    const todosOfTask = () => mission.tasks.find((task) => task.id === engine.sessionRole(sessionId)?.taskId)?.todoIds ?? []
    switch (event.part.call.tool) {
      case 'orchestrator_step': {
        // One thing at a time: review what is done, else start the next todo.
        const todos = mission.todos.length > 0 ? mission.todos : [makeTodo('t1', { at: now }), makeTodo('t2', { at: now })]
        if (mission.todos.length === 0) engine.setTodos(mission.id, todos)
        const live = mission.tasks.filter((task) => task.status === 'running' || task.status === 'queued')
        const toReview = todos.filter((todo) => todo.status === 'done' && !todo.evidence).map((todo) => todo.id)
        if (toReview.length > 0) {
          engine.delegate({ sessionId, agent: 'reviewer', title: `review ${toReview.join(', ')}`, prompt: 'review', todoIds: toReview })
          return
        }
        const next = todos.find((todo) => todo.status === 'pending' && !live.some((task) => task.todoIds.includes(todo.id)))
        if (next) {
          engine.setTodos(mission.id, todos.map((todo) => (todo === next ? { ...todo, status: 'in_progress', updatedAt: now } : todo)))
          engine.delegate({ sessionId, agent: 'worker', title: `work on ${next.id}`, prompt: `work on ${next.id}`, todoIds: [next.id] })
        }
        return
      }
      case 'worker_step': {
        const ids = new Set(todosOfTask())
        engine.setTodos(mission.id, mission.todos.map((todo) => (ids.has(todo.id) ? { ...todo, status: 'done', updatedAt: now } : todo)))
        return
      }
      case 'review_step': {
        const ids = new Set(todosOfTask())
        engine.setTodos(
          mission.id,
          mission.todos.map((todo) => (ids.has(todo.id) ? { ...todo, evidence: { summary: `checked ${todo.id}`, reviewerSessionId: sessionId, recordedAt: now }, updatedAt: now } : todo)),
        )
        return
      }
    }
  })
}

/** The durable part of a mission: what must survive a restart unchanged. */
const durable = (mission: MissionSnapshot) => ({
  state: mission.state,
  todos: mission.todos,
  tasks: mission.tasks,
  sessions: mission.sessions,
  counters: mission.counters,
  pendingWakes: mission.pendingWakes,
  generation: mission.generation,
})

describe('kill and resume', () => {
  it('a new engine adopts a half-run mission with identical todos and tasks, then runs it to a seal', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    let engine = first.engine
    scriptMission(host, () => engine, { 'work on t1': 1_000, 'work on t2': 600_000 })
    const { missionId, rootSessionId } = await first.startMission()
    await first.advance(300_000)

    // Halfway: t1 is verified, t2's worker is still running.
    const before = first.engine.getMission(missionId)!
    expect(before.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([
      ['t1', 'done', true],
      ['t2', 'in_progress', false],
    ])
    expect(before.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual(['worker:completed', 'reviewer:completed', 'worker:running'])
    await first.engine.dispose()
    // The journal holds the last transition (a coalesced write once dropped it: the new engine restarted t2's worker).
    const journaled = JSON.parse((await storage.read(`missions/${missionId}.json`))!) as MissionSnapshot
    expect(durable(journaled)).toEqual(durable(before))

    const second = createMissionHarness({ clock, host, storage })
    engine = second.engine
    const report = await second.engine.start()
    expect(report).toEqual({ adopted: [missionId], stale: [], problems: [] })
    const adopted = second.engine.getMission(missionId)!
    expect(durable(adopted)).toEqual(durable(before))
    expect(second.engine.missionForSession(before.tasks[2]!.sessionId!)?.id).toBe(missionId)
    // Nothing was started twice: the running worker keeps its session.
    expect(host.calls.filter((call) => call.method === 'create')).toHaveLength(3)

    await second.advance(3_600_000)
    const after = second.engine.getMission(missionId)!
    expect(after.state).toBe('sealed')
    expect(after.todos.every((todo) => todo.status === 'done' && todo.evidence !== undefined)).toBe(true)
    expect(after.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual(['worker:completed', 'reviewer:completed', 'worker:completed', 'reviewer:completed'])
    // New work got fresh ids (a restarted sequential generator must not reuse task_1).
    expect(new Set(after.tasks.map((task) => task.id)).size).toBe(4)
    // The running worker's result reached the Commander through the new engine.
    expect(second.prompts(rootSessionId).some((prompt) => prompt.text.includes('work on t2: done'))).toBe(true)
    expect(second.logs.filter((entry) => entry.level === 'error')).toEqual([])
  })

  it('a child that finished while no engine was listening is completed on adoption and wakes its parent', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    let engine = first.engine
    scriptMission(host, () => engine, { 'work on t1': 1_000, 'work on t2': 600_000 })
    const { missionId, rootSessionId } = await first.startMission()
    await first.advance(300_000)
    await first.engine.dispose()
    const worker = first.engine.getMission(missionId)!.tasks[2]!
    expect(worker).toMatchObject({ agent: 'worker', status: 'running', todoIds: ['t2'] })

    // The engine is down while t2's worker answers.
    await first.advance(600_000)
    expect(host.isBusy(worker.sessionId!)).toBe(false)

    const second = createMissionHarness({ clock, host, storage })
    engine = second.engine
    expect((await second.engine.start()).adopted).toEqual([missionId])
    await second.advance(3_600_000)
    expect(second.engine.getTask(worker.id)).toMatchObject({ status: 'completed', result: 'work on t2: done' })
    expect(second.prompts(rootSessionId).some((prompt) => prompt.text.includes(`## ${worker.id} ·`))).toBe(true)
    expect(second.engine.getMission(missionId)!.state).toBe('sealed')
  })

  it('a mission whose root session no longer exists is marked stale with a reason; the others resume', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    let engine = first.engine
    scriptMission(host, () => engine, { 'work on t1': 1_000, 'work on t2': 600_000 })
    const kept = await first.startMission()
    const lost = await first.startMission()
    await first.advance(60_000)
    await first.engine.dispose()
    // The user deleted one mission's session while OpenCode was closed.
    await host.sessions.delete(lost.rootSessionId)

    const second = createMissionHarness({ clock, host, storage })
    engine = second.engine
    const report = await second.engine.start()
    expect(report).toEqual({ adopted: [kept.missionId], stale: [lost.missionId], problems: [] })
    const stale = second.engine.getMission(lost.missionId)!
    expect(stale.state).toBe('stopped')
    expect(stale.end?.reason).toMatch(/stale: its root session no longer exists/)
    expect(stale.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual(['worker:completed', 'reviewer:completed', 'worker:cancelled'])
    await second.journal.flush()
    const { records } = await second.journal.loadAll()
    expect(records.find((record) => record.id === lost.missionId)?.end?.reason).toBe(stale.end?.reason)
    // Ending a mission whose sessions are gone is not an error.
    expect(second.logs.filter((entry) => entry.level === 'error')).toEqual([])

    await second.advance(3_600_000)
    expect(second.engine.getMission(kept.missionId)!.state).toBe('sealed')
  })
})

describe('the journal keeps up with usage', () => {
  it('tokens and cost are journaled as they are spent, not only on the next transition', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'read', tokens: { input: 1_200, output: 300 }, cost: 0.02 }], hang: true })
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)
    await harness.journal.flush()
    const journaled = JSON.parse((await harness.storage.read(`missions/${missionId}.json`))!) as MissionSnapshot
    const counters = harness.engine.getMission(missionId)!.counters
    expect(counters).toMatchObject({ tokens: 1_500, costUsd: 0.02 })
    expect(journaled.counters).toEqual(counters)
  })
})
