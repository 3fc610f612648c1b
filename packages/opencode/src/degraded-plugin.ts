import type { Config, Hooks, PluginInput } from '@opencode-ai/plugin'
import { errorMessage, type Logger } from '@opencode-orchestrator/core'
import { CommandHandledSignal } from './command-handled'
import { COMMAND_NAMES, ORCHESTRATOR_COMMANDS } from './orchestrator-commands'
import { addSessionNote } from './session-note'

/**
 * Adds the orchestrator's commands to OpenCode's config; a user's own command of the same name wins.
 * Without the agents (`withAgents: false`) no command names one: OpenCode refuses a command whose agent
 * does not exist before any hook runs ("Agent not found"), which would hide the reason the plugin gives.
 */
export function registerCommands(opencodeConfig: Config, options: { withAgents: boolean }): void {
  opencodeConfig.command ??= {}
  for (const [name, { agent, ...command }] of Object.entries(ORCHESTRATOR_COMMANDS)) {
    if (opencodeConfig.command[name] === undefined) opencodeConfig.command[name] = { ...command, ...(agent && options.withAgents ? { agent } : {}) }
  }
}

export interface DegradedHooksOptions {
  client: PluginInput['client']
  directory: string
  logger: Logger
  /** Why the orchestrator cannot run (names the file, field, value and fix). */
  problem: string
}

/**
 * The plugin when its configuration is refused: no tools, no agents, no
 * engine — but its commands stay registered, so `/task …` never falls through
 * to plain chat, and every command shows why nothing runs, where the user
 * looks: a notice and a line in the session, without a model call. (A notice
 * at load time is lost: the TUI is not listening yet.)
 */
export function createDegradedHooks(options: DegradedHooksOptions): Hooks {
  const { client, directory, logger, problem } = options
  const names = new Set<string>(Object.values(COMMAND_NAMES))
  const text = `The orchestrator is not running: its configuration was refused.\n${problem}\nFix it and restart OpenCode.`
  return {
    config: async (opencodeConfig) => {
      registerCommands(opencodeConfig, { withAgents: false })
    },
    'command.execute.before': async (commandInput) => {
      if (!names.has(commandInput.command)) return
      const shown = await Promise.allSettled([
        client.tui.showToast({ body: { title: 'Orchestrator not running', message: text.slice(0, 600), variant: 'error', duration: 20_000 }, query: { directory } }),
        addSessionNote({ client, directory, sessionId: commandInput.sessionID, text: `[orchestrator] ${text}` }),
      ])
      for (const result of shown) {
        if (result.status === 'rejected') logger.log('error', 'could not show why the orchestrator is not running', { error: errorMessage(result.reason) })
      }
      throw new CommandHandledSignal(text, commandInput.command)
    },
  }
}
