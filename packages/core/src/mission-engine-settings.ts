import type { OrchestratorConfig } from './config'
import type { MissionBudgets } from './mission'
import type { ContinuationSettings } from './mission-engine'

/**
 * The mission engine's budgets and loop settings from a validated config, so
 * every host maps the file's units (minutes) to the engine's (milliseconds)
 * the same way.
 *
 * @example
 * const engine = createMissionEngine({ ...missionEngineSettings(config), host, bus, clock, ids, journal, logger, policy })
 */
export function missionEngineSettings(config: Pick<OrchestratorConfig, 'budgets' | 'continuation'>): {
  budgets: MissionBudgets
  continuation: ContinuationSettings
} {
  const { budgets, continuation } = config
  return {
    budgets: {
      maxIterations: budgets.maxIterations,
      maxWallTimeMs: budgets.maxWallTimeMinutes * 60_000,
      maxChildSessions: budgets.maxChildSessions,
      maxDepth: budgets.maxDepth,
      maxBreadth: budgets.maxBreadth,
      maxTokens: budgets.maxTokens,
      maxCostUsd: budgets.maxCostUsd,
    },
    continuation: {
      stagnationTurns: continuation.stagnationTurns,
      cooldownMs: continuation.cooldownMs,
      wakeMaxWaitMs: continuation.wakeMaxWaitMs,
    },
  }
}
