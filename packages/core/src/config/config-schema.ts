/** The orchestrator's configuration schema (zod): every option with its type, default and description. */
import { z } from 'zod'
import { didYouMean } from '../did-you-mean'
import { ISOLATION_MODES, SEAL_LANDINGS } from '../task-workspaces'

/** The orchestrator's agents. Names are exact and lower case. */
export const AGENT_NAMES = ['commander', 'planner', 'worker', 'reviewer'] as const

export type AgentName = (typeof AGENT_NAMES)[number]

export const SCHEMA_HINT = 'Every option with its type and default is listed in @opencode-orchestrator/core/schema.json.'

/** A strict object: unknown keys are errors, and the error lists the valid keys. */
function strictObject<Shape extends Record<string, z.ZodType>>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? `one of the keys ${Object.keys(shape).join(', ')}` : undefined),
  })
}

const count = (minimum: number) => z.int({ error: 'a whole number' }).min(minimum, { error: `a whole number ≥ ${minimum}` })

/**
 * Longest time any time-like option may name: one year. The clock port waits out long delays in
 * steps (see `systemClock`), so every value up to this is honoured; beyond it a value is almost
 * certainly a typo (or an "unlimited" that should be written as 0 where 0 means unlimited).
 */
export const MAX_DURATION_MS = 31_536_000_000
const MAX_DURATION_MINUTES = MAX_DURATION_MS / 60_000

/** A duration in ms: a whole number from `minimum` to one year. `zeroMeans` documents a special 0. */
const durationMs = (minimum: number, zeroMeans?: string) =>
  count(minimum).max(MAX_DURATION_MS, {
    error: `a whole number of ms ≤ ${MAX_DURATION_MS} (one year)${zeroMeans === undefined ? '' : `; for ${zeroMeans} write 0`}`,
  })

/** A duration in minutes: a positive number up to one year. */
const durationMinutes = () =>
  z
    .number({ error: 'a number of minutes' })
    .positive({ error: 'a number of minutes > 0' })
    .max(MAX_DURATION_MINUTES, { error: `a number of minutes ≤ ${MAX_DURATION_MINUTES} (one year)` })

const MODEL_PATTERN = /^[^/\s]+\/\S+$/
const modelString = z
  .string()
  .regex(MODEL_PATTERN, { error: 'a "provider/model" string, e.g. "anthropic/claude-sonnet-4"' })
  .describe('Model as "provider/model", e.g. "anthropic/claude-sonnet-4".')

const permissionAction = z.enum(['allow', 'ask', 'deny'])
const permissionValue = z.union([permissionAction, z.record(z.string().min(1), permissionAction)], {
  error: '"allow", "ask", "deny", or an object mapping patterns to one of them',
})

/** A user's override of one agent (config `agents.<name>`). */
export const agentOverrideSchema = strictObject({
  model: modelString.optional(),
  temperature: z.number().min(0).max(2).optional().describe('Sampling temperature, 0–2.'),
  prompt: z.string().min(1).optional().describe('Replaces the role prompt.'),
  promptAppend: z.string().min(1).optional().describe('Appended after the role prompt.'),
  permission: z
    .record(z.string().min(1), permissionValue)
    .optional()
    .describe('OpenCode permission entries merged over the role\'s own, e.g. { "bash": { "git push*": "deny" } }.'),
  disable: z.boolean().optional().describe('Do not register this agent.'),
})

export type AgentOverride = z.output<typeof agentOverrideSchema>

/**
 * Limits by name. Names are compared case-insensitively, so two spellings of
 * one name are an error; `check` validates each name.
 */
function limitTable(description: string, check?: (name: string) => string | undefined) {
  return z
    .record(z.string().min(1), count(0))
    .superRefine((table, context) => {
      const seen = new Map<string, string>()
      for (const name of Object.keys(table)) {
        const problem = check?.(name)
        if (problem !== undefined) context.addIssue({ code: 'custom', path: [name], message: problem, input: table[name] })
        const normalized = name.trim().toLowerCase()
        const clash = seen.get(normalized)
        if (clash !== undefined) {
          context.addIssue({
            code: 'custom',
            path: [name],
            message: `a name not already used: ${JSON.stringify(clash)} names the same key (names are case-insensitive); keep one`,
            input: table[name],
          })
        }
        seen.set(normalized, name)
      }
    })
    .default(() => ({}))
    .describe(description)
}

