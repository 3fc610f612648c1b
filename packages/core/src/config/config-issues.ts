/**
 * Config problems in words: each zod issue turned into a {@link ConfigIssue} (path, value found, what
 * would have been valid), keys that were renamed or removed, relations between fields, and the one
 * `config-invalid` error that lists them all.
 */
import type { z } from 'zod'
import { didYouMean } from '../did-you-mean'
import { OrchestratorError } from '../orchestrator-error'
import { SCHEMA_HINT, type OrchestratorConfig } from './config-schema'

/** One problem found in a config input. */
export interface ConfigIssue {
  /** Dotted path of the bad value, e.g. `concurrency.agents.Worker`. */
  path: string
  /** The value found there (undefined when missing). */
  value: unknown
  /** What would have been valid. */
  expected: string
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)'
  let text = ''
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`
    else if (typeof segment === 'string' && /^[A-Za-z_$][\w$]*$/.test(segment)) text += text === '' ? segment : `.${segment}`
    else text += `[${JSON.stringify(String(segment))}]`
  }
  return text
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<PropertyKey, unknown>)[segment]
  }
  return value
}

function formatValue(value: unknown): string {
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = String(value)
  }
  return text.length > 80 ? `${text.slice(0, 79)}…` : text
}

const TYPE_NAMES: Record<string, string> = {
  int: 'a whole number',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
  record: 'an object',
}

function describeBound(issue: { origin?: string; inclusive?: boolean }, bound: unknown, direction: 'min' | 'max'): string {
  const value = typeof bound === 'bigint' ? bound.toString() : String(bound)
  switch (issue.origin) {
    case 'string':
      if (direction === 'max') return `a string of at most ${value} characters`
      return value === '1' ? 'a non-empty string' : `a string of at least ${value} characters`
    case 'array':
      return direction === 'min' ? `at least ${value} items` : `at most ${value} items`
    default: {
      const operator = direction === 'min' ? (issue.inclusive === false ? '>' : '≥') : issue.inclusive === false ? '<' : '≤'
      return `a number ${operator} ${value}`
    }
  }
}

/**
 * Parse-level error map: words every issue as what would have been valid.
 * Schema-level messages (model strings, agent names, …) take precedence.
 */
export const expectedText: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected
    case 'too_small':
      return describeBound(issue, issue.minimum, 'min')
    case 'too_big':
      return describeBound(issue, issue.maximum, 'max')
    case 'invalid_value':
      return `one of ${issue.values.map((value) => formatValue(value)).join(', ')}`
    default:
      return undefined
  }
}

const KEYS_PREFIX = 'one of the keys '

/**
 * Keys that once existed (in 1.x of `opencode-orchestrator`, or documented
 * earlier in 2.0), with what to do instead: a user upgrading gets the way
 * forward rather than a bare "no such key".
 */
const REMOVED_KEYS: Readonly<Record<string, string>> = {
  'notifications.os': 'removed: OS notifications were never sent by the plugin; delete the key (OpenCode shows the orchestrator\'s notices as toasts)',
  agentConcurrency: 'renamed in 2.0: use concurrency.agents',
  providerConcurrency: 'renamed in 2.0: use concurrency.providers',
  modelConcurrency: 'renamed in 2.0: use concurrency.models',
  defaultConcurrency: 'renamed in 2.0: use concurrency.default',
  acquisitionTimeoutMs: 'renamed in 2.0: use concurrency.acquireTimeoutMs',
  circuitFailureThreshold: 'renamed in 2.0: use recovery.circuitBreaker.failureThreshold',
  circuitRecoveryTimeoutMs: 'renamed in 2.0: use recovery.circuitBreaker.cooldownMs',
  halfOpenSuccessThreshold: 'removed in 2.0: the circuit breaker closes after one successful probe; delete the key',
  resourcePressureMaxHeapPercent: 'removed in 2.0; delete the key (bound the work with budgets.* and concurrency.global)',
  contextMaxTokens: 'removed in 2.0: context overflow is detected from the provider\'s own error and compacted; delete the key',
  missionLoop: 'removed in 2.0: the mission journal and todo.md are always kept under missionDirectory; delete the key',
}

export function toConfigIssues(error: z.ZodError, input: unknown): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.message.startsWith(KEYS_PREFIX) ? issue.message.slice(KEYS_PREFIX.length).split(', ') : []
      for (const key of issue.keys) {
        const path = formatPath([...issue.path, key])
        const removed = REMOVED_KEYS[path]
        const suggestion = didYouMean(key, keys)
        issues.push({
          path,
          value: valueAt(input, [...issue.path, key]),
          expected:
            removed ?? `no such key; valid keys: ${keys.join(', ')}${suggestion === undefined ? '' : ` (did you mean "${suggestion}"?)`}`,
        })
      }
    } else {
      issues.push({ path: formatPath(issue.path), value: valueAt(input, issue.path), expected: issue.message })
    }
  }
  return issues
}

/** Relations between fields, checked on the merged config (a single layer may set only one side). */
export function relationIssues(config: OrchestratorConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  const { backoff } = config.recovery
  if (backoff.maxMs < backoff.initialMs) {
    issues.push({
      path: 'recovery.backoff.maxMs',
      value: backoff.maxMs,
      expected: `a value ≥ recovery.backoff.initialMs (${backoff.initialMs})`,
    })
  }
  const { docsCache } = config
  if (docsCache.maxEntryBytes > docsCache.maxTotalBytes) {
    issues.push({
      path: 'docsCache.maxEntryBytes',
      value: docsCache.maxEntryBytes,
      expected: `a value ≤ docsCache.maxTotalBytes (${docsCache.maxTotalBytes})`,
    })
  }
  return issues
}

export function configError(problems: Array<ConfigIssue & { source: string }>): OrchestratorError {
  const lines = problems.map((problem) => `${problem.source}: ${problem.path}: got ${formatValue(problem.value)}, expected ${problem.expected}`)
  const sources = [...new Set(problems.map((problem) => problem.source))].join(', ')
  return new OrchestratorError({
    code: 'config-invalid',
    message:
      `Invalid orchestrator config (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
      `${lines.join('\n')}\n` +
      `Fix: correct or remove these values in ${sources}. ${SCHEMA_HINT}`,
    details: { issues: problems.map(({ source, path, value, expected }) => ({ source, path, value, expected })) },
  })
}
