import { configError, expectedText, relationIssues, toConfigIssues, type ConfigIssue } from './config/config-issues'
import { orchestratorConfigSchema, type OrchestratorConfig } from './config/config-schema'
import { mergeConfigLayers } from './config/merge-config-layers'

export { AGENT_NAMES, MAX_DURATION_MS, agentOverrideSchema, orchestratorConfigSchema } from './config/config-schema'
export type { AgentName, AgentOverride, OrchestratorConfig, OrchestratorConfigInput } from './config/config-schema'
export type { ConfigIssue } from './config/config-issues'
export { mergeConfigLayers } from './config/merge-config-layers'

export interface ParseConfigOptions {
  /** Where the input came from, e.g. a file path or `plugin options`; starts every error line. */
  source: string
}

type Validation = { config: OrchestratorConfig } | { problems: Array<ConfigIssue & { source: string }> }

function validate(input: unknown, source: string, relations: boolean): Validation {
  // `jitless`: a config is parsed once per load; compiling zod's fast path for it (new Function per object
  // schema) costs far more than the one interpreted parse, and it sits on OpenCode's start-up path.
  const result = orchestratorConfigSchema.safeParse(input, { error: expectedText, jitless: true })
  const issues = result.success ? (relations ? relationIssues(result.data) : []) : toConfigIssues(result.error, input)
  if (result.success && issues.length === 0) return { config: result.data }
  return { problems: issues.map((issue) => ({ ...issue, source })) }
}

/**
 * Validates a config input and fills in the defaults. Never falls back to a
 * default for a bad value: throws `config-invalid`, with one line per problem
 * in the form `<source>: <path>: got <value>, expected <what>`.
 */
export function parseConfig(input: unknown, options: ParseConfigOptions): OrchestratorConfig {
  const outcome = validate(input === undefined ? {} : input, options.source, true)
  if ('problems' in outcome) throw configError(outcome.problems)
  return outcome.config
}

/** The configuration with every default. */
export function defaultConfig(): OrchestratorConfig {
  return parseConfig({}, { source: 'defaults' })
}

/** One config layer and where it came from. */
export interface ConfigLayer {
  /** Shown in error messages, e.g. `~/.config/opencode/orchestrator.json`. */
  source: string
  /** Parsed JSON of the layer; `undefined` when the layer does not exist. */
  value: unknown
}

/**
 * Validates each layer on its own (so every error names the layer it is in),
 * then merges them in order and validates the result. Throws one
 * `config-invalid` error listing the problems of every layer.
 */
export function resolveConfig(layers: readonly ConfigLayer[]): OrchestratorConfig {
  const present = layers.filter((layer) => layer.value !== undefined)
  const problems = present.flatMap((layer) => {
    const outcome = validate(layer.value, layer.source, false)
    return 'problems' in outcome ? outcome.problems : []
  })
  if (problems.length > 0) throw configError(problems)
  const source = present.length === 0 ? 'defaults' : `merged config (${present.map((layer) => layer.source).join(' < ')})`
  return parseConfig(mergeConfigLayers(...present.map((layer) => layer.value)), { source })
}
