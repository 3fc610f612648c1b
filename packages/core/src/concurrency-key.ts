import type { ModelRef } from './host'
import { OrchestratorError } from './orchestrator-error'

/** Concurrency limits by key. Every limit is a slot count; 0 means unlimited. */
export interface ConcurrencyLimits {
  /** Slots shared by every task, whatever its key (default 50; 0 = unlimited). */
  global: number
  /** Slots of the shared `default` key: tasks whose agent, provider and model have no limit of their own (default 0). */
  default: number
  /** Limits by agent name, e.g. `{ worker: 10 }`. Names are compared case-insensitively. */
  agents: Record<string, number>
  /** Limits by provider id, e.g. `{ anthropic: 5 }`. */
  providers: Record<string, number>
  /** Limits by `provider/model`, e.g. `{ "anthropic/claude-sonnet-4": 3 }`. */
  models: Record<string, number>
}

/** The key a task is counted under, and that key's limit (0 = unlimited). */
export interface ConcurrencyKey {
  /** `model:<provider>/<model>`, `provider:<provider>`, `agent:<agent>` or `default`. */
  key: string
  limit: number
}

/** What decides the key of a task. */
export interface ConcurrencyKeyInput {
  agent: string
  model?: ModelRef
}

export type ConcurrencyKeyResolver = (input: ConcurrencyKeyInput) => ConcurrencyKey

/** Canonical form of a key name: `Worker` and ` worker ` both count as `worker`. */
export function normalizeKeyName(name: string): string {
  return name.trim().toLowerCase()
}

/** Throws unless `value` is a whole number ≥ 0; `field` names the config path in the message. */
export function assertSlotCount(value: unknown, field: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `${field}: got ${JSON.stringify(value)}, expected a whole number ≥ 0 (0 = unlimited).`,
      details: { field, value },
    })
  }
}

function normalizeTable(
  table: Record<string, number>,
  field: string,
  prefix: 'model' | 'provider' | 'agent',
): Map<string, ConcurrencyKey> {
  const result = new Map<string, ConcurrencyKey>()
  const originals = new Map<string, string>()
  for (const [name, limit] of Object.entries(table)) {
    assertSlotCount(limit, `${field}[${JSON.stringify(name)}]`)
    const normalized = normalizeKeyName(name)
    const clash = originals.get(normalized)
    if (clash !== undefined) {
      // Two spellings of one key would make the effective limit depend on object key order.
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `${field}: ${JSON.stringify(clash)} and ${JSON.stringify(name)} name the same key (keys are case-insensitive); keep one of them.`,
        details: { field, keys: [clash, name] },
      })
    }
    originals.set(normalized, name)
    result.set(normalized, { key: `${prefix}:${normalized}`, limit })
  }
  return result
}

/**
 * Picks the concurrency key of a task: the most specific key that has a limit
 * configured wins — `models["provider/model"]`, then `providers[provider]`,
 * then `agents[agent]`, then the shared `default` key.
 *
 * @param field config path of the limits, used in error messages.
 */
export function createConcurrencyKeyResolver(
  limits: Omit<ConcurrencyLimits, 'global'>,
  field = 'concurrency',
): ConcurrencyKeyResolver {
  assertSlotCount(limits.default, `${field}.default`)
  const models = normalizeTable(limits.models, `${field}.models`, 'model')
  const providers = normalizeTable(limits.providers, `${field}.providers`, 'provider')
  const agents = normalizeTable(limits.agents, `${field}.agents`, 'agent')
  const fallback: ConcurrencyKey = { key: 'default', limit: limits.default }
  return ({ agent, model }) => {
    if (model !== undefined) {
      if (models.size > 0) {
        const byModel = models.get(normalizeKeyName(`${model.providerId}/${model.modelId}`))
        if (byModel !== undefined) return byModel
      }
      if (providers.size > 0) {
        const byProvider = providers.get(normalizeKeyName(model.providerId))
        if (byProvider !== undefined) return byProvider
      }
    }
    if (agents.size > 0) {
      const byAgent = agents.get(normalizeKeyName(agent))
      if (byAgent !== undefined) return byAgent
    }
    return fallback
  }
}
