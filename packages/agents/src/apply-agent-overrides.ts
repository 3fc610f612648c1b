import { OrchestratorError } from '@opencode-orchestrator/core'
import type { AgentDefinition, AgentDefinitions } from './agent-definition'
import { AGENT_NAMES, resolveAgentName } from './agent-name'
import type { AgentName } from './agent-name'
import { AGENT_OVERRIDE_KEYS, agentOverrideSchema } from './agent-override'
import type { AgentOverride } from './agent-override'
import { EDIT_PERMISSION_ALIASES, permissionGrants } from './opencode-permission'
import type { PermissionValue } from './opencode-permission'
import { isOrchestratorToolName } from './orchestrator-tools'
import { ROLE_GUARANTEES } from './role-guarantees'

const FIXES: Record<string, string> = {
  model: 'use "provider/model", e.g. "anthropic/claude-sonnet-4-5"',
  temperature: 'use a number from 0 to 2',
  prompt: 'use a non-empty string',
  promptAppend: 'use a non-empty string',
  permission: 'use "allow", "ask" or "deny", or an object mapping patterns to one of them',
  disable: 'use true or false',
}

function show(value: unknown): string {
  if (value === undefined) return 'undefined'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<PropertyKey, unknown>)[key]
  }
  return current
}

function invalid(message: string, details: Record<string, unknown>): OrchestratorError {
  return new OrchestratorError({ code: 'config-invalid', message, details })
}

function parseOverride(name: AgentName, raw: unknown): AgentOverride {
  const field = `agents.${name}`
  const result = agentOverrideSchema.safeParse(raw)
  if (result.success) return result.data
  const problems = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return `${field}: unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((key) => `"${key}"`).join(', ')} — allowed keys: ${AGENT_OVERRIDE_KEYS.join(', ')}`
    }
    const path = issue.path.map(String)
    const top = path[0]
    const fix = top === undefined ? 'use an object such as { "model": "provider/model" }' : (FIXES[top] ?? 'see the README')
    const where = path.length === 0 ? field : `${field}.${path.join('.')}`
    return `${where}: ${show(valueAt(raw, issue.path))} is not valid — ${fix}`
  })
  throw invalid(problems.join('\n'), { field, issues: problems })
}

/** Throws when an override would lift one of the role's guarantees or grant an orchestrator tool it lacks. */
function checkGuarantees(definition: AgentDefinition, permission: Readonly<Record<string, PermissionValue>>): void {
  const field = `agents.${definition.name}.permission`
  for (const [key, value] of Object.entries(permission)) {
    if (!permissionGrants(value)) continue
    const target = EDIT_PERMISSION_ALIASES.includes(key) ? 'edit' : key
    const guarantee = ROLE_GUARANTEES[definition.name].find((entry) => entry.permission === target)
    if (guarantee !== undefined) {
      throw invalid(
        `${field}.${key}: ${show(value)} is refused — ${guarantee.reason}. Remove the key or set it to "deny".`,
        { field: `${field}.${key}`, value, guarantee: guarantee.permission },
      )
    }
    if (isOrchestratorToolName(key) && !definition.tools.includes(key)) {
      throw invalid(
        `${field}.${key}: ${show(value)} is refused — the ${definition.name} does not get ${key}; each role's orchestrator tools are fixed. Remove the key.`,
        { field: `${field}.${key}`, value },
      )
    }
  }
}

function applyOne(definition: AgentDefinition, override: AgentOverride): AgentDefinition {
  const permission = override.permission ?? {}
  checkGuarantees(definition, permission)
  // Orchestrator tools are driven by `tools`; an override can only take one away.
  const removedTools = new Set(
    Object.entries(permission)
      .filter(([key, value]) => isOrchestratorToolName(key) && !permissionGrants(value))
      .map(([key]) => key),
  )
  const userEntries = Object.entries(permission).filter(([key]) => !isOrchestratorToolName(key))
  return {
    ...definition,
    prompt: override.prompt ?? definition.prompt,
    ...(override.promptAppend === undefined ? {} : { promptAppend: override.promptAppend }),
    permission: { ...definition.permission, ...Object.fromEntries(userEntries) },
    tools: definition.tools.filter((tool) => !removedTools.has(tool)),
    ...(override.model === undefined ? {} : { model: override.model }),
    ...(override.temperature === undefined ? {} : { temperature: override.temperature }),
    ...(override.disable === undefined ? {} : { disable: override.disable }),
  }
}

/**
 * Validates the user's per-agent overrides (config `agents`) and returns new definitions.
 *
 * - Keys must be exact agent names: `Worker` throws `agent-unknown` with a suggestion.
 * - Unknown override keys, a model that is not `provider/model`, a temperature outside 0–2
 *   throw `config-invalid` naming the field, the value and the fix.
 * - Lifting a role guarantee (a Worker that may spawn, a Planner or Reviewer that may edit,
 *   a Commander that may edit) or granting an orchestrator tool the role lacks is refused.
 *
 * @param overrides usually `config.agents`; `undefined` means no overrides.
 */
export function applyAgentOverrides(definitions: AgentDefinitions, overrides: unknown): AgentDefinitions {
  if (overrides === undefined || overrides === null) return definitions
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw invalid(`agents: ${show(overrides)} is not valid — use an object keyed by agent name (${AGENT_NAMES.join(', ')})`, {
      field: 'agents',
      value: overrides,
    })
  }
  const result: Record<AgentName, AgentDefinition> = { ...definitions }
  for (const [key, raw] of Object.entries(overrides)) {
    const name = resolveAgentName(key, { field: `agents.${key}` })
    if (raw === undefined) continue
    result[name] = applyOne(definitions[name], parseOverride(name, raw))
  }
  return result
}