const concurrencySchema = strictObject({
  global: count(0).default(50).describe('Slots shared by every task (0 = unlimited).'),
  default: count(0)
    .default(0)
    .describe('Slots of the shared "default" key: tasks whose model, provider and agent have no limit of their own (0 = unlimited).'),
  agents: limitTable('Slots by agent, e.g. { "worker": 10 } (0 = unlimited; names are case-insensitive).', (name) => {
    if ((AGENT_NAMES as readonly string[]).includes(name.trim().toLowerCase())) return undefined
    const suggestion = didYouMean(name, AGENT_NAMES)
    return `an agent name: ${AGENT_NAMES.join(', ')}${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`
  }),
  providers: limitTable('Slots by provider id, e.g. { "anthropic": 5 } (0 = unlimited).'),
  models: limitTable('Slots by "provider/model", e.g. { "anthropic/claude-sonnet-4": 3 } (0 = unlimited).', (name) =>
    MODEL_PATTERN.test(name) ? undefined : 'a key of the form "provider/model", e.g. "anthropic/claude-sonnet-4"',
  ),
  acquireTimeoutMs: durationMs(0, 'no timeout')
    .default(1_800_000)
    .describe('How long a task may wait for a slot before it fails, in ms (0 = wait forever).'),
})

const budgetsSchema = strictObject({
  maxIterations: count(1).default(20).describe('Continuations per mission.'),
  maxWallTimeMinutes: durationMinutes().default(120).describe('Wall time per mission, in minutes (at most 525600, one year).'),
  maxChildSessions: count(1).default(200).describe('Child sessions per mission.'),
  maxDepth: count(1).default(2).describe('Deepest delegation: a task delegated by the root session has depth 1.'),
  maxBreadth: count(1).default(50).describe('Live (queued or running) tasks one session may have delegated at a time.'),
  maxTokens: count(0).default(0).describe('Tokens per mission (0 = unlimited).'),
  maxCostUsd: z.number().min(0).default(0).describe('Cost per mission in USD (0 = unlimited).'),
})

const continuationSchema = strictObject({
  stagnationTurns: count(1).default(3).describe('Idle turns in a row without todo progress before the mission stops.'),
  cooldownMs: durationMs(0).default(2000).describe('Minimum time between two continuations when nothing progressed in between (no todo moved, no task ended), in ms (at most one year); progress is continued at once.'),
  wakeMaxWaitMs: durationMs(0).default(60_000).describe('Longest a queued parent wake waits for a busy parent, in ms (at most one year).'),
})

const taskStoreSchema = strictObject({
  maxInMemory: count(1).default(1000).describe('Tasks kept in memory before the oldest finished ones are archived.'),
  ttlMinutes: durationMinutes().default(60).describe('Finished tasks are archived this long after they finish, in minutes.'),
  archiveMaxFileBytes: count(1024).default(5_242_880).describe('Archive files rotate before growing past this size, in bytes.'),
  archiveMaxFiles: count(0).default(20).describe('Archive files kept; older ones are deleted (0 = keep all).'),
})

