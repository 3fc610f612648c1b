import { OrchestratorError, didYouMean, truncateForMessage } from '@opencode-orchestrator/core'

/** The orchestrator's agents. Names are exact and lower case: `Worker` is not `worker`. */
export const AGENT_NAMES = ['commander', 'planner', 'worker', 'reviewer'] as const

export type AgentName = (typeof AGENT_NAMES)[number]

export function isAgentName(value: unknown): value is AgentName {
  return typeof value === 'string' && (AGENT_NAMES as readonly string[]).includes(value)
}

export interface ResolveAgentNameOptions {
  /** Where the name came from, named in the error (e.g. `agents.Worker` or `orchestrator_delegate.agent`). */
  field?: string
}

/**
 * Returns `name` as an {@link AgentName} when it matches exactly. Anything else throws
 * `agent-unknown` listing the valid names (with a suggestion for a miscased or misspelt
 * name). There is deliberately no fallback to the Commander: a predecessor silently ran
 * unknown agents as the Commander and nobody noticed.
 */
export function resolveAgentName(name: string, options: ResolveAgentNameOptions = {}): AgentName {
  if (isAgentName(name)) return name
  const suggestion = didYouMean(name, AGENT_NAMES)
  const where = options.field === undefined ? '' : `${options.field}: `
  const hint = suggestion === undefined ? '' : ` — did you mean '${suggestion}'?`
  throw new OrchestratorError({
    code: 'agent-unknown',
    message: `${where}unknown agent '${truncateForMessage(name, 80)}'${hint} Valid agents (exact, lower case): ${AGENT_NAMES.join(', ')}.`,
    details: { name: truncateForMessage(name, 80), validNames: [...AGENT_NAMES], ...(suggestion === undefined ? {} : { suggestion }), ...options },
  })
}
