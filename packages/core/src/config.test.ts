import { describe, expect, it } from 'vitest'
import { AGENT_NAMES, MAX_DURATION_MS, defaultConfig, mergeConfigLayers, parseConfig, resolveConfig } from './config'
import { OrchestratorError } from './orchestrator-error'

const SOURCE = '/project/.opencode/orchestrator.json'

/** The problem lines of a config-invalid error (without header and hint). */
function problems(input: unknown): string[] {
  try {
    parseConfig(input, { source: SOURCE })
  } catch (error) {
    if (!OrchestratorError.hasCode(error, 'config-invalid')) throw error
    return error.message.split('\n').filter((line) => line.startsWith(`${SOURCE}: `))
  }
  throw new Error('expected parseConfig to throw')
}

describe('defaultConfig', () => {
  it('has the documented defaults', () => {
    expect(defaultConfig()).toEqual({
      concurrency: { global: 50, default: 0, agents: {}, providers: {}, models: {}, acquireTimeoutMs: 1_800_000 },
      budgets: { maxIterations: 20, maxWallTimeMinutes: 120, maxChildSessions: 200, maxDepth: 2, maxBreadth: 50, maxTokens: 0, maxCostUsd: 0 },
      continuation: { stagnationTurns: 3, cooldownMs: 2000, wakeMaxWaitMs: 60_000 },
      taskStore: { maxInMemory: 1000, ttlMinutes: 60, archiveMaxFileBytes: 5_242_880, archiveMaxFiles: 20 },
      recovery: {
        maxAttemptsPerSession: 3,
        backoff: { initialMs: 2000, maxMs: 60_000, factor: 2, jitter: 0.2 },
        circuitBreaker: { failureThreshold: 5, cooldownMs: 60_000 },
        fallbackModels: [],
      },
      background: { maxPerSession: 5, outputLimitBytes: 1_048_576 },
      steps: { maxToolCallsPerTurn: 100, maxToolCallsPerTask: 300 },
      docsCache: { maxEntries: 50, maxEntryBytes: 65_536, maxTotalBytes: 1_048_576 },
      notifications: { progressIntervalMs: 3000 },
      agents: {},
      isolation: 'worktree',
      onSeal: 'branch',
      missionDirectory: '.opencode/orchestrator',
    })
  })

  it('returns fresh objects each time', () => {
    const first = defaultConfig()
    first.recovery.fallbackModels.push('a/b')
    first.concurrency.agents['worker'] = 1
    expect(defaultConfig().recovery.fallbackModels).toEqual([])
    expect(defaultConfig().concurrency.agents).toEqual({})
  })

  it('exports the agent names', () => {
    expect(AGENT_NAMES).toEqual(['commander', 'planner', 'worker', 'reviewer'])
  })
})

