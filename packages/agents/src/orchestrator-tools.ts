/** Every tool the orchestrator adds to OpenCode. The adapter implements them; this list is the contract. */
export const ORCHESTRATOR_TOOL_NAMES = [
  'orchestrator_delegate',
  'orchestrator_task_status',
  'orchestrator_task_result',
  'orchestrator_task_cancel',
  'orchestrator_todo_read',
  'orchestrator_todo_write',
  'orchestrator_todo_update',
  'orchestrator_bg_run',
  'orchestrator_bg_output',
  'orchestrator_bg_kill',
  'orchestrator_bg_list',
  'orchestrator_docs_save',
  'orchestrator_docs_read',
  'orchestrator_docs_list',
] as const

export type OrchestratorToolName = (typeof ORCHESTRATOR_TOOL_NAMES)[number]

export function isOrchestratorToolName(value: unknown): value is OrchestratorToolName {
  return typeof value === 'string' && (ORCHESTRATOR_TOOL_NAMES as readonly string[]).includes(value)
}

/** What a tool does and the arguments the agents' prompts rely on. */
export interface OrchestratorToolInfo {
  /** One-line description for the tool's schema. */
  description: string
  /** Argument names the prompts use in their examples; the adapter's schema must accept them. */
  arguments: readonly string[]
}

/**
 * Descriptions and argument names, shared by the prompts (which show example calls) and the
 * adapter (which implements the tools). Descriptions are short: they are sent on every step.
 */
export const ORCHESTRATOR_TOOLS: Readonly<Record<OrchestratorToolName, OrchestratorToolInfo>> = {
  orchestrator_delegate: {
    description: 'Start a task in a child session run by another agent (planner, worker or reviewer). Returns at once with the task id.',
    arguments: ['agent', 'title', 'prompt', 'todoIds'],
  },
  orchestrator_task_status: { description: 'Status of delegated tasks (all of the mission, or the given ids).', arguments: ['taskIds'] },
  orchestrator_task_result: { description: "Full final answer of a finished task.", arguments: ['taskId'] },
  orchestrator_task_cancel: { description: 'Cancel a queued or running task and its child session.', arguments: ['taskId', 'reason'] },
  orchestrator_todo_read: { description: "The mission's todos with status, dependencies, notes and evidence.", arguments: [] },
  orchestrator_todo_write: {
    description: "Write the mission's todo plan: ids, titles and dependencies. Keeps the status of existing ids.",
    arguments: ['todos'],
  },
  orchestrator_todo_update: {
    description: 'Record a verdict on one todo: done with evidence, or back to pending with a note.',
    arguments: ['id', 'status', 'evidence', 'note'],
  },
  orchestrator_bg_run: { description: 'Run a shell command in the background; returns its id at once.', arguments: ['command', 'title'] },
  orchestrator_bg_output: { description: 'New output and exit status of a background command.', arguments: ['id'] },
  orchestrator_bg_kill: { description: 'Stop a background command and its child processes.', arguments: ['id'] },
  orchestrator_bg_list: { description: 'Background commands of this session with their status.', arguments: [] },
  orchestrator_docs_save: {
    description: "Save notes (API excerpts, commands, conventions) to the mission's docs cache under a key.",
    arguments: ['key', 'content'],
  },
  orchestrator_docs_read: { description: "Read an entry of the mission's docs cache.", arguments: ['key'] },
  orchestrator_docs_list: { description: "Keys and sizes of the mission's docs cache.", arguments: [] },
}
