import { join } from 'node:path'
import type { ChatRequestSummary, ScriptedResponse, ScriptedRule } from '@opencode-orchestrator/testing'

/*
 * The demo's scripted team: one OpenAI-compatible model plays Commander,
 * Planner, Workers and Reviewer, told apart by their system prompts. The tools
 * it calls are the real ones: OpenCode's own `write` tool writes the files, the
 * orchestrator's background runner runs `node --test`, and the Reviewer's
 * verdict depends on what that test run printed.
 */

export interface DemoTeamOptions {
  /** Absolute project path: OpenCode's `write` tool takes absolute `filePath`s. */
  projectDirectory: string
  /** Pause before each Worker writes its file, so the parallel fan-out is visible. Default 800 ms. */
  workerDelayMs?: number
  /** Pause before other agents answer, so each step can be followed. Default 250 ms. */
  stepDelayMs?: number
}

/** The files the Workers write, relative to the project. */
export const DEMO_FILES = {
  module: 'src/slugify.mjs',
  tests: 'src/slugify.test.mjs',
} as const

export const DEMO_TEST_COMMAND = `node --test ${DEMO_FILES.tests}`

const SLUGIFY_SOURCE = `/**
 * Turns any title into a URL slug: "Crème Brûlée, 2 ways!" -> "creme-brulee-2-ways".
 * Accents are folded to ASCII, every run of other characters becomes one dash.
 */
export function slugify(text) {
  return String(text)
    .normalize('NFKD')
    .replace(/[\\u0300-\\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}
`

const SLUGIFY_TESTS = `import assert from 'node:assert/strict'
import { test } from 'node:test'
import { slugify } from './slugify.mjs'

test('lower-cases and joins words with one dash', () => {
  assert.equal(slugify('Hello World'), 'hello-world')
})

test('drops punctuation', () => {
  assert.equal(slugify('Hello, World!'), 'hello-world')
})

test('folds accents to ASCII', () => {
  assert.equal(slugify('Crème Brûlée, 2 ways'), 'creme-brulee-2-ways')
})

test('trims leading and trailing separators', () => {
  assert.equal(slugify('  --already-slugged--  '), 'already-slugged')
})

test('an empty title stays empty', () => {
  assert.equal(slugify(''), '')
})
`

const PLAN = [
  { id: 't1', title: `Write the slugify module (${DEMO_FILES.module})` },
  { id: 't2', title: `Write its tests with node:test (${DEMO_FILES.tests})` },
  { id: 't3', title: 'Run the tests and review the change', dependsOn: ['t1', 't2'] },
]

const delegate = (agent: string, title: string, prompt: string, todoIds: string[]) => ({
  name: 'orchestrator_delegate',
  arguments: { agent, title, prompt, todoIds },
})

/** Rough token counts, so the demo's token counter moves like a real model's would. */
function usageOf(request: ChatRequestSummary, answer: string): { promptTokens: number; completionTokens: number } {
  return { promptTokens: Math.ceil(JSON.stringify(request.body).length / 4), completionTokens: Math.max(5, Math.ceil(answer.length / 4)) }
}

function reply(request: ChatRequestSummary, response: { text?: string; toolCalls?: Array<{ name: string; arguments: Record<string, unknown> }> }, delayMs: number): ScriptedResponse {
  return {
    ...response,
    usage: usageOf(request, JSON.stringify(response)),
    ...(delayMs > 0 ? { delays: { beforeFirstChunkMs: delayMs } } : {}),
  }
}

/** What a finished `node --test` run reported, read from `orchestrator_bg_output`'s result. */
export interface TestRunVerdict {
  finished: boolean
  exitCode: number | undefined
  passed: number | undefined
  failed: number | undefined
  jobId: string | undefined
}

