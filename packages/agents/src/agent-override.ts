import { z } from 'zod'

const action = z.enum(['allow', 'ask', 'deny'])

/**
 * A user's override of one agent (config `agents.<name>`). Unknown keys are rejected so a
 * typo (`promt`) is an error instead of a silently ignored setting.
 */
export const agentOverrideSchema = z.strictObject({
  /** Model as `provider/model`, e.g. `anthropic/claude-sonnet-4-5`. */
  model: z.string().regex(/^[^/\s]+\/\S+$/).optional(),
  /** Sampling temperature, 0–2. */
  temperature: z.number().min(0).max(2).optional(),
  /** Replaces the role prompt. */
  prompt: z.string().trim().min(1).optional(),
  /** Appended after the role prompt (or after `prompt`). */
  promptAppend: z.string().trim().min(1).optional(),
  /** OpenCode permission entries merged over the role's; a role's guarantees cannot be lifted. */
  permission: z.record(z.string().min(1), z.union([action, z.record(z.string().min(1), action)])).optional(),
  /** Do not register this agent. */
  disable: z.boolean().optional(),
})

export type AgentOverride = z.infer<typeof agentOverrideSchema>

/** The keys an override may have, for error messages. */
export const AGENT_OVERRIDE_KEYS: readonly string[] = Object.keys(agentOverrideSchema.shape)
