/**
 * Budgets that end a mission while it runs: tokens and cost (added up from the sessions' message
 * updates), wall time (a timer from the mission's creation). The child-session, depth and breadth
 * budgets are checked where work is delegated (public-api.ts) and end the mission through {@link Budgets.exceed}.
 */
import type { BudgetName } from '../events'
import type { HostMessage } from '../host'
import { isMissionFinal } from '../mission'
import type { EngineContext, EngineOps } from './engine-context'
import type { MissionRuntime, SessionTrack } from './mission-runtime'

const BUDGET_TEXT: Record<BudgetName, string> = {
  iterations: 'iteration budget (budgets.maxIterations)',
  wallTime: 'wall-time budget (budgets.maxWallTimeMinutes)',
  childSessions: 'child-session budget (budgets.maxChildSessions)',
  depth: 'depth budget (budgets.maxDepth)',
  breadth: 'breadth budget (budgets.maxBreadth)',
  tokens: 'token budget (budgets.maxTokens)',
  cost: 'cost budget (budgets.maxCostUsd)',
}

export interface Budgets {
  exceed: EngineOps['exceed']
  armWallTimer: EngineOps['armWallTimer']
  /** Adds a message's tokens and cost (the delta since its last update) to the mission's counters. */
  accountUsage(runtime: MissionRuntime, entry: SessionTrack, message: HostMessage): void
}

export function createBudgets(ctx: EngineContext, ops: Pick<EngineOps, 'finish'>): Budgets {
  const { bus, clock, persist, schedule } = ctx
  const { finish } = ops

  const accountUsage = (runtime: MissionRuntime, entry: SessionTrack, message: HostMessage) => {
    const tokens = message.tokens ? message.tokens.input + message.tokens.output + message.tokens.reasoning : 0
    const cost = message.cost ?? 0
    const previous = entry.usage.get(message.id) ?? { tokens: 0, cost: 0 }
    if (previous.tokens === tokens && previous.cost === cost) return
    entry.usage.set(message.id, { tokens, cost })
    const { record } = runtime
    record.counters.tokens += tokens - previous.tokens
    record.counters.costUsd += cost - previous.cost
    // Journaled at once: after a restart the token and cost budgets go on from what was really spent.
    persist(runtime)
    if (isMissionFinal(record.state)) return
    if (record.budgets.maxTokens > 0 && record.counters.tokens > record.budgets.maxTokens) {
      exceed(runtime, 'tokens', record.budgets.maxTokens, record.counters.tokens)
    } else if (record.budgets.maxCostUsd > 0 && record.counters.costUsd > record.budgets.maxCostUsd) {
      exceed(runtime, 'cost', record.budgets.maxCostUsd, record.counters.costUsd)
    }
  }

  const exceed = (runtime: MissionRuntime, budget: BudgetName, limit: number, value: number): string => {
    // The wall-time budget is configured in minutes and fires exactly at its limit: say so in minutes.
    const minutes = (ms: number) => `${Number((ms / 60_000).toFixed(1))} min`
    const detail = budget === 'wallTime' ? `the mission ran ${minutes(value)} (limit ${minutes(limit)})` : `${Number.isInteger(value) ? value : value.toFixed(4)} > ${limit}`
    const reason = `${BUDGET_TEXT[budget]} exhausted: ${detail}`
    bus.emit('budget-exceed', { missionId: runtime.record.id, budget, limit, value })
    finish(runtime, 'stopped', reason, budget, 'orchestrator')
    return reason
  }

  const armWallTimer = (runtime: MissionRuntime) => {
    const { record } = runtime
    if (!(record.budgets.maxWallTimeMs > 0) || !Number.isFinite(record.budgets.maxWallTimeMs)) return
    const remaining = record.createdAt + record.budgets.maxWallTimeMs - clock.now()
    runtime.wallTimer = schedule(runtime, Math.max(0, remaining), () => {
      exceed(runtime, 'wallTime', record.budgets.maxWallTimeMs, clock.now() - record.createdAt)
    })
  }

  return { exceed, armWallTimer, accountUsage }
}
