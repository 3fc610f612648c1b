import { parseArgs } from 'node:util'
import { OrchestratorError } from '@opencode-orchestrator/core'

/** Where the fleet's Redis is, and which queue. */
export interface FleetTarget {
  /** `--redis`, else `ORCHESTRATOR_REDIS_URL`, else `redis://127.0.0.1:6379`. */
  redisUrl: string | undefined
  /** `--queue`. Default `orchestrator-fleet`. */
  queueName: string | undefined
}

export type FleetCommand = { name: 'fleet' } & FleetTarget &
  (
    | {
        action: 'submit'
        goal: string | undefined
        repo: string | undefined
        ref: string | undefined
        fromFile: string | undefined
        budget: { maxTokens?: number; maxCostUsd?: number; maxWallTimeMinutes?: number } | undefined
        batch: string | undefined
        batchMaxTokens: number | undefined
        json: boolean
      }
    | {
        action: 'worker'
        concurrency: number
        workdir: string | undefined
        model: string | undefined
        maxTokensPerDay: number | undefined
        /** Fleet-wide caps by provider (`--provider-cap fake=4`), held across every worker through Redis leases. */
        providerCaps: Record<string, number>
        /** Lock duration of a job (a dead worker's job is handed over after this). */
        lockMs: number | undefined
        verbose: boolean
      }
    | { action: 'status'; jobId: string | undefined; json: boolean }
    | { action: 'cancel'; jobId: string; json: boolean }
    | { action: 'logs'; jobId: string }
    | { action: 'dashboard'; host: string | undefined; port: number | undefined }
  )

export const FLEET_USAGE = `Fleet (missions on many machines, on BullMQ and Redis ≥ 6.2):
  orchestrator fleet submit --repo <git url or absolute path> [--ref main] [--budget tokens=N,usd=X,minutes=M]
                            [--batch ID [--batch-max-tokens N]] [--json] "<mission>"
  orchestrator fleet submit --from-file missions.jsonl [--repo R] [--ref main] [--batch ID] [--json]
  orchestrator fleet worker [--concurrency N] [--workdir DIR] [--model provider/model]
                            [--max-tokens-per-day N] [--provider-cap provider=N,…] [--lock-ms MS] [--verbose]
  orchestrator fleet status [<job>] [--json]
  orchestrator fleet cancel <job> [--json]
  orchestrator fleet logs <job>
  orchestrator fleet dashboard [--host 127.0.0.1] [--port 3000]
  Every fleet command takes --redis redis://host:port (default: $ORCHESTRATOR_REDIS_URL, else
  redis://127.0.0.1:6379) and --queue NAME (default orchestrator-fleet).`

const ACTIONS = ['submit', 'worker', 'status', 'cancel', 'logs', 'dashboard'] as const

function usageError(message: string, details: Record<string, unknown> = {}): OrchestratorError {
  return new OrchestratorError({ code: 'invalid-argument', message: `${message}\nRun \`orchestrator --help\` for the usage.`, details })
}

const COMMON = { redis: { type: 'string' }, queue: { type: 'string' } } as const
const OPTIONS = {
  submit: { ...COMMON, repo: { type: 'string' }, ref: { type: 'string' }, 'from-file': { type: 'string' }, budget: { type: 'string' }, batch: { type: 'string' }, 'batch-max-tokens': { type: 'string' }, json: { type: 'boolean' } },
  worker: { ...COMMON, concurrency: { type: 'string' }, workdir: { type: 'string' }, model: { type: 'string' }, 'max-tokens-per-day': { type: 'string' }, 'provider-cap': { type: 'string' }, 'lock-ms': { type: 'string' }, verbose: { type: 'boolean' } },
  status: { ...COMMON, json: { type: 'boolean' } },
  cancel: { ...COMMON, json: { type: 'boolean' } },
  logs: { ...COMMON },
  dashboard: { ...COMMON, host: { type: 'string' }, port: { type: 'string' } },
} as const

function wholeNumber(value: string | undefined, flag: string, minimum: number): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < minimum) throw usageError(`--${flag} '${value}' is not a whole number ≥ ${minimum}.`, { field: flag, value })
  return Number(value)
}

function parseBudget(text: string | undefined): { maxTokens?: number; maxCostUsd?: number; maxWallTimeMinutes?: number } | undefined {
  if (text === undefined) return undefined
  const budget: { maxTokens?: number; maxCostUsd?: number; maxWallTimeMinutes?: number } = {}
  for (const part of text.split(',')) {
    const [key, value = ''] = part.split('=')
    const number = Number(value)
    if (value.length === 0 || !Number.isFinite(number) || number <= 0) throw usageError(`--budget '${text}': '${part}' needs a positive number, e.g. --budget tokens=200000,usd=5,minutes=30.`, { field: 'budget' })
    if (key === 'tokens' && Number.isInteger(number)) budget.maxTokens = number
    else if (key === 'usd') budget.maxCostUsd = number
    else if (key === 'minutes') budget.maxWallTimeMinutes = number
    else throw usageError(`--budget '${text}': unknown part '${part}'; use tokens=N (whole), usd=X and minutes=M.`, { field: 'budget' })
  }
  return budget
}

