/** A text part of a prompt as OpenCode takes it; `synthetic` parts reach the model but the TUI does not show them. */
export interface PromptTextPart {
  type: 'text'
  text: string
  synthetic?: boolean
}

const HEADLINE = '[orchestrator]'

/**
 * Splits a prompt the orchestrator writes into what the user reads and what only the model needs.
 *
 * Orchestrator prompts (wakes, continuations, resumes) start with `[orchestrator]` and a one-paragraph
 * headline; the rest (task results, `<mission-step>` blocks, instructions) is marked `synthetic`, which
 * OpenCode 1.18.33's TUI leaves out of the transcript (verified on the TUI, docs/decisions/043). The
 * model still gets every part. Any other text (a delegated task's own prompt) stays visible as it is.
 */
export function promptParts(text: string): PromptTextPart[] {
  if (!text.startsWith(HEADLINE)) return [{ type: 'text', text }]
  const split = text.indexOf('\n\n')
  if (split === -1) return [{ type: 'text', text }]
  const headline = text.slice(0, split)
  const details = text.slice(split + 2)
  return [
    { type: 'text', text: headline },
    { type: 'text', text: details, synthetic: true },
  ]
}