/** Parses the text of `orchestrator_bg_output` (`<job> · exited (exit code 0) · <command>` + the output). */
export function readTestRun(text: string): TestRunVerdict {
  const exit = /exit code (\d+)/.exec(text)
  // TAP (`# pass 5`, Node 20 on a pipe) or the spec reporter (`ℹ pass 5`, Node 22+).
  const passed = /^(?:#|ℹ) pass (\d+)/m.exec(text)
  const failed = /^(?:#|ℹ) fail (\d+)/m.exec(text)
  return {
    finished: !/ · running · /.test(text),
    exitCode: exit ? Number(exit[1]) : undefined,
    passed: passed ? Number(passed[1]) : undefined,
    failed: failed ? Number(failed[1]) : undefined,
    jobId: /^(bg_\S+)/m.exec(text)?.[1],
  }
}

/**
 * The scripted team's rules for `startScriptedModel`:
 * Commander → Planner (t1, t2, t3 after both) → two Workers in parallel write
 * the module and its tests → the Reviewer runs `node --test` in the
 * background, reads the output and records evidence for t1, t2 and t3 → seal.
 */
export function createDemoTeamRules(options: DemoTeamOptions): ScriptedRule[] {
  const workerDelayMs = options.workerDelayMs ?? 800
  const stepDelayMs = options.stepDelayMs ?? 250
  const absolute = (file: string) => join(options.projectDirectory, file)
  let commanderTurns = 0

  const commanderSteps: Array<(request: ChatRequestSummary) => ScriptedResponse> = [
    (request) =>
      reply(request, { toolCalls: [delegate('planner', 'Plan the slugify mission', 'Write the plan for the mission: the module, its tests, and a review that runs them.', [])] }, stepDelayMs),
    (request) =>
      reply(
        request,
        {
          toolCalls: [
            delegate('worker', 't1: slugify module', `Implement t1: write ${DEMO_FILES.module} exporting slugify(text).`, ['t1']),
            delegate('worker', 't2: slugify tests', `Implement t2: write ${DEMO_FILES.tests} with node:test cases for slugify.`, ['t2']),
          ],
        },
        stepDelayMs,
      ),
    (request) =>
      reply(
        request,
        {
          toolCalls: [
            delegate('reviewer', 'Review t1, t2 and run the tests (t3)', `Verify t1, t2 and t3: read both files, run \`${DEMO_TEST_COMMAND}\` in the background, and record the result as evidence.`, ['t1', 't2', 't3']),
          ],
        },
        stepDelayMs,
      ),
  ]

  return [
    {
      name: 'demo:commander',
      match: { system: 'You are the Commander' },
      respond: (request) => {
        if (request.lastRole === 'tool') return reply(request, { text: 'Delegated; I will continue when the results arrive.' }, 0)
        const step = commanderSteps[commanderTurns++]
        return step ? step(request) : reply(request, { text: 'Every todo is verified by the Reviewer. Mission complete.' }, stepDelayMs)
      },
    },
    {
      name: 'demo:planner',
      match: { system: 'You are the Planner' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? reply(request, { text: 'Plan written: t1 and t2 can run in parallel; t3 runs the tests once both are done.' }, 0)
          : reply(request, { toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos: PLAN } }] }, stepDelayMs),
    },
    {
      name: 'demo:worker',
      match: { system: 'You are a Worker' },
      respond: (request) => {
        const todo = /Implement (t\d)/.exec(request.lastUserMessage)?.[1]
        const file = todo === 't1' ? DEMO_FILES.module : todo === 't2' ? DEMO_FILES.tests : undefined
        if (file === undefined) return reply(request, { text: 'I was not given a todo I know; nothing to do.' }, 0)
        if (request.lastRole === 'tool') {
          const result = request.toolResults.map((item) => item.content).join('\n')
          return reply(request, { text: `${todo}: wrote ${file} (${result.trim() || 'no output'}).` }, 0)
        }
        return reply(request, { toolCalls: [{ name: 'write', arguments: { filePath: absolute(file), content: file === DEMO_FILES.module ? SLUGIFY_SOURCE : SLUGIFY_TESTS } }] }, workerDelayMs)
      },
    },
    {
      name: 'demo:reviewer',
      match: { system: 'You are the Reviewer' },
      respond: (request) => reviewerStep(request, stepDelayMs),
    },
  ]
}

/** The Reviewer's next step, read from its own conversation so far. */
function reviewerStep(request: ChatRequestSummary, stepDelayMs: number): ScriptedResponse {
  if (request.lastRole !== 'tool') return reply(request, { toolCalls: [{ name: 'orchestrator_bg_run', arguments: { command: DEMO_TEST_COMMAND } }] }, stepDelayMs)
  const results = request.toolResults.map((item) => item.content).join('\n')
  const last = request.previousToolCalls.at(-1)
  const started = /Started (bg_\S+)/.exec(results)?.[1]
  if (started !== undefined) {
    // Give the test run a moment to finish before reading its output.
    return reply(request, { toolCalls: [{ name: 'orchestrator_bg_output', arguments: { jobId: started } }] }, 600)
  }
  if (last?.name === 'orchestrator_bg_output') {
    const run = readTestRun(results)
    if (!run.finished && run.jobId !== undefined) {
      // Still running: ask again (a different tail size, so it is not the same call twice).
      const polls = request.previousToolCalls.filter((call) => call.name === 'orchestrator_bg_output').length
      return reply(request, { toolCalls: [{ name: 'orchestrator_bg_output', arguments: { jobId: run.jobId, tailBytes: 4000 + polls } }] }, 500)
    }
    if (run.exitCode === 0 && (run.failed ?? 0) === 0) {
      const evidence = (what: string) => `${what}; \`${DEMO_TEST_COMMAND}\` exited 0 with ${run.passed ?? '?'} passed, 0 failed`
      return reply(
        request,
        {
          toolCalls: [
            { name: 'orchestrator_todo_update', arguments: { id: 't1', status: 'done', evidence: evidence(`read ${DEMO_FILES.module}: slugify folds accents, lower-cases and joins words with dashes`) } },
            { name: 'orchestrator_todo_update', arguments: { id: 't2', status: 'done', evidence: evidence(`read ${DEMO_FILES.tests}: 5 node:test cases cover words, punctuation, accents, trimming, empty input`) } },
          ],
        },
        stepDelayMs,
      )
    }
    return reply(
      request,
      { toolCalls: [{ name: 'orchestrator_todo_update', arguments: { id: 't1', status: 'pending', note: `\`${DEMO_TEST_COMMAND}\` failed (exit code ${run.exitCode ?? '?'}, ${run.failed ?? '?'} failed); fix slugify.` } }] },
      stepDelayMs,
    )
  }
  if (last?.name === 'orchestrator_todo_update' && !request.previousToolCalls.some((call) => call.arguments.includes('"t3"'))) {
    if (request.previousToolCalls.some((call) => call.arguments.includes('"pending"'))) return reply(request, { text: 'The tests failed; t1 is sent back.' }, 0)
    const output = request.previousToolCalls.filter((call) => call.name === 'orchestrator_bg_output').length
    return reply(
      request,
      {
        toolCalls: [
          {
            name: 'orchestrator_todo_update',
            arguments: { id: 't3', status: 'done', evidence: `ran \`${DEMO_TEST_COMMAND}\` in the background (read its output ${output} time${output === 1 ? '' : 's'}): all tests passed, exit code 0` },
          },
        ],
      },
      stepDelayMs,
    )
  }
  return reply(request, { text: 'Verified t1, t2 and t3: the tests pass and the evidence is recorded.' }, 0)
}
