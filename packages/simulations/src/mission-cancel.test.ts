import { createLogger, createScheduler } from '@opencode-orchestrator/core'
import { createFakeClock } from '@opencode-orchestrator/testing'
import { describe, expect, it } from 'vitest'
import { createMissionHarness, type MissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

const CONTINUE_HEAD = /^\[orchestrator\] Mission continues/
const USER_ESC = 'the root session was interrupted by the user'

/** Host calls of one method made at or after `fromIndex`. */
function callsAfter(harness: MissionHarness, fromIndex: number, method: string) {
  return harness.host.calls.slice(fromIndex).filter((call) => call.method === method)
}

/** Every session the mission ever had, from the engine's own record. */
function missionSessions(harness: MissionHarness, missionId: string) {
  return harness.engine.getMission(missionId)!.sessions.map((session) => session.sessionId)
}

describe('cancel is atomic and final', () => {
  it('stopMission aborts every descendant, drops queued work and nothing is prompted afterwards', async () => {
    const clock = createFakeClock({ start: 1_000_000 })
    // Four slots: three workers and a grandchild run, the three workers delegated later stay queued.
    const scheduler = createScheduler({ clock, logger: createLogger(() => {}), limits: { global: 4 }, missionLimits: { maxDepth: 9, maxBreadth: 99 } })
    const harness = createMissionHarness({ clock, dispatcher: scheduler })
    harness.host.onAgent('commander', {
      steps: [
        { tool: 'orchestrator_delegate', input: { count: 3 }, toolDurationMs: 5 },
        { tool: 'orchestrator_delegate', input: { count: 3 }, durationMs: 500 },
      ],
      reply: 'delegated',
    })
    // Workers delegate a grandchild, then never end by themselves.
    harness.host.onAgent('worker', { steps: [{ tool: 'orchestrator_delegate', input: { count: 1 }, durationMs: 20 }], hang: true })
    harness.host.onAgent('helper', { hang: true })
    harness.onTool('orchestrator_delegate', ({ sessionId, input }) => {
      const role = harness.engine.sessionRole(sessionId)
      if (role?.agent === 'commander') {
        for (let index = 0; index < Number(input['count']); index++) harness.engine.delegate({ sessionId, agent: 'worker', title: `w${index}`, prompt: 'work' })
      } else if (role?.taskId === 'task_1') {
        harness.engine.delegate({ sessionId, agent: 'helper', title: 'grandchild', prompt: 'help' })
      }
    })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(5_000)

    const before = harness.engine.getMission(missionId)!
    const running = before.tasks.filter((task) => task.status === 'running')
    const queued = before.tasks.filter((task) => task.status === 'queued')
    // The scene: three workers and the grandchild hold the four slots, three workers wait.
    expect(running.map((task) => task.agent).sort()).toEqual(['helper', 'worker', 'worker', 'worker'])
    expect(queued).toHaveLength(3)
    const busyChildren = running.map((task) => task.sessionId!)
    for (const sessionId of busyChildren) expect(harness.host.isBusy(sessionId)).toBe(true)

    const stopIndex = harness.host.calls.length
    await harness.engine.stopMission(missionId, { reason: 'stopped by the user (/stop)' })

    // Every descendant (and the root) got its abort before stopMission resolved.
    const aborted = callsAfter(harness, stopIndex, 'abort').map((call) => call.args[0])
    expect(new Set(aborted)).toEqual(new Set([...busyChildren, rootSessionId]))
    for (const sessionId of missionSessions(harness, missionId)) expect(harness.host.isBusy(sessionId)).toBe(false)
    const after = harness.engine.getMission(missionId)!
    expect(after.state).toBe('stopped')
    expect(after.tasks.every((task) => task.status === 'cancelled' && task.error?.code === 'mission-ended')).toBe(true)
    expect(scheduler.stats()).toMatchObject({ running: 0, queued: 0 })
    expect(harness.eventsOf('mission-stop')).toEqual([{ missionId, reason: 'stopped by the user (/stop)', by: 'user' }])

    // Nothing comes back to life: no session created for the dropped work, no prompt anywhere.
    await harness.advance(3_600_000)
    expect(callsAfter(harness, stopIndex, 'create')).toEqual([])
    expect(callsAfter(harness, stopIndex, 'promptAsync')).toEqual([])
    expect(harness.engine.getMission(missionId)!.tasks.filter((task) => task.sessionId !== undefined)).toHaveLength(4)
  })

  it('a continuation already scheduled by the cooldown becomes a no-op', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: 5_000, stagnationTurns: 5 } })
    harness.host.onAgent('commander', { durationMs: 10, reply: 'carrying on' })
    const { missionId, rootSessionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1')])
    await harness.advance(1_000)

    // Kickoff turn → continuation 1 at once → its short turn ended inside the cooldown → re-check is scheduled.
    const continuations = () => harness.prompts(rootSessionId).filter((prompt) => CONTINUE_HEAD.test(prompt.text))
    expect(continuations()).toHaveLength(1)
    const scheduledAt = harness.clock.nextDueAt()
    expect(scheduledAt).toBe(continuations()[0]!.at + 5_000)

    const stopIndex = harness.host.calls.length
    await harness.engine.stopMission(missionId, { reason: 'stopped by the user (/cancel)' })
    await harness.advance(60_000)
    expect(continuations()).toHaveLength(1)
    expect(callsAfter(harness, stopIndex, 'promptAsync')).toEqual([])
    expect(harness.engine.getMission(missionId)!.counters.iterations).toBe(1)
  })

  it('a wake waiting for a busy parent is dropped by the stop', async () => {
    const harness = createMissionHarness({ continuation: { wakeMaxWaitMs: 60_000 } })
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], durationMs: 600_000, reply: 'slow' })
    harness.host.onAgent('worker', { durationMs: 100, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => void harness.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
    const { missionId } = await harness.startMission()
    await harness.advance(10_000)
    expect(harness.engine.getMission(missionId)!.pendingWakes).not.toEqual({})

    const stopIndex = harness.host.calls.length
    await harness.engine.stopMission(missionId, { reason: 'stopped by the user (/stop)' })
    await harness.advance(3_600_000)
    expect(callsAfter(harness, stopIndex, 'promptAsync')).toEqual([])
    expect(harness.engine.getMission(missionId)!.pendingWakes).toEqual({})
  })
})

