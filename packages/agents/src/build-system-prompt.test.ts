import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { MissionState, Todo } from '@opencode-orchestrator/core'
import { AGENT_NAMES } from './agent-name'
import { applyAgentOverrides } from './apply-agent-overrides'
import { buildStepContext } from './build-step-context'
import type { StepSnapshot } from './build-step-context'
import { buildSystemPrompt } from './build-system-prompt'
import { DEFAULT_AGENTS } from './default-agents'
import { toOpencodeAgentConfig } from './opencode-agent-config'

const todo = (id: string, status: Todo['status'], dependsOn: string[] = []): Todo => ({
  id,
  title: `todo ${id}`,
  status,
  dependsOn,
  createdAt: 0,
  updatedAt: 0,
})

const stepOne: StepSnapshot = { goal: 'Build a REST API with authentication', state: 'planning', iteration: 0, maxIterations: 20, todos: [] }
const stepTwo: StepSnapshot = {
  goal: 'Build a REST API with authentication',
  state: 'dispatching',
  iteration: 1,
  maxIterations: 20,
  todos: [todo('t1', 'done'), todo('t2', 'in_progress', ['t1']), todo('t3', 'pending', ['t1'])],
  budgetsLeft: { wallTimeMs: 4_320_000, childSessions: 197 },
}

/** What the model receives at a step: the stable prompt, then the step block at the end. */
const requestText = (system: string, step: StepSnapshot) => `${system}\n\n${buildStepContext(step)}`

const withOverrides = applyAgentOverrides(DEFAULT_AGENTS, {
  commander: { promptAppend: 'Prefer small todos.' },
  worker: { prompt: 'You are a worker. Do the todo.' },
})

describe('stable system prompt', () => {
  for (const [label, definitions] of [
    ['default agents', DEFAULT_AGENTS],
    ['overridden agents', withOverrides],
  ] as const) {
    for (const name of AGENT_NAMES) {
      it(`${label}: the ${name}'s two steps share the whole system prompt and differ only after it`, () => {
        const system = toOpencodeAgentConfig(definitions[name]).prompt
        expect(system).toBe(buildSystemPrompt(definitions[name]))
        const first = requestText(buildSystemPrompt(definitions[name]), stepOne)
        const second = requestText(buildSystemPrompt(definitions[name]), stepTwo)
        expect(first.startsWith(system)).toBe(true)
        expect(second.startsWith(system)).toBe(true)
        let common = 0
        while (common < first.length && first[common] === second[common]) common += 1
        expect(common).toBeGreaterThanOrEqual(system.length)
        expect(first).not.toBe(second)
      })
    }
  }

  it('carries no mission data, whatever the mission', () => {
    const states: MissionState[] = ['planning', 'dispatching', 'waiting', 'reviewing']
    fc.assert(
      fc.property(
        fc.string({ minLength: 12, maxLength: 40 }).filter((goal) => goal.trim().length >= 12),
        fc.constantFrom(...states),
        fc.nat({ max: 50 }),
        (goal, state, iteration) => {
          for (const name of AGENT_NAMES) {
            const before = buildSystemPrompt(DEFAULT_AGENTS[name])
            const step = buildStepContext({ goal, state, iteration, maxIterations: 50, todos: [todo('t1', 'pending')] })
            expect(step).toContain(goal.replace(/\s+/g, ' ').trim())
            expect(before).not.toContain(goal)
            expect(buildSystemPrompt(DEFAULT_AGENTS[name])).toBe(before)
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})

describe('prompt content', () => {
  const prompts = Object.fromEntries(AGENT_NAMES.map((name) => [name, buildSystemPrompt(DEFAULT_AGENTS[name])]))

  it('stays compact: every token is paid on every step', () => {
    for (const name of AGENT_NAMES) expect(new TextEncoder().encode(prompts[name]).byteLength).toBeLessThan(2200)
  })

  it('the Commander explains the loop and that it never edits', () => {
    const commander = prompts.commander!
    for (const phrase of ['orchestrator_delegate', 'planner', 'reviewer', 'in parallel', 'returns when its task has ended', 'never edit']) {
      expect(commander).toContain(phrase)
    }
    expect(commander).toContain('"agent":"worker"')
  })

  it('the Planner shows the exact todo_write call with ids, titles and dependsOn', () => {
    const match = /orchestrator_todo_write\((\{[\s\S]*?\})\)/.exec(prompts.planner!)
    const plan = JSON.parse(match![1]!) as { todos: Array<{ id: string; title: string; dependsOn: string[] }> }
    expect(plan.todos.length).toBeGreaterThanOrEqual(2)
    const ids = new Set(plan.todos.map((entry) => entry.id))
    for (const entry of plan.todos) {
      expect(entry.title.length).toBeGreaterThan(10)
      for (const dependency of entry.dependsOn) expect(ids.has(dependency)).toBe(true)
    }
  })

  it('the Reviewer shows both verdicts as exact todo_update calls and a verdict summary', () => {
    const calls = [...prompts.reviewer!.matchAll(/orchestrator_todo_update\((\{.*?\})\)/g)].map(
      (match) => JSON.parse(match[1]!) as Record<string, string>,
    )
    expect(calls.map((call) => call.status)).toEqual(['done', 'pending'])
    expect(calls[0]!.evidence).toBeTruthy()
    expect(calls[1]!.note).toBeTruthy()
    expect(prompts.reviewer).toMatch(/VERDICTS\n- t2 verified: .*\n- t3 sent back: /)
  })

  it('the Worker reports in a fixed format and knows it cannot delegate', () => {
    expect(prompts.worker).toMatch(/RESULT <todo id>: done \| blocked\nCHANGED .*\nCHECKED .*\nNOTES /)
    expect(prompts.worker).toContain('cannot delegate')
  })
})