describe('parseConfig', () => {
  it('fills defaults around the values given, deep inside sections too', () => {
    const config = parseConfig(
      {
        $schema: 'https://example.com/schema.json',
        concurrency: { global: 10, agents: { Worker: 4 }, models: { 'anthropic/claude-opus': 1 } },
        recovery: { backoff: { factor: 3 }, fallbackModels: ['openai/gpt-5'] },
        agents: { worker: { model: 'anthropic/claude-sonnet-4', temperature: 0.2, permission: { bash: { 'git push*': 'deny' }, edit: 'allow' } } },
      },
      { source: SOURCE },
    )
    expect(config.concurrency).toEqual({
      global: 10,
      default: 0,
      agents: { Worker: 4 },
      providers: {},
      models: { 'anthropic/claude-opus': 1 },
      acquireTimeoutMs: 1_800_000,
    })
    expect(config.recovery.backoff).toEqual({ initialMs: 2000, maxMs: 60_000, factor: 3, jitter: 0.2 })
    expect(config.agents.worker?.permission).toEqual({ bash: { 'git push*': 'deny' }, edit: 'allow' })
    expect(config.budgets.maxDepth).toBe(2)
  })

  it('reports a wrong type with the path, the value and what is expected', () => {
    expect(problems({ budgets: { maxIterations: '20' } })).toEqual([`${SOURCE}: budgets.maxIterations: got "20", expected a whole number`])
    expect(problems({ agents: { worker: { disable: 'yes' } } })).toEqual([`${SOURCE}: agents.worker.disable: got "yes", expected true or false`])
    expect(problems({ budgets: { maxDepth: 1.5 } })).toEqual([`${SOURCE}: budgets.maxDepth: got 1.5, expected a whole number`])
    expect(problems({ recovery: { fallbackModels: 'openai/gpt-5' } })).toEqual([
      `${SOURCE}: recovery.fallbackModels: got "openai/gpt-5", expected an array`,
    ])
  })

  it('says what became of a removed or renamed key (notifications.os, the 1.x keys)', () => {
    expect(problems({ notifications: { os: true } })).toEqual([
      `${SOURCE}: notifications.os: got true, expected removed: OS notifications were never sent by the plugin; delete the key (OpenCode shows the orchestrator's notices as toasts)`,
    ])
    expect(problems({ agentConcurrency: { worker: 10 } })).toEqual([`${SOURCE}: agentConcurrency: got {"worker":10}, expected renamed in 2.0: use concurrency.agents`])
    expect(problems({ missionLoop: { ledger: true } })[0]).toContain('missionLoop: got {"ledger":true}, expected removed in 2.0')
  })

  it('never replaces a bad value by its default (null is not "unset")', () => {
    expect(problems({ budgets: { maxDepth: null } })).toEqual([`${SOURCE}: budgets.maxDepth: got null, expected a whole number`])
    expect(problems({ concurrency: null })).toEqual([`${SOURCE}: concurrency: got null, expected an object`])
    expect(problems(null)).toEqual([`${SOURCE}: (root): got null, expected an object`])
    expect(problems('yes')).toEqual([`${SOURCE}: (root): got "yes", expected an object`])
  })

  it('reports values out of range', () => {
    expect(problems({ concurrency: { global: -1 } })).toEqual([`${SOURCE}: concurrency.global: got -1, expected a whole number ≥ 0`])
    expect(problems({ budgets: { maxDepth: 0 } })).toEqual([`${SOURCE}: budgets.maxDepth: got 0, expected a whole number ≥ 1`])
    expect(problems({ agents: { planner: { temperature: 3 } } })).toEqual([
      `${SOURCE}: agents.planner.temperature: got 3, expected a number ≤ 2`,
    ])
    expect(problems({ recovery: { backoff: { jitter: 1.5 } } })).toEqual([`${SOURCE}: recovery.backoff.jitter: got 1.5, expected a number ≤ 1`])
    expect(problems({ taskStore: { ttlMinutes: 0 } })).toEqual([`${SOURCE}: taskStore.ttlMinutes: got 0, expected a number of minutes > 0`])
  })

  /** Every time-like option, where it lives, and a value the runtime must honour (issue 18 #5). */
  const DURATIONS: Array<{ path: string; input: (value: number) => unknown; large: number; unit: 'ms' | 'minutes' }> = [
    { path: 'concurrency.acquireTimeoutMs', input: (value) => ({ concurrency: { acquireTimeoutMs: value } }), large: 3e9, unit: 'ms' },
    { path: 'budgets.maxWallTimeMinutes', input: (value) => ({ budgets: { maxWallTimeMinutes: value } }), large: 100_000, unit: 'minutes' },
    { path: 'continuation.cooldownMs', input: (value) => ({ continuation: { cooldownMs: value } }), large: 1e10, unit: 'ms' },
    { path: 'continuation.wakeMaxWaitMs', input: (value) => ({ continuation: { wakeMaxWaitMs: value } }), large: 1e10, unit: 'ms' },
    { path: 'taskStore.ttlMinutes', input: (value) => ({ taskStore: { ttlMinutes: value } }), large: 100_000, unit: 'minutes' },
    { path: 'recovery.backoff.initialMs', input: (value) => ({ recovery: { backoff: { initialMs: value, maxMs: MAX_DURATION_MS } } }), large: 1e10, unit: 'ms' },
    { path: 'recovery.backoff.maxMs', input: (value) => ({ recovery: { backoff: { maxMs: value } } }), large: 1e10, unit: 'ms' },
    { path: 'recovery.circuitBreaker.cooldownMs', input: (value) => ({ recovery: { circuitBreaker: { cooldownMs: value } } }), large: 1e10, unit: 'ms' },
    { path: 'notifications.progressIntervalMs', input: (value) => ({ notifications: { progressIntervalMs: value } }), large: 1e10, unit: 'ms' },
  ]

  it.each(DURATIONS)('gives $path a maximum of one year, naming the field, the value and the limit', ({ path, input, large, unit }) => {
    expect(() => parseConfig(input(large), { source: SOURCE })).not.toThrow()
    const maximum = unit === 'ms' ? MAX_DURATION_MS : MAX_DURATION_MS / 60_000
    expect(() => parseConfig(input(maximum), { source: SOURCE })).not.toThrow()
    const [line, ...rest] = problems(input(unit === 'ms' ? 1e12 : 1e9))
    expect(rest).toEqual([])
    expect(line).toContain(`${SOURCE}: ${path}: got ${unit === 'ms' ? 1e12 : 1e9}, expected a`)
    expect(line).toContain(`≤ ${maximum} (one year)`)
  })

  it('refuses background.maxPerSession 0, which no background command could run under', () => {
    expect(problems({ background: { maxPerSession: 0 } })).toEqual([`${SOURCE}: background.maxPerSession: got 0, expected a whole number ≥ 1`])
  })

  it('rejects unknown keys and lists the valid ones', () => {
    expect(problems({ concurency: {} })).toEqual([
      `${SOURCE}: concurency: got {}, expected no such key; valid keys: $schema, concurrency, budgets, continuation, taskStore, recovery, background, steps, docsCache, notifications, agents, isolation, onSeal, missionDirectory (did you mean "concurrency"?)`,
    ])
    expect(problems({ budgets: { maxDepht: 3 } })[0]).toContain('budgets.maxDepht: got 3, expected no such key; valid keys: maxIterations,')
    expect(problems({ agents: { worker: { promt: 'x' } } })[0]).toContain('(did you mean "prompt"?)')
  })

  it('rejects an unknown agent name such as "Worker" and lists the valid names', () => {
    const [line, ...rest] = problems({ agents: { Worker: { model: 'anthropic/claude-sonnet-4' } } })
    expect(rest).toEqual([])
    expect(line).toBe(
      `${SOURCE}: agents.Worker: got {"model":"anthropic/claude-sonnet-4"}, expected no such key; valid keys: commander, planner, worker, reviewer (did you mean "worker"?)`,
    )
  })

  it('normalises concurrency agent keys but rejects unknown agents and double spellings', () => {
    expect(parseConfig({ concurrency: { agents: { Reviewer: 2 } } }, { source: SOURCE }).concurrency.agents).toEqual({ Reviewer: 2 })
    expect(problems({ concurrency: { agents: { wroker: 2 } } })).toEqual([
      `${SOURCE}: concurrency.agents.wroker: got 2, expected an agent name: commander, planner, worker, reviewer (did you mean "worker"?)`,
    ])
    expect(problems({ concurrency: { agents: { worker: 2, Worker: 3 } } })[0]).toContain(
      'concurrency.agents.Worker: got 3, expected a name not already used: "worker" names the same key',
    )
  })

  it('checks model strings and model keys', () => {
    expect(problems({ concurrency: { models: { 'gpt-5': 1 } } })).toEqual([
      `${SOURCE}: concurrency.models["gpt-5"]: got 1, expected a key of the form "provider/model", e.g. "anthropic/claude-sonnet-4"`,
    ])
    expect(problems({ agents: { reviewer: { model: 'sonnet' } }, recovery: { fallbackModels: ['a/b', 'c'] } })).toEqual([
      `${SOURCE}: recovery.fallbackModels[1]: got "c", expected a "provider/model" string, e.g. "anthropic/claude-sonnet-4"`,
      `${SOURCE}: agents.reviewer.model: got "sonnet", expected a "provider/model" string, e.g. "anthropic/claude-sonnet-4"`,
    ])
  })

  it('checks permission actions', () => {
    expect(problems({ agents: { worker: { permission: { bash: 'maybe', edit: { '*': 'never' } } } } })).toEqual([
      `${SOURCE}: agents.worker.permission.bash: got "maybe", expected "allow", "ask", "deny", or an object mapping patterns to one of them`,
      `${SOURCE}: agents.worker.permission.edit: got {"*":"never"}, expected "allow", "ask", "deny", or an object mapping patterns to one of them`,
    ])
  })

  it('keeps the mission directory inside the project', () => {
    for (const bad of ['/etc/orchestrator', '../elsewhere', 'a/../../b', 'C:\\temp', '']) {
      expect(problems({ missionDirectory: bad })[0]).toContain('expected a relative path inside the project')
    }
    expect(problems({ missionDirectory: '.opencode/orch\u0000/x' })).toEqual([
      `${SOURCE}: missionDirectory: got ".opencode/orch\\u0000/x", expected a path without NUL (\\u0000) characters, e.g. ".opencode/orchestrator"`,
    ])
    expect(parseConfig({ missionDirectory: '.orchestrator/state' }, { source: SOURCE }).missionDirectory).toBe('.orchestrator/state')
  })

  it('checks relations between fields', () => {
    expect(problems({ recovery: { backoff: { initialMs: 5000, maxMs: 100 } } })).toEqual([
      `${SOURCE}: recovery.backoff.maxMs: got 100, expected a value ≥ recovery.backoff.initialMs (5000)`,
    ])
    expect(problems({ docsCache: { maxTotalBytes: 1000 } })).toEqual([
      `${SOURCE}: docsCache.maxEntryBytes: got 65536, expected a value ≤ docsCache.maxTotalBytes (1000)`,
    ])
  })

  it('lists every problem at once, with details and a fix hint', () => {
    let caught: unknown
    try {
      parseConfig({ concurrency: { global: 'many' }, budgets: { maxBreadth: -5 }, extra: 1 }, { source: 'plugin options' })
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.hasCode(caught, 'config-invalid')).toBe(true)
    const error = caught as OrchestratorError
    expect(error.message.split('\n')).toEqual([
      'Invalid orchestrator config (3 problems):',
      'plugin options: concurrency.global: got "many", expected a whole number',
      'plugin options: budgets.maxBreadth: got -5, expected a whole number ≥ 1',
      expect.stringContaining('plugin options: extra: got 1, expected no such key; valid keys: $schema,'),
      'Fix: correct or remove these values in plugin options. Every option with its type and default is listed in @opencode-orchestrator/core/schema.json.',
    ])
    expect(error.details['issues']).toEqual([
      { source: 'plugin options', path: 'concurrency.global', value: 'many', expected: 'a whole number' },
      { source: 'plugin options', path: 'budgets.maxBreadth', value: -5, expected: 'a whole number ≥ 1' },
      expect.objectContaining({ source: 'plugin options', path: 'extra', value: 1 }),
    ])
  })
})

