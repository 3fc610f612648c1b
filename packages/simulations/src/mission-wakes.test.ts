import type { FakeTurn } from '@opencode-orchestrator/testing'
import type { HostV1 } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createMissionHarness, type MissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

const WAKE_HEAD = /^\[orchestrator\] \d+ delegated tasks? ended/
const CONTINUE_HEAD = /^\[orchestrator\] Mission continues/

/** The Commander's kickoff: a delegate tool call (the test's handler delegates `count` workers), then more turn time, then an answer. */
function delegatingTurn(options: { afterDelegateMs?: number } = {}): FakeTurn {
  return {
    steps: [{ tool: 'orchestrator_delegate', durationMs: 10, toolDurationMs: 5 }],
    durationMs: options.afterDelegateMs ?? 10,
    reply: 'delegated; waiting',
  }
}

/** Delegates `count` workers whenever the Commander runs its delegate tool. */
function delegateWorkers(harness: MissionHarness, count: number) {
  const taskIds: string[] = []
  harness.onTool('orchestrator_delegate', ({ sessionId }) => {
    for (let index = 0; index < count; index++) {
      taskIds.push(harness.engine.delegate({ sessionId, agent: 'worker', title: `part ${index + 1}`, prompt: `do part ${index + 1}` }).id)
    }
  })
  return taskIds
}

const wakes = (harness: MissionHarness, rootSessionId: string) => harness.prompts(rootSessionId).filter((prompt) => WAKE_HEAD.test(prompt.text))

