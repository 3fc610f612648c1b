import { describe, expect, it } from 'vitest'
import { AGENT_NAMES } from './agent-name'
import type { AgentName } from './agent-name'
import { applyAgentOverrides } from './apply-agent-overrides'
import { applyAgentsToOpencodeConfig } from './apply-agents-to-opencode-config'
import type { OpencodeConfigLike } from './apply-agents-to-opencode-config'
import { DEFAULT_AGENTS } from './default-agents'
import type { AgentDefinitions } from './agent-definition'
import { toOpencodeAgentConfig } from './opencode-agent-config'
import type { OpencodeAgentConfig } from './opencode-agent-config'
import { evaluatePermission } from './opencode-permission-model.test-support'
import { ORCHESTRATOR_TOOL_NAMES } from './orchestrator-tools'
import type { OrchestratorToolName } from './orchestrator-tools'

/** The global permission a user may have in opencode.json, from nothing to "allow everything". */
const USER_PERMISSIONS: Array<[string, OpencodeConfigLike['permission']]> = [
  ['no permission config', undefined],
  ['permission "allow"', 'allow'],
  ['permission "ask"', 'ask'],
  ['everything allowed explicitly', { '*': 'allow', edit: 'allow', bash: 'allow', task: 'allow', webfetch: 'allow' }],
]

const EXPECTED_TOOLS: Record<AgentName, OrchestratorToolName[]> = {
  commander: [
    'orchestrator_delegate',
    'orchestrator_task_status',
    'orchestrator_task_result',
    'orchestrator_task_cancel',
    'orchestrator_todo_read',
    'orchestrator_bg_run',
    'orchestrator_bg_output',
    'orchestrator_bg_kill',
    'orchestrator_bg_list',
    'orchestrator_docs_save',
    'orchestrator_docs_read',
    'orchestrator_docs_list',
  ],
  planner: ['orchestrator_todo_write', 'orchestrator_todo_read', 'orchestrator_docs_save', 'orchestrator_docs_read', 'orchestrator_docs_list'],
  worker: [
    'orchestrator_todo_read',
    'orchestrator_bg_run',
    'orchestrator_bg_output',
    'orchestrator_bg_kill',
    'orchestrator_bg_list',
    'orchestrator_docs_read',
    'orchestrator_docs_list',
  ],
  reviewer: [
    'orchestrator_todo_read',
    'orchestrator_todo_update',
    'orchestrator_bg_run',
    'orchestrator_bg_output',
    'orchestrator_bg_kill',
    'orchestrator_bg_list',
    'orchestrator_docs_read',
    'orchestrator_docs_list',
  ],
}

/** Registers the agents into a user config and returns an evaluator of the result, as OpenCode would see it. */
function register(userPermission: OpencodeConfigLike['permission'], definitions: AgentDefinitions = DEFAULT_AGENTS) {
  const config: OpencodeConfigLike = userPermission === undefined ? {} : { permission: structuredClone(userPermission) }
  applyAgentsToOpencodeConfig(config, definitions)
  const can = (agent: string, permission: string, pattern?: string) =>
    evaluatePermission({
      permission,
      pattern,
      globalPermission: config.permission,
      agentPermission: (config.agent?.[agent] as OpencodeAgentConfig | undefined)?.permission,
    })
  return { config, can }
}

