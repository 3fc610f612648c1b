import { OrchestratorError, didYouMean, normalizeMissionGoal } from '@opencode-orchestrator/core'
import { FLEET_USAGE, parseFleetArguments, type FleetCommand } from './fleet/fleet-arguments'

/** The mission the demo runs; its scripted team only knows this one. */
export const DEMO_MISSION = 'Add a `slugify` module with tests'

export interface RunCommand {
  name: 'run'
  /** Mission text, as `/task` receives it. */
  goal: string
  /** Project directory (`--dir`), unresolved; undefined = the current directory. */
  directory: string | undefined
  /** `provider/model` (`--model`); undefined = the user's configured model. */
  model: string | undefined
  /** JSON Lines on stdout instead of the live display. */
  json: boolean
  /** Scripted model, temporary repository, isolated OpenCode home. */
  demo: boolean
  /** Structured debug logs on stderr. */
  verbose: boolean
}

export interface StatusCommand {
  name: 'status'
  directory: string | undefined
  json: boolean
}

export interface ReportCommand {
  name: 'report'
  missionId: string
  directory: string | undefined
  json: boolean
}

export interface InitCommand {
  name: 'init'
  directory: string | undefined
}

export type CliCommand = RunCommand | StatusCommand | ReportCommand | InitCommand | FleetCommand | { name: 'help' } | { name: 'version' }

export const USAGE = `Usage:
  orchestrator run "<mission>" [--dir D] [--model provider/model] [--json] [--verbose]
  orchestrator run --demo [--json]
  orchestrator status [--dir D] [--json]
  orchestrator report <mission-id> [--dir D] [--json]
  orchestrator init [--dir D]
  orchestrator --help | --version

Commands:
  run      Start OpenCode with the orchestrator plugin in D and run the mission
           headless (like /task); exits 0 when sealed, 2 when stopped, 1 when failed,
           130 on Ctrl-C (the mission is stopped like /stop).
  status   List the missions of the project D from their journals.
  report   Write the HTML report of a mission and print its path.
  init     Write a commented D/.opencode/orchestrator.jsonc (kept if it exists) and
           the JSON Schema beside it (.opencode/orchestrator.schema.json, refreshed),
           so editors complete and check the options.

Flags:
  --dir D                  Project directory (default: the current directory).
  --model provider/model   Model for every agent (default: your OpenCode config).
  --json                   Machine-readable JSON Lines on stdout.
  --demo                   No API key needed: a scripted model builds a slugify
                           module in a fresh temporary git repository.
  --verbose                Structured debug logs on stderr.

${FLEET_USAGE}`

type FlagName = 'dir' | 'model' | 'json' | 'demo' | 'verbose'

const VALUE_FLAGS: ReadonlySet<FlagName> = new Set(['dir', 'model'])

const FLAGS_OF: Record<'run' | 'status' | 'report' | 'init', readonly FlagName[]> = {
  run: ['dir', 'model', 'json', 'demo', 'verbose'],
  status: ['dir', 'json'],
  report: ['dir', 'json'],
  init: ['dir'],
}

const COMMANDS = ['run', 'status', 'report', 'init', 'fleet', 'help'] as const

function usageError(message: string, details: Record<string, unknown> = {}): OrchestratorError {
  return new OrchestratorError({ code: 'invalid-argument', message: `${message}\nRun \`orchestrator --help\` for the usage.`, details })
}

interface Scanned {
  positionals: string[]
  flags: Map<FlagName, string | true>
}

function scan(command: 'run' | 'status' | 'report' | 'init', tokens: readonly string[]): Scanned {
  const allowed = FLAGS_OF[command]
  const positionals: string[] = []
  const flags = new Map<FlagName, string | true>()
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!
    if (token === '--') {
      positionals.push(...tokens.slice(index + 1))
      break
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token)
      continue
    }
    const [rawName = '', inlineValue] = token.replace(/^--?/, '').split(/=(.*)/s)
    const name = rawName as FlagName
    if (!allowed.includes(name)) {
      const known = (Object.values(FLAGS_OF).flat() as string[]).includes(rawName)
      const suggestion = didYouMean(rawName, allowed)
      throw usageError(
        known
          ? `The flag --${rawName} does not apply to \`orchestrator ${command}\`; it takes ${allowed.map((flag) => `--${flag}`).join(', ')}.`
          : `Unknown flag ${token} for \`orchestrator ${command}\`${suggestion ? ` (did you mean --${suggestion}?)` : ''}; it takes ${allowed.map((flag) => `--${flag}`).join(', ')}.`,
        { field: 'flag', value: token },
      )
    }
    if (flags.has(name)) throw usageError(`The flag --${name} is given twice; give it once.`, { field: name })
    if (VALUE_FLAGS.has(name)) {
      const value = inlineValue ?? tokens[index + 1]
      if (inlineValue === undefined) index++
      if (value === undefined || value.length === 0 || (inlineValue === undefined && value.startsWith('--'))) {
        throw usageError(`The flag --${name} needs a value, e.g. ${name === 'dir' ? '--dir ./my-project' : '--model anthropic/claude-sonnet-4-5'}.`, { field: name })
      }
      flags.set(name, value)
    } else {
      if (inlineValue !== undefined) throw usageError(`The flag --${name} takes no value; write just --${name}.`, { field: name, value: inlineValue })
      flags.set(name, true)
    }
  }
  return { positionals, flags }
}

