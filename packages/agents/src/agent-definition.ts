import type { AgentName } from './agent-name'
import type { PermissionBlock } from './opencode-permission'
import type { OrchestratorToolName } from './orchestrator-tools'

/** One of the orchestrator's agents, as plain data. The adapter registers it through OpenCode's `config` hook. */
export interface AgentDefinition {
  readonly name: AgentName
  /** When to use the agent (shown by OpenCode in agent lists). */
  readonly description: string
  /** `primary`: the user can talk to it; `subagent`: it only runs in child sessions. */
  readonly mode: 'primary' | 'subagent'
  /** The role prompt. Stable: no mission data, no dates (see `buildSystemPrompt`). */
  readonly prompt: string
  /** Extra instructions from the user's config, appended after the role prompt. */
  readonly promptAppend?: string
  /**
   * OpenCode permissions of the role, without the orchestrator tools: those come from `tools`.
   * Keys the user's own permission config should decide (e.g. `bash` for a Worker) are left out.
   */
  readonly permission: PermissionBlock
  /** Orchestrator tools the agent may call. Every other orchestrator tool is denied to it. */
  readonly tools: readonly OrchestratorToolName[]
  /** `provider/model`; absent = OpenCode's default model. */
  readonly model?: string
  /** 0–2; absent = the model's default. */
  readonly temperature?: number
  /** When true the agent is not registered. */
  readonly disable?: boolean
}

/** The four definitions, by name. */
export type AgentDefinitions = Readonly<Record<AgentName, AgentDefinition>>