describe('Esc on the root', () => {
  /** A mission whose root is idle while a worker runs for an hour. */
  async function idleRootWithWorker(harness: MissionHarness) {
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' })
    harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => void harness.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
    const started = await harness.startMission()
    await harness.advance(5_000)
    expect(harness.host.isBusy(started.rootSessionId)).toBe(false)
    return started
  }

  it('an abort of the idle root (the host answers with a lone idle) stops the mission and its children', async () => {
    const harness = createMissionHarness()
    const { missionId, rootSessionId } = await idleRootWithWorker(harness)
    const worker = harness.engine.getMission(missionId)!.tasks[0]!.sessionId!
    const escIndex = harness.host.calls.length
    await harness.host.sessions.abort(rootSessionId) // the user's Esc in the TUI
    await harness.settle()

    const mission = harness.engine.getMission(missionId)!
    expect(mission).toMatchObject({ state: 'stopped', end: { reason: USER_ESC } })
    expect(callsAfter(harness, escIndex + 1, 'abort').map((call) => call.args[0])).toContain(worker)
    expect(harness.host.isBusy(worker)).toBe(false)
    await harness.advance(3_600_000)
    expect(callsAfter(harness, escIndex, 'promptAsync')).toEqual([])
  })

  it('an abort of the busy root (MessageAbortedError) stops the mission', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { durationMs: 60_000, reply: 'thinking' })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    expect(harness.host.isBusy(rootSessionId)).toBe(true)
    await harness.host.sessions.abort(rootSessionId)
    await harness.settle()
    expect(harness.engine.getMission(missionId)).toMatchObject({ state: 'stopped', end: { reason: USER_ESC } })
  })

  it('Esc on a running child (the user viewing it) stops the whole mission, not only that task', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' })
    harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      for (const title of ['w1', 'w2']) harness.engine.delegate({ sessionId, agent: 'worker', title, prompt: 'work' })
    })
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)
    const [viewed, other] = harness.engine.getMission(missionId)!.tasks.map((task) => task.sessionId!)
    expect(harness.host.isBusy(viewed!) && harness.host.isBusy(other!)).toBe(true)
    // Titled by todo and role, in the form OpenCode's TUI reads for a subagent's footer ("Worker (1 of 2)").
    const titles = harness.host.calls.filter((call) => call.method === 'create').map((call) => (call.args[0] as { title?: string }).title)
    expect(titles).toEqual(['w1 (@worker subagent)', 'w2 (@worker subagent)'])
    const escIndex = harness.host.calls.length
    await harness.host.sessions.abort(viewed!)
    await harness.settle()
    expect(harness.engine.getMission(missionId)).toMatchObject({ state: 'stopped', end: { reason: 'the worker session "w1" was interrupted by the user' } })
    expect(harness.host.isBusy(other!)).toBe(false)
    await harness.advance(3_600_000)
    expect(callsAfter(harness, escIndex, 'promptAsync')).toEqual([])
  })

  it("the engine's own abort of a cancelled task's child does not stop the mission", async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' })
    harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      for (const title of ['w1', 'w2']) harness.engine.delegate({ sessionId, agent: 'worker', title, prompt: 'work' })
    })
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)
    const [first] = harness.engine.getMission(missionId)!.tasks
    await harness.engine.cancelTask(first!.id, 'no longer needed')
    await harness.settle()
    expect(harness.engine.getMission(missionId)!.state).not.toBe('stopped')
  })

  it('the normal error sequence (error → idle → message → idle) does not stop it, and a later Esc still does', async () => {
    const harness = createMissionHarness()
    const apiError = { name: 'APIError', data: { message: 'Internal server error', statusCode: 500, isRetryable: false } }
    harness.host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' }, { durationMs: 100, error: apiError }])
    harness.host.onAgent('worker', { durationMs: 1_000, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => void harness.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
    const { missionId, rootSessionId } = await harness.startMission()
    // The first worker's wake makes the root answer with a 500: the host's error sequence.
    await harness.advance(5_000)
    const errorsSeen = harness.host.events.filter((event) => event.type === 'session-error' && event.sessionId === rootSessionId)
    expect(errorsSeen).toHaveLength(1)
    const mission = harness.engine.getMission(missionId)!
    expect(mission.state).not.toBe('stopped')
    expect(mission.end).toBeUndefined()

    // The user presses Esc on the now idle root: that is a stop, even right after an error.
    await harness.host.sessions.abort(rootSessionId)
    await harness.settle()
    expect(harness.engine.getMission(missionId)).toMatchObject({ state: 'stopped', end: { reason: USER_ESC } })
  })
})

