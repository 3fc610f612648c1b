import type { AgentDefinition } from './agent-definition'
import { buildSystemPrompt } from './build-system-prompt'
import type { PermissionAction, PermissionValue } from './opencode-permission'
import { isOrchestratorToolName, ORCHESTRATOR_TOOL_NAMES } from './orchestrator-tools'
import { ROLE_GUARANTEES } from './role-guarantees'

/**
 * An agent entry of OpenCode's config (`agent.<name>` in `opencode.json`), in the subset of
 * `AgentConfig` (SDK 1.18.33, `types.gen.d.ts`) the orchestrator writes. A type alias rather
 * than an interface so it is assignable to the SDK's index-signature `AgentConfig` types.
 */
export type OpencodeAgentConfig = {
  description: string
  mode: 'primary' | 'subagent'
  prompt: string
  /** Authoritative: OpenCode 1.18.33 reads an agent's abilities from `permission` (see `applyAgentsToOpencodeConfig`). */
  permission: Record<string, PermissionValue>
  /** Orchestrator tools on (true) or off (false) for this agent: the documented `tools` switch. */
  tools: Record<string, boolean>
  /**
   * Every orchestrator agent is hidden: subagents from the `@` menu, the Commander from the TUI's
   * Tab cycle and agent list (it runs only through `/task`; see docs/decisions/044).
   */
  hidden: boolean
  model?: string
  temperature?: number
  disable?: boolean
}

/**
 * Files no orchestrator agent may write: the mission folder (journals, todo.md, docs), whose
 * only writer is the plugin itself. Patterns as OpenCode matches them (`*` spans `/`).
 */
export interface ProtectedFolder {
  /** Patterns of the `edit` permission (edit, write, patch tools): paths relative to the worktree. */
  editPatterns: readonly string[]
  /** Patterns of the `bash` permission: any command line naming the folder. */
  bashPatterns: readonly string[]
}

/** `value` as rules, with a `deny` for every pattern added last, so they win (OpenCode: last match wins). */
function withDenied(value: PermissionValue | undefined, patterns: readonly string[]): Record<string, PermissionAction> {
  const rules: Record<string, PermissionAction> = value === undefined ? {} : typeof value === 'string' ? { '*': value } : { ...value }
  for (const pattern of patterns) {
    delete rules[pattern]
    rules[pattern] = 'deny'
  }
  return rules
}

/**
 * The permission block in the order OpenCode needs. OpenCode lets the last matching rule win,
 * so: wildcard keys first (a user's `"*": "allow"` is a default, not an override), then the
 * role's and the user's specific keys, then the role's guarantees, then one rule per
 * orchestrator tool. Nothing a user writes can land after a guarantee.
 */
function orderedPermission(agent: AgentDefinition, protectedFolder?: ProtectedFolder): Record<string, PermissionValue> {
  const locked = new Set(ROLE_GUARANTEES[agent.name].map((guarantee) => guarantee.permission))
  const entries = Object.entries(agent.permission).filter(([key]) => !locked.has(key) && !isOrchestratorToolName(key))
  const wildcard = entries.filter(([key]) => key.includes('*') || key.includes('?'))
  const specific = entries.filter(([key]) => !key.includes('*') && !key.includes('?'))
  const result: Record<string, PermissionValue> = {}
  for (const [key, value] of [...wildcard, ...specific]) result[key] = value
  for (const permission of locked) result[permission] = 'deny'
  for (const tool of ORCHESTRATOR_TOOL_NAMES) result[tool] = agent.tools.includes(tool) ? 'allow' : 'deny'
  if (protectedFolder) {
    // Last keys, so no alias a user wrote (`write`, `patch`) lands after them.
    for (const [permission, patterns] of [['edit', protectedFolder.editPatterns], ['bash', protectedFolder.bashPatterns]] as const) {
      if (locked.has(permission) || patterns.length === 0) continue
      const rules = withDenied(result[permission], patterns)
      delete result[permission]
      result[permission] = rules
    }
  }
  return result
}

/** Options of {@link toOpencodeAgentConfig}. */
export interface ToOpencodeAgentConfigOptions {
  /** The mission folder: refused to the agent's edit and bash permissions. */
  protectedFolder?: ProtectedFolder
}

/** The OpenCode config entry for one agent definition. */
export function toOpencodeAgentConfig(agent: AgentDefinition, options: ToOpencodeAgentConfigOptions = {}): OpencodeAgentConfig {
  const config: OpencodeAgentConfig = {
    description: agent.description,
    mode: agent.mode,
    prompt: buildSystemPrompt(agent),
    permission: orderedPermission(agent, options.protectedFolder),
    tools: Object.fromEntries(ORCHESTRATOR_TOOL_NAMES.map((tool) => [tool, agent.tools.includes(tool)])),
    hidden: true,
  }
  if (agent.model !== undefined) config.model = agent.model
  if (agent.temperature !== undefined) config.temperature = agent.temperature
  if (agent.disable === true) config.disable = true
  return config
}
