import type { AgentDefinition } from './agent-definition'

/**
 * The agent's system prompt: the role prompt, then the user's `promptAppend`.
 *
 * It depends on the definition only — never on the mission, the step or the time — so it is
 * byte-identical on every step and provider prompt caches keep hitting. Per-step state goes
 * after it (see `buildStepContext`).
 */
export function buildSystemPrompt(agent: Pick<AgentDefinition, 'prompt' | 'promptAppend'>): string {
  const parts = [agent.prompt.trim()]
  if (agent.promptAppend !== undefined && agent.promptAppend.trim() !== '') parts.push(agent.promptAppend.trim())
  return parts.join('\n\n')
}