describe('wake-ups are never dropped', () => {
  it('a child that answers in 300 ms wakes its parent, whether it ends after or before the parent turn', async () => {
    for (const afterDelegateMs of [10, 5_000]) {
      const harness = createMissionHarness()
      harness.host.onAgent('commander', [delegatingTurn({ afterDelegateMs }), { reply: 'noted' }])
      harness.host.onAgent('worker', { durationMs: 300, reply: 'part done' })
      const taskIds = delegateWorkers(harness, 1)
      const { rootSessionId } = await harness.startMission()
      await harness.advance(10_000)

      const task = harness.engine.getTask(taskIds[0]!)
      expect(task).toMatchObject({ status: 'completed', result: 'part done' })
      expect(task!.endedAt! - task!.startedAt!).toBeLessThanOrEqual(310)
      const sent = wakes(harness, rootSessionId)
      expect(sent, `root turn of ${afterDelegateMs} ms after the delegate`).toHaveLength(1)
      expect(sent[0]!.text).toContain(taskIds[0]!)
      expect(sent[0]!.text).toContain('part done')
      // Sent once the root was idle: never before the task ended, and never lost behind the root's turn.
      expect(sent[0]!.at).toBeGreaterThanOrEqual(task!.endedAt!)
      expect(harness.listenerErrors).toEqual([])
    }
  })

  it('children ending in the same instant give exactly one consolidated wake naming all of them', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', [delegatingTurn(), { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 2_000, reply: 'finished' })
    const taskIds = delegateWorkers(harness, 4)
    const { rootSessionId, missionId } = await harness.startMission()
    await harness.advance(10_000)

    const ends = taskIds.map((id) => harness.engine.getTask(id)!.endedAt)
    expect(new Set(ends).size).toBe(1)
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    for (const id of taskIds) expect(sent[0]!.text).toContain(`## ${id} ·`)
    expect(harness.eventsOf('mission-wake')).toEqual([{ missionId, sessionId: rootSessionId, taskIds }])
  })

  it('a parent turn that ends right after the previous idle check still leads to the next step', async () => {
    // The predecessor ignored idles inside a 3 s guard after a continuation and left the mission dormant.
    for (const order of ['message-then-idle', 'idle-then-message'] as const) {
      for (const turnMs of [0, 1, 50, 1_999, 2_999]) {
        const harness = createMissionHarness({ continuation: { cooldownMs: 2_000, stagnationTurns: 3 } })
        let progress = 0
        // Each Commander turn moves one todo forward, so the loop has a reason to go on.
        harness.onTool('todowrite', () => {
          progress++
          harness.engine.setTodos(missionId, [makeTodo('t1', { status: progress % 2 === 0 ? 'pending' : 'in_progress', at: progress })])
        })
        harness.host.onAgent('commander', { steps: [{ tool: 'todowrite', durationMs: 0 }], durationMs: turnMs, reply: 'step', order })
        const started = await harness.startMission({ budgets: { maxIterations: 6 } })
        const missionId = started.missionId
        await harness.advance(60_000)

        const label = `${order}, turn of ${turnMs} ms: ${JSON.stringify(harness.engine.getMission(missionId)!.end)}`
        const mission = harness.engine.getMission(missionId)!
        const continuations = harness.prompts(started.rootSessionId).filter((prompt) => CONTINUE_HEAD.test(prompt.text))
        expect(continuations, label).toHaveLength(6)
        // Consecutive continuations are one cooldown (or one turn, if longer) apart: no idle was lost.
        for (let index = 1; index < continuations.length; index++) {
          expect(continuations[index]!.at - continuations[index - 1]!.at, label).toBeLessThanOrEqual(Math.max(2_000, turnMs + 20))
        }
        expect(mission.state, label).toBe('stopped')
        expect(mission.end, label).toMatchObject({ budget: 'iterations' })
      }
    }
  })

  it('a transient idle between two steps of a child does not end its task', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', [delegatingTurn(), { reply: 'noted' }])
    harness.host.onAgent('worker', {
      steps: [
        { tool: 'bash', durationMs: 100, transientIdleMs: 1_500 },
        { tool: 'read', durationMs: 100, transientIdleMs: 10 },
      ],
      durationMs: 400,
      reply: 'the real answer',
    })
    const taskIds = delegateWorkers(harness, 1)
    const { rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    expect(harness.engine.getTask(taskIds[0]!)!.status).toBe('running')
    expect(wakes(harness, rootSessionId)).toHaveLength(0)

    await harness.advance(10_000)
    expect(harness.engine.getTask(taskIds[0]!)).toMatchObject({ status: 'completed', result: 'the real answer' })
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toContain('the real answer')
  })

  it('a wake for a busy parent is queued until it is idle', async () => {
    const harness = createMissionHarness({ continuation: { wakeMaxWaitMs: 60_000 } })
    harness.host.onAgent('commander', [delegatingTurn({ afterDelegateMs: 30_000 }), { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 300, reply: 'quick' })
    const taskIds = delegateWorkers(harness, 1)
    const { rootSessionId } = await harness.startMission()
    await harness.advance(20_000)
    expect(harness.engine.getTask(taskIds[0]!)!.status).toBe('completed')
    expect(wakes(harness, rootSessionId)).toHaveLength(0)

    await harness.advance(20_000)
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    const rootIdleAt = harness.host.turns.find((turn) => turn.sessionId === rootSessionId)!.at + 30_000
    expect(sent[0]!.at).toBeGreaterThanOrEqual(rootIdleAt)
    expect(sent[0]!.at).toBeLessThan(rootIdleAt + 100)
  })

  it('a wake is sent anyway after wakeMaxWaitMs when the parent stays busy (the host queues it)', async () => {
    const harness = createMissionHarness({ continuation: { wakeMaxWaitMs: 60_000 } })
    harness.host.onAgent('commander', [delegatingTurn({ afterDelegateMs: 300_000 }), { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 300, reply: 'quick' })
    const taskIds = delegateWorkers(harness, 1)
    const { rootSessionId } = await harness.startMission()
    await harness.advance(400_000)

    const task = harness.engine.getTask(taskIds[0]!)!
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.at).toBe(task.endedAt! + 60_000)
    // The queued wake was the root's next turn after the long one, and it was not sent twice.
    const rootTurns = harness.host.turns.filter((turn) => turn.sessionId === rootSessionId)
    expect(rootTurns[1]!.text).toMatch(WAKE_HEAD)
    expect(rootTurns.filter((turn) => WAKE_HEAD.test(turn.text))).toHaveLength(1)
  })
})

