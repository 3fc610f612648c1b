import { OrchestratorError, truncateForMessage } from '@opencode-orchestrator/core'

/** The orchestrator's agents. Names are exact and lower case: `Worker` is not `worker`. */
export const AGENT_NAMES = ['commander', 'planner', 'worker', 'reviewer'] as const

export type AgentName = (typeof AGENT_NAMES)[number]

export function isAgentName(value: unknown): value is AgentName {
  return typeof value === 'string' && (AGENT_NAMES as readonly string[]).includes(value)
}

/** Edit distance, for "did you mean" on small typos (`reviwer`). */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i]
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost)
    }
    previous = current
  }
  return previous[b.length] ?? Math.max(a.length, b.length)
}

function suggestionFor(name: string): AgentName | undefined {
  // No agent name is this long; do not measure the distance of a huge argument.
  if (name.length > 40) return undefined
  const lower = name.trim().toLowerCase()
  const exact = AGENT_NAMES.find((candidate) => candidate === lower)
  if (exact !== undefined) return exact
  let best: { name: AgentName; distance: number } | undefined
  for (const candidate of AGENT_NAMES) {
    const value = distance(lower, candidate)
    if (value <= 2 && (best === undefined || value < best.distance)) best = { name: candidate, distance: value }
  }
  return best?.name
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
  const suggestion = suggestionFor(name)
  const where = options.field === undefined ? '' : `${options.field}: `
  const hint = suggestion === undefined ? '' : ` — did you mean '${suggestion}'?`
  throw new OrchestratorError({
    code: 'agent-unknown',
    message: `${where}unknown agent '${truncateForMessage(name, 80)}'${hint} Valid agents (exact, lower case): ${AGENT_NAMES.join(', ')}.`,
    details: { name: truncateForMessage(name, 80), validNames: [...AGENT_NAMES], ...(suggestion === undefined ? {} : { suggestion }), ...options },
  })
}