function parseProviderCaps(text: string | undefined): Record<string, number> {
  const caps: Record<string, number> = {}
  if (text === undefined) return caps
  for (const part of text.split(',')) {
    const match = /^([\w.-]+)=(\d+)$/.exec(part.trim())
    if (!match || Number(match[2]) < 1) throw usageError(`--provider-cap '${text}': '${part}' is not provider=N (N ≥ 1), e.g. --provider-cap anthropic=8,openai=4.`, { field: 'provider-cap' })
    caps[match[1]!] = Number(match[2])
  }
  return caps
}

/** Parses the words after `orchestrator fleet`. Throws `invalid-argument` naming the bad token and the fix. */
export function parseFleetArguments(argv: readonly string[]): FleetCommand {
  const [action, ...rest] = argv
  if (action === undefined || !(ACTIONS as readonly string[]).includes(action)) {
    throw usageError(`\`orchestrator fleet\` needs one of: ${ACTIONS.join(', ')}${action === undefined ? '' : ` (got '${action}')`}.`, { field: 'fleet', value: action })
  }
  const name = action as (typeof ACTIONS)[number]
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...rest], options: OPTIONS[name], allowPositionals: true, strict: true }) as typeof parsed
  } catch (error) {
    throw usageError(`\`orchestrator fleet ${name}\`: ${error instanceof Error ? error.message : String(error)}; it takes ${Object.keys(OPTIONS[name]).map((flag) => `--${flag}`).join(', ')}.`, { field: 'flag' })
  }
  const { values, positionals } = parsed
  const text = (flag: string) => {
    const value = values[flag]
    if (typeof value === 'string' && value.length === 0) throw usageError(`--${flag} needs a value.`, { field: flag })
    return typeof value === 'string' ? value : undefined
  }
  const target: FleetTarget = { redisUrl: text('redis'), queueName: text('queue') }
  const jobArgument = () => {
    const [jobId, ...extra] = positionals
    if (jobId === undefined) throw usageError(`Missing job id: \`orchestrator fleet ${name} <job>\`; \`orchestrator fleet status\` lists them.`, { field: 'job' })
    if (extra.length > 0) throw usageError(`\`orchestrator fleet ${name}\` takes one job id, got '${positionals.join(' ')}'.`, { field: 'job' })
    if (!/^fm-[a-z0-9-]{4,80}$/.test(jobId)) throw usageError(`'${jobId}' is not a fleet job id (they look like fm-…).`, { field: 'job', value: jobId })
    return jobId
  }
  switch (name) {
    case 'submit': {
      const goal = positionals.join(' ').trim()
      const fromFile = text('from-file')
      if (fromFile !== undefined && goal.length > 0) throw usageError('Give the mission text or --from-file, not both.', { field: 'mission' })
      if (fromFile === undefined && goal.length === 0) throw usageError('Missing mission text: `orchestrator fleet submit --repo <url> "Add a slugify module"` (or --from-file missions.jsonl).', { field: 'mission' })
      if (fromFile === undefined && text('repo') === undefined) throw usageError('Missing --repo: the git URL (or absolute path) the workers clone.', { field: 'repo' })
      const batch = text('batch')
      const batchMaxTokens = wholeNumber(text('batch-max-tokens'), 'batch-max-tokens', 1)
      if (batchMaxTokens !== undefined && batch === undefined) throw usageError('--batch-max-tokens needs --batch ID (the ceiling is per batch).', { field: 'batch' })
      return { name: 'fleet', ...target, action: 'submit', goal: goal.length > 0 ? goal : undefined, repo: text('repo'), ref: text('ref'), fromFile, budget: parseBudget(text('budget')), batch, batchMaxTokens, json: values['json'] === true }
    }
    case 'worker': {
      if (positionals.length > 0) throw usageError(`\`orchestrator fleet worker\` takes no arguments, got '${positionals.join(' ')}'.`, { field: 'arguments' })
      const model = text('model')
      if (model !== undefined && !/^[^/\s]+\/\S+$/.test(model)) throw usageError(`--model '${model}' is not provider/model.`, { field: 'model', value: model })
      return {
        name: 'fleet',
        ...target,
        action: 'worker',
        concurrency: wholeNumber(text('concurrency'), 'concurrency', 1) ?? 1,
        workdir: text('workdir'),
        model,
        maxTokensPerDay: wholeNumber(text('max-tokens-per-day'), 'max-tokens-per-day', 1),
        providerCaps: parseProviderCaps(text('provider-cap')),
        lockMs: wholeNumber(text('lock-ms'), 'lock-ms', 1_000),
        verbose: values['verbose'] === true,
      }
    }
    case 'status': {
      if (positionals.length > 1) throw usageError('`orchestrator fleet status` takes at most one job id.', { field: 'job' })
      return { name: 'fleet', ...target, action: 'status', jobId: positionals.length === 1 ? jobArgument() : undefined, json: values['json'] === true }
    }
    case 'cancel':
      return { name: 'fleet', ...target, action: 'cancel', jobId: jobArgument(), json: values['json'] === true }
    case 'logs':
      return { name: 'fleet', ...target, action: 'logs', jobId: jobArgument() }
    case 'dashboard':
      if (positionals.length > 0) throw usageError('`orchestrator fleet dashboard` takes no arguments.', { field: 'arguments' })
      return { name: 'fleet', ...target, action: 'dashboard', host: text('host'), port: wholeNumber(text('port'), 'port', 0) }
  }
}