const text = (flags: Scanned['flags'], name: FlagName): string | undefined => {
  const value = flags.get(name)
  return typeof value === 'string' ? value : undefined
}

/**
 * Parses `orchestrator`'s arguments (without `node` and the script path).
 * Throws `invalid-argument` naming the bad token and the fix; never guesses.
 */
export function parseCliArguments(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') return { name: 'help' }
  if (first === '--version' || first === '-v') return { name: 'version' }
  if (first === 'fleet') return rest.includes('--help') || rest.includes('-h') ? { name: 'help' } : parseFleetArguments(rest)
  if (first !== 'run' && first !== 'status' && first !== 'report' && first !== 'init') {
    const suggestion = didYouMean(first, COMMANDS)
    throw usageError(
      `Unknown command '${first}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}. Commands: run, status, report, init, fleet.`,
      { field: 'command', value: first },
    )
  }
  if (rest.includes('--help') || rest.includes('-h')) return { name: 'help' }
  const { positionals, flags } = scan(first, rest)
  const directory = text(flags, 'dir')
  const json = flags.has('json')

  if (first === 'status') {
    if (positionals.length > 0) throw usageError(`\`orchestrator status\` takes no arguments, got '${positionals.join(' ')}'. Use --dir to pick the project.`, { field: 'arguments' })
    return { name: 'status', directory, json }
  }

  if (first === 'init') {
    if (positionals.length > 0) throw usageError(`\`orchestrator init\` takes no arguments, got '${positionals.join(' ')}'. Use --dir to pick the project.`, { field: 'arguments' })
    return { name: 'init', directory }
  }

  if (first === 'report') {
    const [missionId, ...extra] = positionals
    if (missionId === undefined) throw usageError('Missing mission id: `orchestrator report <mission-id>`. `orchestrator status` lists the ids.', { field: 'missionId' })
    if (extra.length > 0) throw usageError(`\`orchestrator report\` takes one mission id, got '${positionals.join(' ')}'.`, { field: 'missionId' })
    if (!/^[\w.-]+$/.test(missionId)) throw usageError(`'${missionId}' is not a mission id (ids look like mission_m1abc…). \`orchestrator status\` lists them.`, { field: 'missionId', value: missionId })
    return { name: 'report', missionId, directory, json }
  }

  const demo = flags.has('demo')
  const model = text(flags, 'model')
  const goal = positionals.join(' ').trim()
  if (demo) {
    if (goal.length > 0) throw usageError(`--demo runs its own mission ("${DEMO_MISSION}"); drop the mission text '${goal}' or drop --demo.`, { field: 'mission' })
    if (directory !== undefined) throw usageError('--demo works in a fresh temporary git repository; drop --dir or drop --demo.', { field: 'dir' })
    if (model !== undefined) throw usageError('--demo uses the built-in scripted model; drop --model or drop --demo.', { field: 'model' })
    return { name: 'run', goal: DEMO_MISSION, directory: undefined, model: undefined, json, demo, verbose: flags.has('verbose') }
  }
  if (goal.length === 0) {
    throw usageError('Missing mission text: `orchestrator run "Add a slugify module with tests"` (or try `orchestrator run --demo`).', { field: 'mission' })
  }
  // The same gate as the plugin's /task: a goal accepted here can always be planned.
  const checked = normalizeMissionGoal(goal)
  if (!checked.ok) throw usageError(checked.message.replaceAll('/task "', 'orchestrator run "'), { field: 'mission' })
  if (model !== undefined && !/^[^/\s]+\/\S+$/.test(model)) {
    throw usageError(`--model '${model}' is not provider/model; write e.g. --model anthropic/claude-sonnet-4-5 (\`opencode models\` lists yours).`, { field: 'model', value: model })
  }
  return { name: 'run', goal: checked.goal, directory, model, json, demo: false, verbose: flags.has('verbose') }
}
