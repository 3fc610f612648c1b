import type { AgentDefinitions } from './agent-definition'
import { AGENT_NAMES } from './agent-name'
import type { AgentName } from './agent-name'
import { toOpencodeAgentConfig, type ProtectedFolder } from './opencode-agent-config'
import { ORCHESTRATOR_TOOL_NAMES } from './orchestrator-tools'

/**
 * The parts of OpenCode's config object (the `config` hook's argument) this function touches.
 * Structural, so the plugin's `Config` type is accepted without this package importing OpenCode.
 */
export interface OpencodeConfigLike {
  agent?: Record<string, unknown>
  /** Deprecated alias of `agent` that OpenCode still reads. */
  mode?: Record<string, unknown>
  tools?: Record<string, boolean>
  permission?: string | Record<string, unknown>
}

/** What `applyAgentsToOpencodeConfig` did. */
export interface ApplyAgentsResult {
  /** Agents written into `config.agent`. */
  registered: AgentName[]
  /** Agents left alone because the user defines an agent of that name: the user's wins. */
  skipped: AgentName[]
  /** Agents disabled by the orchestrator's config and therefore not registered. */
  disabled: AgentName[]
}

/** Options of {@link applyAgentsToOpencodeConfig}. */
export interface ApplyAgentsOptions {
  /**
   * The mission folder, refused to every orchestrator agent's `edit` and `bash` permissions:
   * only the plugin writes journals and todo.md, and only the Reviewer's tool verifies a todo.
   * The user's own agents (Build, …) are left alone: their edits are a person's edits.
   */
  protectedFolder?: ProtectedFolder
}

const isAction = (value: unknown): value is 'allow' | 'ask' | 'deny' => value === 'allow' || value === 'ask' || value === 'deny'

/**
 * Registers the orchestrator's agents in OpenCode's config (call it from the `config` hook)
 * and hides the orchestrator's tools from every other agent, so plain chat with the user's
 * default agent pays nothing for the plugin.
 *
 * Mutates `config`:
 * - `tools.<orchestrator tool> = false` and `permission.<orchestrator tool> = "deny"` globally;
 *   each orchestrator agent then allows exactly its own tools. Both forms are written because
 *   OpenCode 1.18.33 converts `tools` into permissions only while parsing the config file,
 *   before plugins run; agents are built from `permission`, so that is what takes effect.
 * - `permission.task.<subagent> = "deny"` so the user's agents neither list the Planner,
 *   Worker and Reviewer in their `task` tool nor spawn them outside a mission.
 * - `agent.<name>` for each enabled agent the user has not defined; with `protectedFolder`,
 *   its `edit` and `bash` permissions end with a `deny` for the mission folder.
 *
 * Keys the user set are never overwritten: their own agent of the same name wins, and an
 * explicit global `tools` / `permission` entry of theirs is kept.
 */
export function applyAgentsToOpencodeConfig(config: OpencodeConfigLike, definitions: AgentDefinitions, options: ApplyAgentsOptions = {}): ApplyAgentsResult {
  const result: ApplyAgentsResult = { registered: [], skipped: [], disabled: [] }
  const agents = (config.agent ??= {})
  const hiddenSubagents: AgentName[] = []
  for (const name of AGENT_NAMES) {
    const definition = definitions[name]
    if (agents[name] !== undefined || config.mode?.[name] !== undefined) {
      result.skipped.push(name)
      continue
    }
    if (definition.disable === true) {
      result.disabled.push(name)
      continue
    }
    agents[name] = toOpencodeAgentConfig(definition, options.protectedFolder ? { protectedFolder: options.protectedFolder } : {})
    result.registered.push(name)
    if (definition.mode === 'subagent') hiddenSubagents.push(name)
  }

  const tools = (config.tools ??= {})
  for (const tool of ORCHESTRATOR_TOOL_NAMES) if (!(tool in tools)) tools[tool] = false

  // A bare action ("ask") means "every permission": keep that meaning as the first, catch-all rule.
  const permission: Record<string, unknown> =
    typeof config.permission === 'string' ? { '*': config.permission } : (config.permission ?? {})
  config.permission = permission
  for (const tool of ORCHESTRATOR_TOOL_NAMES) if (!(tool in permission)) permission[tool] = 'deny'
  if (hiddenSubagents.length > 0) {
    const current = permission.task
    const task: Record<string, unknown> = isAction(current)
      ? { '*': current }
      : current !== null && typeof current === 'object'
        ? (current as Record<string, unknown>)
        : {}
    for (const name of hiddenSubagents) if (!(name in task)) task[name] = 'deny'
    permission.task = task
  }
  return result
}
