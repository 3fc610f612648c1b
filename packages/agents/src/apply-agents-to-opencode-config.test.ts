import { describe, expect, it } from 'vitest'
import { applyAgentOverrides } from './apply-agent-overrides'
import { applyAgentsToOpencodeConfig } from './apply-agents-to-opencode-config'
import type { OpencodeConfigLike } from './apply-agents-to-opencode-config'
import { DEFAULT_AGENTS } from './default-agents'
import { toOpencodeAgentConfig } from './opencode-agent-config'
import { ORCHESTRATOR_TOOL_NAMES } from './orchestrator-tools'

describe('applyAgentsToOpencodeConfig', () => {
  it('registers the agents and switches the orchestrator tools off for everyone else', () => {
    const config: OpencodeConfigLike = {}
    const result = applyAgentsToOpencodeConfig(config, DEFAULT_AGENTS)
    expect(result).toEqual({ registered: ['commander', 'planner', 'worker', 'reviewer'], skipped: [], disabled: [] })
    expect(config.agent?.worker).toEqual(toOpencodeAgentConfig(DEFAULT_AGENTS.worker))
    expect(config.tools).toEqual(Object.fromEntries(ORCHESTRATOR_TOOL_NAMES.map((tool) => [tool, false])))
    expect(config.permission).toEqual({
      ...Object.fromEntries(ORCHESTRATOR_TOOL_NAMES.map((tool) => [tool, 'deny'])),
      task: { planner: 'deny', worker: 'deny', reviewer: 'deny' },
    })
    expect(JSON.parse(JSON.stringify(config))).toEqual(config)
  })

  it("never overwrites the user's own agent of the same name, nor their explicit settings", () => {
    const mine = { prompt: 'my own worker', mode: 'subagent' }
    const config: OpencodeConfigLike = {
      agent: { worker: mine, build: { model: 'a/b' } },
      mode: { reviewer: { prompt: 'legacy mode entry' } },
      tools: { orchestrator_todo_read: true, bash: true },
      permission: { orchestrator_docs_read: 'allow', task: 'ask', edit: 'ask' },
    }
    const result = applyAgentsToOpencodeConfig(config, DEFAULT_AGENTS)
    expect(result.skipped).toEqual(['worker', 'reviewer'])
    expect(result.registered).toEqual(['commander', 'planner'])
    expect(config.agent?.worker).toBe(mine)
    expect(config.agent?.worker).toEqual({ prompt: 'my own worker', mode: 'subagent' })
    expect(config.agent?.build).toEqual({ model: 'a/b' })
    expect(config.agent?.reviewer).toBeUndefined()
    expect(config.tools?.orchestrator_todo_read).toBe(true)
    expect(config.tools?.bash).toBe(true)
    expect(config.tools?.orchestrator_delegate).toBe(false)
    const permission = config.permission as Record<string, unknown>
    expect(permission.orchestrator_docs_read).toBe('allow')
    expect(permission.edit).toBe('ask')
    // The user's bare "ask" keeps meaning "ask" for every other subagent; only the registered one is hidden.
    expect(permission.task).toEqual({ '*': 'ask', planner: 'deny' })
  })

  it('keeps a bare global permission action as the catch-all rule', () => {
    const config: OpencodeConfigLike = { permission: 'allow' }
    applyAgentsToOpencodeConfig(config, DEFAULT_AGENTS)
    const permission = config.permission as Record<string, unknown>
    expect(Object.keys(permission)[0]).toBe('*')
    expect(permission['*']).toBe('allow')
    expect(permission.orchestrator_delegate).toBe('deny')
  })

  it('ends every orchestrator agent\'s edit and bash rules with a deny for the mission folder, after anything the user set', () => {
    const protectedFolder = { editPatterns: ['.opencode/orchestrator', '.opencode/orchestrator/*'], bashPatterns: ['*.opencode/orchestrator*'] }
    const definitions = applyAgentOverrides(DEFAULT_AGENTS, { worker: { permission: { edit: 'allow', write: 'allow', bash: { '*': 'allow', 'git push*': 'deny' } } } })
    const config: OpencodeConfigLike = {}
    applyAgentsToOpencodeConfig(config, definitions, { protectedFolder })
    const permissionOf = (name: string) => (config.agent?.[name] as { permission: Record<string, unknown> }).permission
    const worker = permissionOf('worker')
    expect(worker['edit']).toEqual({ '*': 'allow', '.opencode/orchestrator': 'deny', '.opencode/orchestrator/*': 'deny' })
    expect(worker['bash']).toEqual({ '*': 'allow', 'git push*': 'deny', '*.opencode/orchestrator*': 'deny' })
    // Last keys: OpenCode lets the last matching rule win, and `write` is an alias of `edit`.
    expect(Object.keys(worker).slice(-2)).toEqual(['edit', 'bash'])
    // A role whose edit (or bash) is locked keeps its plain deny.
    expect(permissionOf('commander')['edit']).toBe('deny')
    expect(permissionOf('commander')['bash']).toEqual({ '*.opencode/orchestrator*': 'deny' })
    expect(permissionOf('reviewer')['edit']).toBe('deny')
    expect(permissionOf('reviewer')['bash']).toEqual({ '*.opencode/orchestrator*': 'deny' })
    expect(permissionOf('planner')).toMatchObject({ edit: 'deny', bash: 'deny' })
    // The user's own agents are not touched: their edits are a person's.
    expect(config.permission).not.toHaveProperty('edit')
    expect(config.permission).not.toHaveProperty('bash')
  })

  it('does not register disabled agents', () => {
    const config: OpencodeConfigLike = {}
    const definitions = applyAgentOverrides(DEFAULT_AGENTS, { reviewer: { disable: true } })
    const result = applyAgentsToOpencodeConfig(config, definitions)
    expect(result.disabled).toEqual(['reviewer'])
    expect(config.agent?.reviewer).toBeUndefined()
    expect((config.permission as { task: Record<string, string> }).task).toEqual({ planner: 'deny', worker: 'deny' })
  })
})