const recoverySchema = strictObject({
  maxAttemptsPerSession: count(0).default(3).describe('Recovery attempts per session.'),
  backoff: strictObject({
    initialMs: durationMs(0).default(2000).describe('First retry delay, in ms (at most one year).'),
    maxMs: durationMs(0).default(60_000).describe('Longest retry delay, in ms (at most one year).'),
    factor: z.number().min(1).default(2).describe('Growth of the delay per attempt.'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Random spread of each delay, as a fraction (0–1).'),
  }).prefault({}),
  circuitBreaker: strictObject({
    failureThreshold: count(1).default(5).describe('Failures in a row that open a provider\'s circuit.'),
    cooldownMs: durationMs(0).default(60_000).describe('How long an open circuit refuses dispatches, in ms (at most one year).'),
  }).prefault({}),
  fallbackModels: z
    .array(modelString)
    .default(() => [])
    .describe('Models tried in order when a model keeps failing; never overrides a pinned model.'),
})

const backgroundSchema = strictObject({
  maxPerSession: count(1).default(5).describe('Background commands running at once per session (at least 1; to forbid them, deny orchestrator_bg_run in the agents\' permission).'),
  outputLimitBytes: count(1024).default(1_048_576).describe('Output kept per background command (ring buffer), in bytes.'),
})

const stepsSchema = strictObject({
  maxToolCallsPerTurn: count(1)
    .default(100)
    .describe('Tool calls one agent may make in one turn (one prompt until it ends its turn); then it is told to report and stop.'),
  maxToolCallsPerTask: count(1).default(300).describe('Tool calls one delegated task may make in all its turns; then the task is stopped.'),
})

const docsCacheSchema = strictObject({
  maxEntries: count(0).default(50).describe('Documents kept.'),
  maxEntryBytes: count(1).default(65_536).describe('Largest document, in bytes.'),
  maxTotalBytes: count(1).default(1_048_576).describe('All documents together, in bytes.'),
})

const notificationsSchema = strictObject({
  progressIntervalMs: durationMs(0).default(3000).describe('Longest a change waits to be shown as a progress notice while events keep coming (a quiet 250 ms shows it sooner), in ms (at most one year).'),
})

const agentsSchema = strictObject({
  commander: agentOverrideSchema.optional(),
  planner: agentOverrideSchema.optional(),
  worker: agentOverrideSchema.optional(),
  reviewer: agentOverrideSchema.optional(),
})

/**
 * The orchestrator's configuration. Every field has a default; unknown keys
 * are errors. Relations between fields (e.g. `recovery.backoff.maxMs ≥
 * initialMs`) are checked by {@link parseConfig} after layers are merged, so
 * validate with `parseConfig`, not with this schema alone.
 */
export const orchestratorConfigSchema = strictObject({
  $schema: z.string().optional().describe('JSON Schema of this file, for editors.'),
  concurrency: concurrencySchema.prefault({}).describe('How many tasks run at once, by model, provider, agent and overall.'),
  budgets: budgetsSchema.prefault({}).describe('Per-mission limits; hitting one stops the mission with a notice.'),
  continuation: continuationSchema.prefault({}).describe('When and how often an idle mission with open todos is continued.'),
  taskStore: taskStoreSchema.prefault({}).describe('How many finished tasks stay in memory and how they are archived.'),
  recovery: recoverySchema.prefault({}).describe('Retries, circuit breaker and fallback models for failing model calls.'),
  background: backgroundSchema.prefault({}).describe('Background commands started by the agents.'),
  steps: stepsSchema.prefault({}).describe('Step limits: how many tool calls an agent may make per turn and per task.'),
  docsCache: docsCacheSchema.prefault({}).describe('Documents the agents save for each other.'),
  notifications: notificationsSchema.prefault({}).describe('Progress and result notices.'),
  agents: agentsSchema.prefault({}).describe('Overrides per agent (commander, planner, worker, reviewer).'),
  isolation: z
    .enum(ISOLATION_MODES, { error: `one of ${ISOLATION_MODES.map((mode) => JSON.stringify(mode)).join(', ')}` })
    .default('worktree')
    .describe(
      'Where Workers write: "worktree" gives each Worker task a git worktree of its own on its own branch, merged back when it ends (needs a git repository with a commit; elsewhere Workers share the project folder, with a notice); "none" lets every Worker write in the project folder.',
    ),
  onSeal: z
    .enum(SEAL_LANDINGS, { error: `one of ${SEAL_LANDINGS.map((landing) => JSON.stringify(landing)).join(', ')}` })
    .default('branch')
    .describe(
      'Where a sealed mission\'s result goes (with isolation "worktree"): "branch" leaves it on the branch orchestrator/<mission> to review; "merge" merges it into your current branch when your working tree is clean and the merge is clean (else it is left on the branch, and the seal notice says so).',
    ),
  missionDirectory: z
    .string()
    .refine((path) => path.length > 0 && !/^([/\\]|[A-Za-z]:)/.test(path) && !path.split(/[/\\]/).includes('..'), {
      error: 'a relative path inside the project without "..", e.g. ".opencode/orchestrator"',
    })
    // A NUL byte cuts the path short in every system call: the folder used would not be the one written.
    .refine((path) => !path.includes('\0'), { error: 'a path without NUL (\\u0000) characters, e.g. ".opencode/orchestrator"' })
    .default('.opencode/orchestrator')
    .describe('Where mission journals, docs and archives live, relative to the project.'),
})

/** The validated configuration, every default filled in. */
export type OrchestratorConfig = z.output<typeof orchestratorConfigSchema>
/** What a user may write: every field optional. */
export type OrchestratorConfigInput = z.input<typeof orchestratorConfigSchema>