describe.each(USER_PERMISSIONS)('role permissions with %s', (_label, userPermission) => {
  const { can } = register(userPermission)

  it('Planner and Reviewer cannot edit, through any edit tool', () => {
    for (const agent of ['planner', 'reviewer']) {
      for (const tool of ['edit', 'write', 'patch']) expect(can(agent, tool, 'src/index.ts')).toBe('deny')
    }
  })

  it('the Planner is read-only: no shell either', () => {
    expect(can('planner', 'bash', 'rm -rf src')).toBe('deny')
  })

  it('the Commander cannot edit nor spawn natively, but delegates', () => {
    expect(can('commander', 'edit', 'src/index.ts')).toBe('deny')
    expect(can('commander', 'task', 'general')).toBe('deny')
    expect(can('commander', 'orchestrator_delegate')).toBe('allow')
  })

  it('Workers cannot spawn, neither natively nor through the orchestrator', () => {
    for (const subagent of ['general', 'worker', 'explore']) expect(can('worker', 'task', subagent)).toBe('deny')
    expect(can('worker', 'orchestrator_delegate')).toBe('deny')
  })

  it('Workers, Planner and Reviewer cannot delegate', () => {
    for (const agent of ['planner', 'worker', 'reviewer']) expect(can(agent, 'orchestrator_delegate')).toBe('deny')
  })

  it('each role gets exactly its orchestrator tools', () => {
    for (const agent of AGENT_NAMES) {
      const allowed = ORCHESTRATOR_TOOL_NAMES.filter((tool) => can(agent, tool) === 'allow')
      expect(allowed.sort()).toEqual([...EXPECTED_TOOLS[agent]].sort())
    }
  })

  it("the user's default agent sees no orchestrator tool and cannot spawn the mission's subagents", () => {
    for (const tool of ORCHESTRATOR_TOOL_NAMES) expect(can('build', tool)).toBe('deny')
    for (const subagent of ['planner', 'worker', 'reviewer']) expect(can('build', 'task', subagent)).toBe('deny')
  })

  it("leaves the user's own decisions on what the plugin must not widen", () => {
    const expected = evaluatePermission({ permission: 'bash', pattern: 'ls', globalPermission: userPermission })
    expect(can('worker', 'bash', 'ls')).toBe(expected)
    expect(can('reviewer', 'bash', 'ls')).toBe(expected)
    expect(can('worker', 'edit', 'src/a.ts')).toBe(evaluatePermission({ permission: 'edit', globalPermission: userPermission }))
    expect(can('planner', 'webfetch')).toBe(evaluatePermission({ permission: 'webfetch', globalPermission: userPermission }))
    if (userPermission !== undefined) expect(can('build', 'task', 'general')).toBe(userPermission === 'ask' ? 'ask' : 'allow')
  })
})

describe('role guarantees survive wildcard overrides', () => {
  it('a catch-all "*": "allow" does not let the Planner edit nor the Worker spawn', () => {
    const definitions = applyAgentOverrides(DEFAULT_AGENTS, {
      planner: { permission: { '*': 'allow', 'e*': 'allow' } },
      worker: { permission: { '*': 'allow', 'orchestrator_*': 'allow', 't?sk': 'allow' } },
    })
    const { can } = register('allow', definitions)
    expect(can('planner', 'edit', 'a.ts')).toBe('deny')
    expect(can('planner', 'read', 'a.ts')).toBe('allow')
    expect(can('worker', 'task', 'general')).toBe('deny')
    expect(can('worker', 'orchestrator_delegate')).toBe('deny')
    expect(can('worker', 'orchestrator_todo_write')).toBe('deny')
  })
})

describe('toOpencodeAgentConfig', () => {
  it('writes the fields OpenCode reads, with tools switches matching the permissions', () => {
    for (const name of AGENT_NAMES) {
      const config = toOpencodeAgentConfig(DEFAULT_AGENTS[name])
      expect(config.mode).toBe(name === 'commander' ? 'primary' : 'subagent')
      // The Commander too: it is started by /task, never picked with Tab (docs/decisions/044).
      expect(config.hidden).toBe(true)
      expect(config.description.length).toBeGreaterThan(20)
      for (const tool of ORCHESTRATOR_TOOL_NAMES) {
        expect(config.tools[tool]).toBe(EXPECTED_TOOLS[name].includes(tool))
        expect(config.permission[tool]).toBe(config.tools[tool] ? 'allow' : 'deny')
      }
      expect(JSON.parse(JSON.stringify(config))).toEqual(config)
    }
  })
})