describe('a deleted root session', () => {
  it('stops the mission without aborting sessions that are gone', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' })
    harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => void harness.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(5_000)
    const deleteIndex = harness.host.calls.length
    await harness.host.sessions.delete(rootSessionId) // the host deletes the children with it
    await harness.advance(60_000)

    const mission = harness.engine.getMission(missionId)!
    expect(mission).toMatchObject({ state: 'stopped', end: { reason: 'the root session was deleted' } })
    expect(mission.tasks.map((task) => task.status)).toEqual(['cancelled'])
    expect(callsAfter(harness, deleteIndex + 1, 'abort')).toEqual([])
    expect(harness.logs.filter((entry) => entry.level === 'error')).toEqual([])
  })
})

describe('what ends with the mission', () => {
  it('a verified mission waits for a task still running instead of cutting it, then seals', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'all verified' })
    harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'late extra work' })
    let delegated = false
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      // Only the first turn delegates; the wake's turn just answers.
      if (delegated) return
      delegated = true
      harness.engine.delegate({ sessionId, agent: 'worker', title: 'extra polish', prompt: 'polish' })
      harness.engine.setTodos(missionId, [makeTodo('t1', { status: 'done', evidence: 'tests pass' })])
    })
    const started = await harness.startMission()
    const missionId = started.missionId
    await harness.advance(5_000)

    // Every todo is verified, but the extra task is mid-turn: sealing now would cut it.
    let mission = harness.engine.getMission(missionId)!
    expect(mission.state).toBe('waiting')
    await harness.advance(3_600_000)

    mission = harness.engine.getMission(missionId)!
    expect(mission.state).toBe('sealed')
    expect(mission.tasks[0]).toMatchObject({ status: 'completed', result: 'late extra work' })
    expect(harness.host.calls.filter((call) => call.method === 'abort')).toEqual([])
  })

  it('a stop aborts a session whose task ended but which is in a turn the engine started (a grandchild wake)', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', [{ steps: [{ tool: 'orchestrator_delegate', durationMs: 100 }], durationMs: 900, reply: 'worker done' }, { durationMs: 600_000, reply: 'read the helper' }])
    harness.host.onAgent('helper', { durationMs: 10_000, reply: 'helper done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      const commander = harness.engine.sessionRole(sessionId)?.agent === 'commander'
      harness.engine.delegate({ sessionId, agent: commander ? 'worker' : 'helper', title: 'part', prompt: 'work' })
    })
    const { missionId } = await harness.startMission({ budgets: { maxIterations: 0 } })
    await harness.advance(20_000)
    const worker = harness.engine.getMission(missionId)!.tasks.find((task) => task.agent === 'worker')!
    expect(worker.status).toBe('completed')
    expect(harness.host.isBusy(worker.sessionId!)).toBe(true) // answering the helper's wake

    await harness.engine.stopMission(missionId, { reason: 'stopped by the user (/stop)' })
    expect(harness.host.isBusy(worker.sessionId!)).toBe(false)
    for (const session of harness.engine.getMission(missionId)!.sessions) expect(harness.host.isBusy(session.sessionId), session.sessionId).toBe(false)
  })
})
