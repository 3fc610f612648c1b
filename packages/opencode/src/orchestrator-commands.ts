/**
 * The status command's name. OpenCode has a built-in `/status`, so this may change: every text
 * names the command through `commandText('status')`, never by a literal.
 */
export const STATUS_COMMAND = 'status'

/** A command as the user types it, e.g. `commandText('status')` → `/status`. Texts name commands only through this. */
export function commandText(command: 'task' | 'status' | 'stop' | 'cancel'): string {
  return `/${command === 'status' ? STATUS_COMMAND : command}`
}

/** Slash commands the plugin registers (a user's own command of the same name wins). */
export const ORCHESTRATOR_COMMANDS: Readonly<Record<string, { description: string; template: string; agent?: string }>> = {
  task: {
    description: 'Start an orchestrated mission: the Commander plans, Workers build in parallel, the Reviewer verifies',
    agent: 'commander',
    template: 'Mission goal: $ARGUMENTS\n\nRun the mission loop: no todos exist yet, so start by delegating the plan to the planner.',
  },
  [STATUS_COMMAND]: { description: 'Show the progress of the mission in this session', template: '(handled by the orchestrator)' },
  stop: { description: 'Stop the mission in this session now: children aborted, background commands killed', template: '(handled by the orchestrator)' },
  cancel: { description: 'Same as /stop', template: '(handled by the orchestrator)' },
}

export type ParsedCommand = { name: 'task'; goal: string } | { name: 'status' } | { name: 'stop'; via: 'stop' | 'cancel'; note?: string }

/** Recognises the orchestrator's commands; `undefined` for every other command. */
export function parseCommand(command: string, argumentsText: string): ParsedCommand | undefined {
  switch (command) {
    case 'task': {
      const goal = argumentsText.trim().replace(/^(["'])([\s\S]*)\1$/, '$2').trim()
      return { name: 'task', goal }
    }
    case STATUS_COMMAND:
      return { name: 'status' }
    case 'stop':
    case 'cancel': {
      // `/stop <why>`: the text says who stopped it (the CLI sends `/stop Ctrl-C in orchestrator run`).
      const note = argumentsText.trim()
      return { name: 'stop', via: command, ...(note.length > 0 ? { note } : {}) }
    }
    default:
      return undefined
  }
}
