import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

const CONTINUE_HEAD = /^\[orchestrator\] Mission continues/
const COOLDOWN_MS = 2_000
const TURN_MS = 50

describe('continuation cadence', () => {
  it('a turn that moved a todo is continued at once, not after the cooldown', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: COOLDOWN_MS, stagnationTurns: 3 } })
    let progress = 0
    harness.onTool('todowrite', () => {
      progress++
      harness.engine.setTodos(missionId, [makeTodo('t1', { status: progress % 2 === 0 ? 'pending' : 'in_progress', at: progress })])
    })
    harness.host.onAgent('commander', { steps: [{ tool: 'todowrite', durationMs: 0 }], durationMs: TURN_MS, reply: 'step' })
    const started = await harness.startMission({ budgets: { maxIterations: 5 } })
    const missionId = started.missionId
    await harness.advance(60_000)

    const continuations = harness.prompts(started.rootSessionId).filter((prompt) => CONTINUE_HEAD.test(prompt.text))
    expect(continuations).toHaveLength(5)
    // One turn apart (plus the fake host's event hops), never a cooldown apart.
    for (let index = 1; index < continuations.length; index++) {
      expect(continuations[index]!.at - continuations[index - 1]!.at).toBeLessThan(TURN_MS + 100)
    }
    expect(harness.engine.getMission(missionId)!.end).toMatchObject({ budget: 'iterations' })
  })

  it('a continuation after a wake is sent at once: the delegated task that ended is progress, though the wake turn itself moved nothing', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: COOLDOWN_MS, stagnationTurns: 3 } })
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      harness.engine.delegate({ sessionId, agent: 'worker', title: 'probe', prompt: 'look into it' })
    })
    const delegating = { steps: [{ tool: 'orchestrator_delegate', durationMs: 5, toolDurationMs: 5 }], durationMs: TURN_MS, reply: 'delegated' }
    const reading = { durationMs: TURN_MS, reply: 'noted; still open' }
    harness.host.onAgent('commander', Array.from({ length: 12 }, (_, index) => (index % 2 === 0 ? delegating : reading)))
    harness.host.onAgent('worker', { durationMs: TURN_MS, reply: 'looked' })
    const started = await harness.startMission({ budgets: { maxIterations: 4 } })
    harness.engine.setTodos(started.missionId, [makeTodo('t1')])
    await harness.advance(60_000)

    const prompts = harness.prompts(started.rootSessionId)
    const continuations = prompts.filter((prompt) => CONTINUE_HEAD.test(prompt.text))
    expect(continuations).toHaveLength(4)
    // Each cycle is continuation → delegate → worker → wake → a reading turn → the next continuation: a few turns, no cooldown.
    for (let index = 1; index < continuations.length; index++) {
      expect(continuations[index]!.at - continuations[index - 1]!.at).toBeLessThan(COOLDOWN_MS)
    }
  })

  it('a turn without progress still waits out the cooldown, and stagnation ends the loop', async () => {
    const harness = createMissionHarness({ continuation: { cooldownMs: COOLDOWN_MS, stagnationTurns: 3 } })
    harness.host.onAgent('commander', { durationMs: TURN_MS, reply: 'nothing to report' })
    const started = await harness.startMission({ budgets: { maxIterations: 20 } })
    harness.engine.setTodos(started.missionId, [makeTodo('t1')])
    await harness.advance(60_000)

    const continuations = harness.prompts(started.rootSessionId).filter((prompt) => CONTINUE_HEAD.test(prompt.text))
    expect(continuations.length).toBeGreaterThanOrEqual(2)
    for (let index = 1; index < continuations.length; index++) {
      expect(continuations[index]!.at - continuations[index - 1]!.at).toBeGreaterThanOrEqual(COOLDOWN_MS)
    }
    const mission = harness.engine.getMission(started.missionId)!
    expect(mission.state).toBe('stopped')
    expect(mission.end?.reason).toMatch(/^stopped: no todo progress in 3 turns/)
  })
})
