import type { OrchestratorConfig } from './config'
import type { MissionBudgets } from './mission'
import type { ContinuationSettings } from './mission-engine'
import type { IsolationMode, SealLanding } from './task-workspaces'

/** Worktrees made while the Planner plans: as many Workers as may run at once, at most {@link MAX_WARM_WORKTREES}. */
export const MAX_WARM_WORKTREES = 4

function warmWorktreesOf(concurrency: OrchestratorConfig['concurrency']): number {
  const limits = [concurrency.global, ...Object.entries(concurrency.agents).filter(([name]) => name.trim().toLowerCase() === 'worker').map(([, slots]) => slots)]
  return Math.min(MAX_WARM_WORKTREES, ...limits.filter((slots) => slots > 0))
}

/**
 * The mission engine's budgets, loop and isolation settings from a validated config, so
 * every host maps the file's units (minutes) to the engine's (milliseconds)
 * the same way.
 *
 * @example
 * const engine = createMissionEngine({ ...missionEngineSettings(config), host, bus, clock, ids, journal, logger, policy })
 */
export function missionEngineSettings(config: Pick<OrchestratorConfig, 'budgets' | 'continuation'> & Partial<Pick<OrchestratorConfig, 'isolation' | 'onSeal' | 'concurrency'>>): {
  budgets: MissionBudgets
  continuation: ContinuationSettings
  isolation?: IsolationMode
  onSeal?: SealLanding
  warmWorktrees?: number
} {
  const { budgets, continuation } = config
  return {
    ...(config.isolation !== undefined ? { isolation: config.isolation } : {}),
    ...(config.onSeal !== undefined ? { onSeal: config.onSeal } : {}),
    ...(config.concurrency !== undefined && config.isolation !== 'none' ? { warmWorktrees: warmWorktreesOf(config.concurrency) } : {}),
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
