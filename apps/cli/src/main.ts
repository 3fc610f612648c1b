import { fileURLToPath } from 'node:url'
import { createLogger, errorMessage, OrchestratorError, type Clock, type Logger } from '@opencode-orchestrator/core'
import picocolors from 'picocolors'
import { version } from '../package.json'
import { USAGE, parseCliArguments, type CliCommand } from './cli-arguments'
import { exitCodeForError, isExpectedError } from './exit-codes'
import { fleetCommand } from './fleet/fleet-command'
import { initCommand } from './init-command'
import type { Palette } from './progress-view'
import { reportCommand } from './report-command'
import { formatJsonLine } from './run-event'
import { runCommand } from './run-command'
import { createJsonLinesReporter, createTerminalReporter, type OutputStream } from './run-reporter'
import { statusCommand } from './status-command'

/** Everything `main` takes from the process, so tests can run it in-process with fakes. */
export interface CliContext {
  argv: readonly string[]
  env: Record<string, string | undefined>
  cwd: string
  stdout: OutputStream
  stderr: OutputStream
  clock: Clock
  /** Registers the Ctrl-C handler; returns its removal. */
  onInterrupt(handler: () => void): () => void
  /** For the demo's temporary repository (the OS temp dir). */
  temporaryDirectory: string
  /** OpenCode start-up limit. Default 60 s. */
  startTimeoutMs?: number
}

/** Colors on a terminal, unless `NO_COLOR` says otherwise (https://no-color.org); plain text elsewhere. */
function paletteFor(stream: OutputStream, env: CliContext['env']): Palette {
  const enabled = stream.isTTY === true && env['NO_COLOR'] === undefined && env['TERM'] !== 'dumb'
  return picocolors.createColors(enabled)
}

/** Structured logs on stderr: warnings and errors always, everything with `--verbose`. */
function stderrLogger(stderr: OutputStream, clock: Clock, verbose: boolean): Logger {
  return createLogger(({ level, message, fields }) => {
    if (!verbose && (level === 'debug' || level === 'info')) return
    stderr.write(`${JSON.stringify({ at: new Date(clock.now()).toISOString(), level, message, ...fields })}\n`)
  }, { component: 'orchestrator-cli' })
}

/** Also true when parsing failed: a `--json` caller still gets its error as a JSON line. */
const wantsJson = (command: CliCommand | undefined, argv: readonly string[]) =>
  command !== undefined ? 'json' in command && command.json : argv.includes('--json')

/**
 * The `orchestrator` command: parses the arguments, wires the commands to the
 * process, and turns every outcome into an exit code. Never throws.
 */
export async function main(context: CliContext): Promise<number> {
  const { stdout, stderr, clock } = context
  let command: CliCommand | undefined
  const interrupt = new AbortController()
  const removeInterrupt = context.onInterrupt(() => {
    if (interrupt.signal.aborted) return
    interrupt.abort()
  })
  try {
    command = parseCliArguments(context.argv)
    switch (command.name) {
      case 'help':
        stdout.write(`${USAGE}\n`)
        return 0
      case 'version':
        stdout.write(`${version}\n`)
        return 0
      case 'status':
        return await statusCommand({ command, env: context.env, cwd: context.cwd, clock, stdout, stderr, colors: paletteFor(stdout, context.env) })
      case 'init':
        return await initCommand({ command, cwd: context.cwd, stdout })
      case 'report':
        return await reportCommand({ command, env: context.env, cwd: context.cwd, clock, logger: stderrLogger(stderr, clock, false), stdout })
      case 'fleet':
        return await fleetCommand({
          command,
          env: context.env,
          cwd: context.cwd,
          clock,
          logger: stderrLogger(stderr, clock, command.action === 'worker' && command.verbose),
          stdout,
          interrupt: interrupt.signal,
          resolveFrom: import.meta.url,
          ...(context.startTimeoutMs !== undefined ? { startTimeoutMs: context.startTimeoutMs } : {}),
        })
      case 'run': {
        const reporter = command.json
          ? createJsonLinesReporter({ stream: stdout, now: () => clock.now() })
          : createTerminalReporter({ stream: stdout, colors: paletteFor(stdout, context.env), goal: command.goal })
        return await runCommand({
          command,
          env: context.env,
          cwd: context.cwd,
          clock,
          logger: stderrLogger(stderr, clock, command.verbose),
          reporter,
          interrupt: interrupt.signal,
          temporaryDirectory: context.temporaryDirectory,
          seedCacheDirectory: fileURLToPath(new URL('../node_modules/.cache/opencode-orchestrator/', import.meta.url)),
          resolveFrom: import.meta.url,
          ...(context.startTimeoutMs !== undefined ? { startTimeoutMs: context.startTimeoutMs } : {}),
        })
      }
    }
  } catch (error) {
    const exitCode = exitCodeForError(error)
    const code = OrchestratorError.isInstance(error) ? error.code : 'internal'
    if (wantsJson(command, context.argv)) stdout.write(formatJsonLine({ type: 'error', code, message: errorMessage(error), exitCode }, clock.now()))
    const colors = paletteFor(stderr, context.env)
    // Expected problems (bad input, no model, OpenCode down) are the whole story; a bug gets its stack.
    const detail = isExpectedError(error) ? errorMessage(error) : error instanceof Error && error.stack ? error.stack : errorMessage(error)
    stderr.write(`${colors.red('error:')} ${detail}\n`)
    return exitCode
  } finally {
    removeInterrupt()
  }
}