describe('mergeConfigLayers', () => {
  it('merges objects deeply, later layers win, arrays are replaced', () => {
    const merged = mergeConfigLayers(
      { concurrency: { global: 10, agents: { worker: 2 } }, recovery: { fallbackModels: ['a/b', 'c/d'] } },
      undefined,
      { concurrency: { agents: { planner: 1 } }, recovery: { fallbackModels: ['e/f'] } },
      { concurrency: { global: 20, default: undefined }, agents: { worker: { prompt: 'x' } } },
    )
    expect(merged).toEqual({
      concurrency: { global: 20, agents: { worker: 2, planner: 1 } },
      recovery: { fallbackModels: ['e/f'] },
      agents: { worker: { prompt: 'x' } },
    })
  })

  it('does not mutate its inputs and ignores prototype keys', () => {
    const user = { concurrency: { global: 10 } }
    const hostile = JSON.parse('{"__proto__": {"polluted": true}, "concurrency": {"default": 1}}') as unknown
    const merged = mergeConfigLayers(user, hostile) as Record<string, unknown>
    expect(user).toEqual({ concurrency: { global: 10 } })
    expect(merged).toEqual({ concurrency: { global: 10, default: 1 } })
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined()
  })
})

describe('resolveConfig', () => {
  it('validates each layer on its own and names the layer of each problem', () => {
    let caught: unknown
    try {
      resolveConfig([
        { source: '~/.config/opencode/orchestrator.json', value: { budgets: { maxDepth: 0 } } },
        { source: 'project opencode.json', value: undefined },
        { source: 'plugin options', value: { agents: { Planner: {} } } },
      ])
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.hasCode(caught, 'config-invalid')).toBe(true)
    const lines = (caught as Error).message.split('\n')
    expect(lines[1]).toBe('~/.config/opencode/orchestrator.json: budgets.maxDepth: got 0, expected a whole number ≥ 1')
    expect(lines[2]).toContain('plugin options: agents.Planner: got {}, expected no such key')
  })

  it('checks relations on the merged result, where one layer may set each side', () => {
    const config = resolveConfig([
      { source: 'user', value: { docsCache: { maxTotalBytes: 1000 } } },
      { source: 'project', value: { docsCache: { maxEntryBytes: 500 } } },
    ])
    expect(config.docsCache).toEqual({ maxEntries: 50, maxEntryBytes: 500, maxTotalBytes: 1000 })
    expect(() =>
      resolveConfig([
        { source: 'user', value: { recovery: { backoff: { maxMs: 1000 } } } },
        { source: 'project', value: { recovery: { backoff: { initialMs: 5000 } } } },
      ]),
    ).toThrowError('merged config (user < project): recovery.backoff.maxMs: got 1000, expected a value ≥ recovery.backoff.initialMs (5000)')
  })

  it('gives the defaults when there is no layer', () => {
    expect(resolveConfig([{ source: 'user', value: undefined }])).toEqual(defaultConfig())
  })
})
