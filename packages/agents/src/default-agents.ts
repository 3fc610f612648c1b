import type { AgentDefinitions } from './agent-definition'
import { commanderAgent } from './commander-agent'
import { plannerAgent } from './planner-agent'
import { reviewerAgent } from './reviewer-agent'
import { workerAgent } from './worker-agent'

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const inner of Object.values(value)) deepFreeze(inner)
  }
  return value
}

/**
 * The built-in Commander, Planner, Worker and Reviewer, before any user override. Frozen:
 * it is shared module data, so an accidental mutation must fail instead of leaking into
 * every other orchestrator in the process.
 */
export const DEFAULT_AGENTS: AgentDefinitions = deepFreeze({
  commander: commanderAgent,
  planner: plannerAgent,
  worker: workerAgent,
  reviewer: reviewerAgent,
})
