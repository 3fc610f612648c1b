import { describe, expect, it } from 'vitest'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { applyAgentOverrides } from './apply-agent-overrides'
import { buildSystemPrompt } from './build-system-prompt'
import { DEFAULT_AGENTS } from './default-agents'
import { toOpencodeAgentConfig } from './opencode-agent-config'

function rejection(overrides: unknown): OrchestratorError {
  try {
    applyAgentOverrides(DEFAULT_AGENTS, overrides)
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error(`accepted ${JSON.stringify(overrides)}`)
}

describe('applyAgentOverrides', () => {
  it('applies model, temperature, prompt and promptAppend to the named agent only', () => {
    const agents = applyAgentOverrides(DEFAULT_AGENTS, {
      worker: { model: 'anthropic/claude-haiku-4-5', temperature: 0.2, promptAppend: 'Use pnpm, never npm.' },
      reviewer: { prompt: 'You review. Be terse.' },
    })
    const worker = toOpencodeAgentConfig(agents.worker)
    expect(worker.model).toBe('anthropic/claude-haiku-4-5')
    expect(worker.temperature).toBe(0.2)
    expect(worker.prompt).toBe(`${DEFAULT_AGENTS.worker.prompt}\n\nUse pnpm, never npm.`)
    expect(buildSystemPrompt(agents.reviewer)).toBe('You review. Be terse.')
    expect(agents.planner).toBe(DEFAULT_AGENTS.planner)
    expect(toOpencodeAgentConfig(agents.planner).model).toBeUndefined()
  })

  it('merges permission entries and lets an override take an orchestrator tool away', () => {
    const agents = applyAgentOverrides(DEFAULT_AGENTS, {
      worker: { permission: { bash: { '*': 'ask', 'pnpm test*': 'allow' }, webfetch: 'deny' } },
      reviewer: { permission: { orchestrator_bg_run: 'deny' } },
    })
    expect(agents.worker.permission).toMatchObject({ task: 'deny', bash: { '*': 'ask', 'pnpm test*': 'allow' }, webfetch: 'deny' })
    expect(agents.reviewer.tools).not.toContain('orchestrator_bg_run')
    expect(toOpencodeAgentConfig(agents.reviewer).tools.orchestrator_bg_run).toBe(false)
  })

  it('accepts no overrides and an empty object', () => {
    expect(applyAgentOverrides(DEFAULT_AGENTS, undefined)).toBe(DEFAULT_AGENTS)
    expect(applyAgentOverrides(DEFAULT_AGENTS, {})).toEqual(DEFAULT_AGENTS)
  })

  it('can disable an agent', () => {
    expect(applyAgentOverrides(DEFAULT_AGENTS, { planner: { disable: true } }).planner.disable).toBe(true)
  })

  it('rejects an unknown or miscased agent name, listing the valid ones', () => {
    const error = rejection({ Worker: { temperature: 0 } })
    expect(error.code).toBe('agent-unknown')
    expect(error.message).toContain("agents.Worker: unknown agent 'Worker' — did you mean 'worker'?")
    expect(rejection({ build: {} }).message).toContain('commander, planner, worker, reviewer')
  })

  it('rejects unknown keys naming them and the allowed ones', () => {
    const error = rejection({ worker: { promt: 'x' } })
    expect(error.code).toBe('config-invalid')
    expect(error.message).toBe(
      'agents.worker: unknown key "promt" — allowed keys: model, temperature, prompt, promptAppend, permission, disable',
    )
  })

  it('rejects bad values naming the field, the value and the fix', () => {
    expect(rejection({ worker: { model: 'gpt-4o' } }).message).toBe(
      'agents.worker.model: "gpt-4o" is not valid — use "provider/model", e.g. "anthropic/claude-sonnet-4-5"',
    )
    expect(rejection({ planner: { temperature: 3 } }).message).toBe('agents.planner.temperature: 3 is not valid — use a number from 0 to 2')
    expect(rejection({ worker: { permission: { bash: 'yes' } } }).message).toContain('agents.worker.permission.bash: "yes" is not valid')
    expect(rejection({ worker: 'fast' }).message).toContain('agents.worker: "fast" is not valid')
    expect(rejection(['worker']).message).toContain('agents: ["worker"] is not valid')
  })

  it('refuses a Worker that may spawn agents, however it is written', () => {
    for (const permission of [{ task: 'allow' }, { task: 'ask' }, { task: { general: 'allow' } }, { orchestrator_delegate: 'allow' }]) {
      const error = rejection({ worker: { permission } })
      expect(error.code).toBe('config-invalid')
      expect(error.message).toMatch(/^agents\.worker\.permission\.(task|orchestrator_delegate): .* is refused — /)
    }
    expect(rejection({ worker: { permission: { task: 'allow' } } }).message).toContain('Workers never spawn agents')
  })

  it('refuses a Planner or Reviewer that may edit, through any edit tool name', () => {
    for (const agent of ['planner', 'reviewer']) {
      for (const permission of [{ edit: 'allow' }, { write: 'ask' }, { patch: 'allow' }, { edit: { '*.md': 'allow' } }]) {
        expect(rejection({ [agent]: { permission } }).message).toMatch(new RegExp(`^agents\\.${agent}\\.permission\\.\\w+: .* is refused`))
      }
    }
    expect(rejection({ planner: { permission: { bash: 'allow' } } }).message).toContain('read-only')
  })

  it('refuses a Commander that may edit, and any role granted a tool it lacks', () => {
    expect(rejection({ commander: { permission: { edit: 'allow' } } }).message).toContain('delegates all code changes')
    expect(rejection({ planner: { permission: { orchestrator_bg_run: 'allow' } } }).message).toContain('does not get orchestrator_bg_run')
  })

  it('allows restating a guarantee as "deny"', () => {
    expect(applyAgentOverrides(DEFAULT_AGENTS, { planner: { permission: { edit: 'deny', write: 'deny' } } }).planner.permission).toMatchObject({
      edit: 'deny',
    })
  })

  it('never mutates the defaults', () => {
    const before = JSON.stringify(DEFAULT_AGENTS)
    applyAgentOverrides(DEFAULT_AGENTS, { worker: { model: 'a/b', permission: { bash: 'deny' } } })
    expect(JSON.stringify(DEFAULT_AGENTS)).toBe(before)
    expect(Object.isFrozen(DEFAULT_AGENTS.worker.permission)).toBe(true)
  })
})
