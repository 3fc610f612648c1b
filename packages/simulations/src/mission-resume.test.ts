import { createMemoryStorage, type MissionEngine, type MissionSnapshot } from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost, type FakeHost } from '@opencode-orchestrator/testing'
import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

/**
 * A small but complete mission, driven by tool calls the way the plugin's tools drive it. The
 * handlers act on whichever engine is current, so the same agents keep working across a restart.
 */
function scriptMission(host: FakeHost, current: () => MissionEngine, durations: Record<string, { workMs: number; answerMs?: number }>) {
  host.onAgent('commander', { steps: [{ tool: 'orchestrator_step', durationMs: 20 }], reply: 'step taken' })
  host.onAgent('worker', (prompt) => ({
    steps: [{ tool: 'worker_step', durationMs: durations[prompt.text]?.workMs ?? 1_000 }],
    durationMs: durations[prompt.text]?.answerMs ?? 10,
    reply: `${prompt.text}: done`,
  }))
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
    scriptMission(host, () => engine, { 'work on t1': { workMs: 1_000 }, 'work on t2': { workMs: 600_000 } })
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

  /** A mission whose engine is disposed while t2's Worker is still working; that Worker answers while no engine listens. */
  async function workerAnswersWhileTheEngineIsDown() {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    const current = { engine: first.engine }
    // t2's worker does its work (a tool call, which needs the plugin) early and answers much later.
    scriptMission(host, () => current.engine, { 'work on t1': { workMs: 1_000 }, 'work on t2': { workMs: 1_000, answerMs: 600_000 } })
    const { missionId, rootSessionId } = await first.startMission()
    await first.advance(300_000)
    await first.engine.dispose()
    const worker = first.engine.getMission(missionId)!.tasks[2]!
    expect(worker).toMatchObject({ agent: 'worker', status: 'running', todoIds: ['t2'] })
    await first.advance(600_000)
    expect(host.isBusy(worker.sessionId!)).toBe(false)
    // The next engine, which the handlers then act on.
    const second = createMissionHarness({ clock, host, storage })
    current.engine = second.engine
    return { host, second, missionId, rootSessionId, worker }
  }

  it('a child that finished while no engine was listening is completed on adoption and wakes its parent', async () => {
    const { second, missionId, rootSessionId, worker } = await workerAnswersWhileTheEngineIsDown()
    expect((await second.engine.start()).adopted).toEqual([missionId])
    await second.advance(3_600_000)
    expect(second.engine.getTask(worker.id)).toMatchObject({ status: 'completed', result: 'work on t2: done' })
    expect(second.prompts(rootSessionId).some((prompt) => prompt.text.includes(`## ${worker.id} ·`))).toBe(true)
    expect(second.engine.getMission(missionId)!.end?.reason ?? 'not ended').toMatch(/^sealed/)
  })

  it('the adoption hook runs before the engine prompts the mission again (a resume line never lands inside the resumed turn), and its failure does not stop the resume', async () => {
    const { host, second, missionId, rootSessionId } = await workerAnswersWhileTheEngineIsDown()
    const before = host.calls.length
    const adoptedBy: string[] = []
    let release: (() => void) | undefined
    const starting = second.engine.start({
      onAdopt: (mission) => {
        adoptedBy.push(mission.id)
        return new Promise<void>((_resolve, reject) => {
          release = () => reject(new Error('the note could not be written'))
        })
      },
    })
    await second.settle()
    expect(adoptedBy).toEqual([missionId])
    // Nothing is prompted while the hook has not settled.
    expect(host.calls.slice(before).filter((call) => call.method === 'promptAsync')).toEqual([])
    release!()
    expect((await starting).adopted).toEqual([missionId])
    await second.advance(3_600_000)
    // The hook failed; the mission resumed all the same: the wake reached the root and the mission sealed.
    expect(host.calls.slice(before).some((call) => call.method === 'promptAsync' && call.args[0].sessionId === rootSessionId)).toBe(true)
    expect(second.engine.getMission(missionId)!.end?.reason ?? 'not ended').toMatch(/^sealed/)
  })

  it("a delegate call that waited (no wake of its own) died with the old server: its task's result reaches the Commander as a wake", async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    // The Commander's delegate call waits in its turn for the task (docs/decisions/040).
    host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 3_600_000 }], reply: 'waited' }, { reply: 'got the result' }])
    host.onAgent('worker', { durationMs: 600_000, reply: 'worker result' })
    let taskId = ''
    first.onTool('orchestrator_delegate', ({ sessionId }) => {
      taskId = first.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work', notifyParent: false }).id
    })
    const { missionId, rootSessionId } = await first.startMission()
    await first.advance(1_000)
    expect(first.engine.getTask(taskId)?.status).toBe('running')
    // OpenCode is killed: the engine is gone and the root's turn, the waiting call with it.
    await first.engine.dispose()
    await host.sessions.abort(rootSessionId)
    await first.settle()

    const second = createMissionHarness({ clock, host, storage })
    expect((await second.engine.start()).adopted).toEqual([missionId])
    const before = second.prompts(rootSessionId).length
    await second.advance(1_200_000)
    expect(second.engine.getTask(taskId)).toMatchObject({ status: 'completed', result: 'worker result' })
    const wakes = second.prompts(rootSessionId).slice(before).filter((prompt) => prompt.text.includes(`## ${taskId} ·`))
    expect(wakes).toHaveLength(1)
    expect(wakes[0]!.text).toContain('worker result')
  })

  it('a mission whose root session no longer exists is marked stale with a reason; the others resume', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    let engine = first.engine
    scriptMission(host, () => engine, { 'work on t1': { workMs: 1_000 }, 'work on t2': { workMs: 600_000 } })
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

describe('restart edge cases', () => {
  it('a disposed engine does nothing more: a check in flight at dispose neither prompts nor writes the journal', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' }, { reply: 'noted' }])
    // The idle before the final message: the engine has to read the messages from the host (a check in flight).
    host.onAgent('worker', { durationMs: 10_000, reply: 'worker done', order: 'idle-then-message' })
    first.onTool('orchestrator_delegate', ({ sessionId }) => void first.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
    const { missionId, rootSessionId } = await first.startMission()
    await first.advance(5_000)
    await first.journal.flush()
    const journalBefore = await storage.read(`missions/${missionId}.json`)

    // The worker ends; the engine's check of it is in flight (no promise has run yet) when it is disposed.
    clock.advance(6_000)
    const disposeIndex = host.calls.length
    await first.engine.dispose()
    await first.settle()
    expect(host.calls.slice(disposeIndex).filter((call) => call.method === 'promptAsync')).toEqual([])
    expect(await storage.read(`missions/${missionId}.json`)).toBe(journalBefore)

    // The next engine finds the finished worker and sends the one wake.
    const second = createMissionHarness({ clock, host, storage })
    expect((await second.engine.start()).adopted).toEqual([missionId])
    await second.advance(10_000)
    const wakes = second.prompts(rootSessionId).filter((prompt) => prompt.text.includes('worker done'))
    expect(wakes).toHaveLength(1)
  })

  it("the adapter's own note in the root session (announced) does not pause the mission; the user's words do", async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const harness = createMissionHarness({ clock, host, continuation: { cooldownMs: 0 } })
    host.onAgent('commander', { durationMs: 30_000, reply: 'working on it' })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    harness.engine.expectOwnRootMessage(missionId)
    host.userPrompt({ sessionId: rootSessionId, text: '[orchestrator] Mission resumed after a restart.' })
    await harness.settle()
    expect(harness.engine.getMission(missionId)!.pausedReason).toBeUndefined()
    host.userPrompt({ sessionId: rootSessionId, text: 'Wait, use PostgreSQL instead.' })
    await harness.settle()
    expect(harness.engine.getMission(missionId)!.pausedReason).toBeDefined()
  })

  it('a mission the user paused stays paused after a restart', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage, continuation: { cooldownMs: 0 } })
    host.onAgent('commander', { durationMs: 30_000, reply: 'working on it' })
    const { missionId, rootSessionId } = await first.startMission()
    first.engine.setTodos(missionId, [makeTodo('t1')])
    await first.advance(10_000)
    // The user writes while the Commander is mid-turn; OpenCode is restarted before that turn ends.
    host.userPrompt({ sessionId: rootSessionId, text: 'Wait, use PostgreSQL instead.' })
    await first.settle()
    await first.engine.dispose()

    const second = createMissionHarness({ clock, host, storage, continuation: { cooldownMs: 0 } })
    await second.engine.start()
    const before = host.calls.length
    await second.advance(600_000)
    const continuations = host.calls.slice(before).filter((call) => call.method === 'promptAsync' && /Mission continues/.test(call.args[0].text))
    expect(continuations).toEqual([])
    expect(second.engine.getMission(missionId)!.pausedReason).toBeDefined()

    second.engine.resumeMission(missionId)
    await second.advance(60_000)
    expect(host.calls.slice(before).some((call) => call.method === 'promptAsync' && /Mission continues/.test(call.args[0].text))).toBe(true)
  })

  it('a wake journaled for a child session is delivered after a restart', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    const host = createFakeHost({ clock })
    const storage = createMemoryStorage()
    const first = createMissionHarness({ clock, host, storage })
    host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' }, { reply: 'noted' }])
    // The worker hands a part to a quick helper, then keeps working for a minute.
    host.onAgent('worker', [{ steps: [{ tool: 'orchestrator_delegate', durationMs: 100 }], durationMs: 60_000, reply: 'worker done' }, { reply: 'read the helper' }])
    host.onAgent('helper', { durationMs: 1_000, reply: 'helper done' })
    let engine = first.engine
    host.subscribe((event) => {
      if (event.type !== 'part-update' || event.part.kind !== 'tool' || event.part.call.tool !== 'orchestrator_delegate' || event.part.call.status !== 'running') return
      const commander = engine.sessionRole(event.part.sessionId)?.agent === 'commander'
      engine.delegate({ sessionId: event.part.sessionId, agent: commander ? 'worker' : 'helper', title: 'part', prompt: 'work' })
    })
    const { missionId } = await first.startMission()
    await first.advance(10_000)
    const mission = first.engine.getMission(missionId)!
    const [worker, helper] = mission.tasks
    expect(helper).toMatchObject({ agent: 'helper', status: 'completed' })
    expect(mission.pendingWakes[worker!.sessionId!]).toEqual([helper!.id])
    await first.engine.dispose()
    // The worker's turn ends while no engine listens.
    await first.advance(60_000)

    const second = createMissionHarness({ clock, host, storage })
    engine = second.engine
    await second.engine.start()
    await second.advance(10_000)
    expect(second.prompts(worker!.sessionId!).some((prompt) => prompt.text.includes(`## ${helper!.id} ·`))).toBe(true)
  })
})