/** A host whose aborts land `delayMs` late, as over a real network: the child may answer first. */
function lateAborts(harness: { clock: { setTimeout(callback: () => void, ms: number): unknown } }, delayMs: number) {
  return (host: HostV1): HostV1 => ({
    ...host,
    sessions: {
      ...host.sessions,
      abort: (sessionId) => new Promise<void>((resolve, reject) => void harness.clock.setTimeout(() => host.sessions.abort(sessionId).then(resolve, reject), delayMs)),
    },
  })
}

describe('a child result after a cancel', () => {
  it('is recorded on the task but never restarts a stopped mission', async () => {
    const clockHolder: { clock: { setTimeout(callback: () => void, ms: number): unknown } } = { clock: { setTimeout: () => undefined } }
    const harness = createMissionHarness({ wrapHost: (host) => lateAborts(clockHolder, 500)(host) })
    clockHolder.clock = harness.clock
    harness.host.onAgent('commander', [delegatingTurn(), { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 1_200, reply: 'late answer' })
    const taskIds = delegateWorkers(harness, 1)
    const { missionId } = await harness.startMission()
    await harness.advance(1_000)

    const stopping = harness.engine.stopMission(missionId, { reason: 'stopped by the user (/stop)' })
    const callsAtStop = harness.host.calls.length
    await harness.advance(60_000)
    await stopping

    const task = harness.engine.getTask(taskIds[0]!)!
    expect(task.status).toBe('cancelled')
    expect(task.result).toBe('late answer')
    expect(harness.engine.getMission(missionId)).toMatchObject({ state: 'stopped', end: { reason: 'stopped by the user (/stop)' } })
    expect(harness.host.calls.slice(callsAtStop).filter((call) => call.method === 'promptAsync')).toEqual([])
    // The result reached the journal too.
    await harness.journal.flush()
    const { records } = await harness.journal.loadAll()
    expect(records.find((record) => record.id === missionId)!.tasks[0]!.result).toBe('late answer')
  })

  it('after cancelTask is recorded, and the parent hears about the cancel once, not about the late result', async () => {
    const clockHolder: { clock: { setTimeout(callback: () => void, ms: number): unknown } } = { clock: { setTimeout: () => undefined } }
    const harness = createMissionHarness({ wrapHost: (host) => lateAborts(clockHolder, 500)(host) })
    clockHolder.clock = harness.clock
    harness.host.onAgent('commander', [delegatingTurn(), { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 1_200, reply: 'late answer' })
    const taskIds = delegateWorkers(harness, 1)
    const { rootSessionId } = await harness.startMission({ budgets: { maxIterations: 0 } })
    await harness.advance(1_000)

    const cancelling = harness.engine.cancelTask(taskIds[0]!, 'not needed')
    await harness.advance(60_000)
    await cancelling
    const task = harness.engine.getTask(taskIds[0]!)!
    expect(task).toMatchObject({ status: 'cancelled', result: 'late answer', error: { code: 'task-cancelled' } })
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toContain('Reason: not needed')
  })
})

describe('work that ends without waking the root still moves the mission', () => {
  it('a silent task (notifyParent: false) that was the last work makes the idle root evaluate again', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: 0 } })
    harness.host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'started it' }, { reply: 'next' }])
    harness.host.onAgent('worker', { durationMs: 5_000, reply: 'done quietly' })
    let taskId = ''
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      taskId = harness.engine.delegate({ sessionId, agent: 'worker', title: 'quiet', prompt: 'work', notifyParent: false }).id
    })
    const { missionId, rootSessionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1')])
    await harness.advance(60_000)

    const ended = harness.engine.getTask(taskId)!
    expect(ended.status).toBe('completed')
    expect(wakes(harness, rootSessionId)).toEqual([])
    const next = harness.prompts(rootSessionId).find((prompt) => CONTINUE_HEAD.test(prompt.text))
    expect(next, 'a continuation once the silent task ended').toBeDefined()
    expect(next!.at).toBeGreaterThanOrEqual(ended.endedAt!)
  })

  it('a silent task whose waiting call was cut while the mission goes on (wakeParentOnEnd) wakes its parent with the result', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: 0 } })
    harness.host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'call cut' }, { reply: 'read it' }])
    harness.host.onAgent('worker', { durationMs: 5_000, reply: 'the result' })
    let taskId = ''
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      taskId = harness.engine.delegate({ sessionId, agent: 'worker', title: 'cut', prompt: 'work', notifyParent: false }).id
    })
    const { missionId, rootSessionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1')])
    await harness.advance(1_000)
    expect(harness.engine.getTask(taskId)!.status).toBe('running')
    harness.engine.wakeParentOnEnd(taskId)
    await harness.advance(60_000)

    expect(harness.engine.getTask(taskId)!.status).toBe('completed')
    const delivered = wakes(harness, rootSessionId)
    expect(delivered).toHaveLength(1)
    expect(delivered[0]!.text).toContain(`## ${taskId} ·`)
    expect(delivered[0]!.text).toContain('the result')
  })

  it('a grandchild that ends after its parent task makes the idle root evaluate again', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: 0 } })
    harness.host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' }, { reply: 'next' }])
    // The worker hands a part to a helper and ends its own turn long before the helper does.
    harness.host.onAgent('worker', [{ steps: [{ tool: 'orchestrator_delegate', durationMs: 100 }], durationMs: 900, reply: 'worker done' }, { reply: 'read the helper' }])
    harness.host.onAgent('helper', { durationMs: 10_000, reply: 'helper done' })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      const agent = harness.engine.sessionRole(sessionId)?.agent === 'commander' ? 'worker' : 'helper'
      harness.engine.delegate({ sessionId, agent, title: agent, prompt: 'work' })
    })
    const { missionId, rootSessionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1')])
    await harness.advance(60_000)

    const tasks = harness.engine.getMission(missionId)!.tasks
    expect(tasks.map((task) => `${task.agent}:${task.status}`).slice(0, 2)).toEqual(['worker:completed', 'helper:completed'])
    const helper = tasks[1]!
    expect(helper.endedAt!).toBeGreaterThan(tasks[0]!.endedAt!)
    const after = harness.prompts(rootSessionId).filter((prompt) => prompt.at > helper.endedAt!)
    expect(after.length, 'the root hears from the engine after the helper ended').toBeGreaterThan(0)
  })

  it('a child the host could not prompt fails its task and wakes the parent with the reason', async () => {
    const harness = createMissionHarness({
      wrapHost: (host) => ({
        ...host,
        sessions: {
          ...host.sessions,
          promptAsync: (prompt) =>
            prompt.agent === 'worker' ? Promise.reject(new Error('ECONNRESET: the host closed the connection')) : host.sessions.promptAsync(prompt),
        },
      }),
    })
    harness.host.onAgent('commander', [delegatingTurn(), { reply: 'noted' }])
    const taskIds = delegateWorkers(harness, 1)
    const { rootSessionId } = await harness.startMission()
    await harness.advance(10_000)

    expect(harness.engine.getTask(taskIds[0]!)).toMatchObject({ status: 'failed', error: { code: 'host-failed', message: expect.stringContaining('could not prompt the worker session') } })
    const sent = wakes(harness, rootSessionId)
    expect(sent).toHaveLength(1)
    expect(sent[0]!.text).toContain('ECONNRESET')
  })
})
