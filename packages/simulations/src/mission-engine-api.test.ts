import { describe, expect, it } from 'vitest'
import {
  createEventBus,
  createLogger,
  createMemoryStorage,
  createMissionEngine,
  createMissionJournal,
  createSequentialIds,
  defaultConfig,
  missionEngineSettings,
  type OrchestratorEvents,
} from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost } from '@opencode-orchestrator/testing'
import { decideContinuation } from '@opencode-orchestrator/todo-engine'

/* What a host embedding the engine meets first (found while writing examples/embed-core). */

function engineOnFakeHost() {
  const clock = createFakeClock()
  const logger = createLogger(() => {})
  return createMissionEngine({
    host: createFakeHost({ clock }),
    bus: createEventBus<OrchestratorEvents>({ onListenerError: (error) => { throw error } }),
    clock,
    ids: createSequentialIds(),
    logger,
    journal: createMissionJournal({ storage: createMemoryStorage(), clock, logger }),
    policy: decideContinuation,
    ...missionEngineSettings(defaultConfig()),
  })
}

describe('mission engine API', () => {
  it('refuses startMission before start(), which subscribes to the host', async () => {
    const engine = engineOnFakeHost()
    expect(() => engine.startMission({ rootSessionId: 'ses_1', goal: 'g' })).toThrow(/Call start\(\) on the mission engine before startMission/)
    await engine.start()
    expect(engine.startMission({ rootSessionId: 'ses_1', goal: 'g' }).state).toBe('planning')
  })

  it('takes its budgets and loop settings from the config in the engine units', () => {
    const config = defaultConfig()
    config.budgets.maxWallTimeMinutes = 1.5
    expect(missionEngineSettings(config)).toEqual({
      budgets: { maxIterations: 20, maxWallTimeMs: 90_000, maxChildSessions: 200, maxDepth: 2, maxBreadth: 50, maxTokens: 0, maxCostUsd: 0 },
      continuation: { stagnationTurns: 3, cooldownMs: 2000, wakeMaxWaitMs: 60_000 },
      isolation: 'worktree',
      onSeal: 'branch',
      warmWorktrees: 4,
    })
  })
})
