import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

/*
 * Stagnation counts the continuations the Commander answered without progress, whatever the
 * model's speed. Seen on a real server before: with instant replies the Planner's wake landed
 * after the Commander's first turn (the wake's turn was progress: 3 continuations), with 6 s
 * replies it landed during that turn, so the turn answering the wake counted as a turn without
 * progress and the mission stopped after 2.
 */

async function stalledMission(commanderMs: number) {
  const harness = createMissionHarness({ continuation: { cooldownMs: 100, stagnationTurns: 3 } })
  harness.host.onAgent('commander', [
    { steps: [{ tool: 'orchestrator_delegate', durationMs: 10 }], durationMs: commanderMs, reply: 'The Planner is on it.' },
    { durationMs: commanderMs, reply: 'Still thinking about it.' },
  ])
  harness.host.onAgent('planner', { durationMs: 500, reply: 'Plan written: t1.' })
  let missionId = ''
  harness.onTool('orchestrator_delegate', ({ sessionId }) => {
    harness.engine.setTodos(missionId, [makeTodo('t1')])
    harness.engine.delegate({ sessionId, agent: 'planner', title: 'plan', prompt: 'Write the plan' })
  })
  ;({ missionId } = await harness.startMission())
  await harness.advance(10 * 60_000)
  return harness.engine.getMission(missionId)!
}

describe('stagnation', () => {
  it.each([
    { speed: 'instant replies', commanderMs: 10 },
    { speed: '6-second replies', commanderMs: 6_000 },
  ])('stops after the same 3 continuations without progress with $speed', async ({ commanderMs }) => {
    const mission = await stalledMission(commanderMs)
    expect(mission.state).toBe('stopped')
    expect(mission.end?.reason).toBe('stopped: no todo progress in 3 turns (t1 still open)')
    expect(mission.counters.iterations).toBe(3)
  })
})
