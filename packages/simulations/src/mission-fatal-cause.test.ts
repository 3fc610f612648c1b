import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'

const AUTH = "The provider 'fake' rejected the API key (401). Fix: run `opencode auth login fake` or set the key, then /task again."

describe('a fatal error in one child ends the mission', () => {
  it('records that child as failed with the error, cancels the rest, and prompts nobody', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', { hang: true })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      for (const title of ['w1', 'w2']) harness.engine.delegate({ sessionId, agent: 'worker', title, prompt: 'work' })
    })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    const [culprit, other] = harness.engine.getMission(missionId)!.tasks
    expect([culprit?.status, other?.status]).toEqual(['running', 'running'])

    const stopIndex = harness.host.calls.length
    await harness.engine.stopMission(missionId, {
      reason: AUTH,
      outcome: 'failed',
      cause: { sessionId: culprit!.sessionId!, error: { code: 'auth', message: AUTH } },
    })

    const mission = harness.engine.getMission(missionId)!
    expect(mission.state).toBe('failed')
    expect(mission.end?.reason).toBe(AUTH)
    expect(mission.tasks.map((task) => [task.id, task.status, task.error?.code])).toEqual([
      [culprit!.id, 'failed', 'auth'],
      [other!.id, 'cancelled', 'mission-ended'],
    ])
    expect(mission.tasks[0]!.error?.message).toBe(AUTH)
    // The failed task did not queue a wake: the mission is over, nothing may call the model.
    expect(mission.pendingWakes).toEqual({})
    await harness.advance(3_600_000)
    expect(harness.host.calls.slice(stopIndex).filter((call) => call.method === 'promptAsync')).toEqual([])
    expect(harness.prompts(rootSessionId).filter((prompt) => prompt.at > mission.end!.at)).toEqual([])
    expect(harness.eventsOf('task-end').map((event) => [event.task.id, event.task.status])).toEqual([
      [culprit!.id, 'failed'],
      [other!.id, 'cancelled'],
    ])
    expect(harness.eventsOf('mission-fail')).toEqual([{ missionId, reason: AUTH }])
    // The cheap state lookup (the tool guard's hot path) agrees for the root and for a child.
    expect(harness.engine.missionStateOf(rootSessionId)).toEqual({ missionId, state: 'failed', endReason: AUTH })
    expect(harness.engine.missionStateOf(other!.sessionId!)).toEqual({ missionId, state: 'failed', endReason: AUTH })
    expect(harness.engine.missionStateOf('ses_not_in_a_mission')).toBeUndefined()
  })

  it('missionStateOf follows a live mission without copying it', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', { durationMs: 2_000, reply: 'done' })
    let delegated = false
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      if (delegated) return
      delegated = true
      harness.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work' })
    })
    const { missionId, rootSessionId } = await harness.startMission()
    const seen: string[] = []
    let held: string | undefined
    /** At every moment: the cheap lookup says what the full snapshot says, for the root and the child. */
    const check = () => {
      const mission = harness.engine.getMission(missionId)!
      const expected = {
        missionId,
        state: mission.state,
        ...(mission.end ? { endReason: mission.end.reason } : {}),
        ...(held !== undefined ? { heldReason: held } : {}),
      }
      expect(harness.engine.missionStateOf(rootSessionId)).toEqual(expected)
      const child = mission.tasks[0]?.sessionId
      if (child) expect(harness.engine.missionStateOf(child)).toEqual(expected)
      if (seen.at(-1) !== mission.state) seen.push(mission.state)
    }
    check()
    expect(harness.engine.missionStateOf(rootSessionId)).toEqual({ missionId, state: 'planning' })
    // Step through the mission: delegation, the child's work, its end and the wake, then a stop.
    for (let step = 0; step < 40; step++) {
      await harness.advance(100)
      check()
    }
    harness.engine.setTodos(missionId, [{ id: 't1', title: 'Ship it', status: 'pending', dependsOn: [], createdAt: 0, updatedAt: 0 }])
    check()
    held = 'paused: held for the test'
    harness.engine.pauseMission(missionId, held)
    check()
    expect(harness.engine.missionStateOf(rootSessionId)?.heldReason).toBe('paused: held for the test')
    held = undefined
    harness.engine.resumeMission(missionId)
    check()
    await harness.engine.stopMission(missionId, { reason: 'enough' })
    check()
    expect(harness.engine.missionStateOf(rootSessionId)).toEqual({ missionId, state: 'stopped', endReason: 'enough' })
    // It followed the mission through its states, not one snapshot.
    console.info(`[missionStateOf] states seen: ${seen.join(' → ')}`)
    expect(seen.length).toBeGreaterThanOrEqual(3)
    expect(seen[0]).toBe('planning')
    expect(seen.at(-1)).toBe('stopped')
    // A small object of its own each call, never the engine's record.
    const first = harness.engine.missionStateOf(rootSessionId)!
    first.state = 'sealed'
    expect(harness.engine.missionStateOf(rootSessionId)!.state).toBe('stopped')
  })
})

describe('a delegate call that waits for a task of a mission that ends', () => {
  it.each(['failed', 'stopped'] as const)('is answered only after the root was aborted (mission %s): the caller gets no model step after the end', async (outcome) => {
    const aborts: Array<{ sessionId: string; deliver: () => void }> = []
    const harness = createMissionHarness({
      // Aborts land when the test says so, as an abort over HTTP does some time after it was sent.
      wrapHost: (host) => ({
        ...host,
        sessions: { ...host.sessions, abort: (sessionId) => new Promise<void>((resolve, reject) => void aborts.push({ sessionId, deliver: () => void host.sessions.abort(sessionId).then(resolve, reject) })) },
      }),
    })
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', { hang: true })
    const taskIds: string[] = []
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      taskIds.push(harness.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work', notifyParent: false }).id)
    })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    let answered = false
    const waiting = harness.engine.waitForTasks(taskIds).then((tasks) => {
      answered = true
      return tasks
    })

    const stopping = harness.engine.stopMission(missionId, { reason: 'ended', outcome })
    await harness.settle()
    expect(harness.engine.getMission(missionId)!.state).toBe(outcome)
    expect(aborts.map((abort) => abort.sessionId)).toContain(rootSessionId)
    expect(answered).toBe(false)
    for (const abort of aborts) abort.deliver()
    await harness.settle()
    expect(answered).toBe(true)
    expect((await waiting).map((task) => task.status)).toEqual(['cancelled'])
    await stopping
  })

  it('is answered at once when its task ends in a live mission', async () => {
    const harness = createMissionHarness()
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', { durationMs: 2_000, reply: 'done' })
    const taskIds: string[] = []
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      taskIds.push(harness.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work', notifyParent: false }).id)
    })
    await harness.startMission()
    await harness.advance(1_000)
    const waiting = harness.engine.waitForTasks(taskIds)
    await harness.advance(2_000)
    expect((await waiting).map((task) => [task.status, task.result])).toEqual([['completed', 'done']])
  })
})
