import { OrchestratorError, type BudgetName, type MissionBudgets } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createMissionHarness, type MissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

interface BudgetCase {
  budget: BudgetName
  limits: Partial<MissionBudgets>
  /** Scripts the agents of the mission. */
  script(harness: MissionHarness, missionId: () => string): void
  /** What the end reason must say, besides the budget's name. */
  reason: RegExp
}

/** Delegates `count` workers from whichever session runs `orchestrator_delegate`; a refusal is kept, not thrown into the host. */
function delegateOnTool(harness: MissionHarness, refusals: unknown[]) {
  harness.onTool('orchestrator_delegate', ({ sessionId, input }) => {
    for (let index = 0; index < Number(input['count'] ?? 1); index++) {
      try {
        harness.engine.delegate({ sessionId, agent: String(input['agent'] ?? 'worker'), title: `part ${index + 1}`, prompt: 'work' })
      } catch (error) {
        refusals.push(error)
        return
      }
    }
  })
}

const delegateStep = (count: number, agent = 'worker') => ({ tool: 'orchestrator_delegate', input: { count, agent }, toolDurationMs: 5 })

const CASES: BudgetCase[] = [
  {
    budget: 'iterations',
    limits: { maxIterations: 2 },
    reason: /limit of 2 continuations/,
    script(harness, missionId) {
      let turn = 0
      // Every turn moves the todo, so only the iteration cap can end the loop.
      harness.onTool('todowrite', () => {
        turn++
        harness.engine.setTodos(missionId(), [makeTodo('t1', { status: turn % 2 === 0 ? 'pending' : 'in_progress', at: turn })])
      })
      harness.host.onAgent('commander', { steps: [{ tool: 'todowrite' }], reply: 'moved t1' })
    },
  },
  {
    budget: 'wallTime',
    limits: { maxWallTimeMs: 10 * 60_000 },
    reason: /10 min/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(1)], reply: 'waiting' })
      harness.host.onAgent('worker', { durationMs: 3_600_000, reply: 'too late' })
    },
  },
  {
    budget: 'childSessions',
    limits: { maxChildSessions: 2 },
    reason: /3 > 2/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(3)], reply: 'waiting' })
      harness.host.onAgent('worker', { durationMs: 60_000, reply: 'done' })
    },
  },
  {
    budget: 'depth',
    limits: { maxDepth: 1 },
    reason: /2 > 1/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(1)], reply: 'waiting' })
      harness.host.onAgent('worker', { steps: [delegateStep(1, 'helper')], durationMs: 60_000, reply: 'done' })
    },
  },
  {
    budget: 'breadth',
    limits: { maxBreadth: 2 },
    reason: /3 > 2/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(3)], reply: 'waiting' })
      harness.host.onAgent('worker', { durationMs: 60_000, reply: 'done' })
    },
  },
  {
    budget: 'tokens',
    limits: { maxTokens: 1_000 },
    reason: /1100 > 1000/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(1)], reply: 'waiting', tokens: { input: 50, output: 10, reasoning: 0 } })
      harness.host.onAgent('worker', { durationMs: 1_000, reply: 'done', tokens: { input: 900, output: 130, reasoning: 10, cacheRead: 5_000 } })
    },
  },
  {
    budget: 'cost',
    limits: { maxCostUsd: 0.5 },
    reason: /0\.6100 > 0\.5/,
    script(harness) {
      harness.host.onAgent('commander', { steps: [delegateStep(1)], reply: 'waiting', cost: 0.01 })
      harness.host.onAgent('worker', { durationMs: 1_000, reply: 'done', cost: 0.6 })
    },
  },
]

const BUDGET_KEYS: Record<BudgetName, string> = {
  iterations: 'continuations',
  wallTime: 'budgets.maxWallTimeMinutes',
  childSessions: 'budgets.maxChildSessions',
  depth: 'budgets.maxDepth',
  breadth: 'budgets.maxBreadth',
  tokens: 'budgets.maxTokens',
  cost: 'budgets.maxCostUsd',
}

describe('budgets stop the mission with a notice naming the budget', () => {
  it.each(CASES)('$budget', async ({ budget, limits, script, reason }) => {
    const harness = createMissionHarness({ budgets: limits })
    const refusals: unknown[] = []
    delegateOnTool(harness, refusals)
    let id = ''
    script(harness, () => id)
    const { missionId, rootSessionId } = await harness.startMission()
    id = missionId
    await harness.advance(2 * 3_600_000)

    const mission = harness.engine.getMission(missionId)!
    expect(mission.state).toBe('stopped')
    expect(mission.end?.budget).toBe(budget)
    expect(mission.end?.reason).toContain(BUDGET_KEYS[budget])
    expect(mission.end?.reason).toMatch(reason)
    expect(harness.eventsOf('mission-stop')).toEqual([{ missionId, reason: mission.end!.reason, budget, by: 'orchestrator' }])
    const exceeded = harness.eventsOf('budget-exceed')
    expect(exceeded).toHaveLength(1)
    expect(exceeded[0]).toMatchObject({ missionId, budget })

    // A refused delegation tells the model why, naming the budget.
    if (refusals.length > 0) {
      expect(refusals).toHaveLength(1)
      expect(OrchestratorError.isInstance(refusals[0]) && refusals[0].code).toBe('limit-exceeded')
      expect((refusals[0] as Error).message).toContain(BUDGET_KEYS[budget])
    }
    // The stop is a real stop: every session idle, nothing prompted after it.
    for (const session of mission.sessions) expect(harness.host.isBusy(session.sessionId), session.sessionId).toBe(false)
    const stopEvent = harness.events.find((event) => event.name === 'mission-stop')!
    expect(harness.host.calls.slice(stopEvent.callIndex).filter((call) => call.method === 'promptAsync')).toEqual([])
    expect(harness.prompts(rootSessionId).length).toBeGreaterThan(0)
  })
})
