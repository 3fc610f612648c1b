import type { ChatRequestSummary, ScriptedResponse, ScriptedRule } from '@opencode-orchestrator/testing'
import { describe, expect, it } from 'vitest'
import { DEMO_FILES, DEMO_TEST_COMMAND, createDemoTeamRules, readTestRun } from './demo-team'

function request(overrides: Partial<ChatRequestSummary>): ChatRequestSummary {
  return {
    model: 'fake-model',
    stream: true,
    system: '',
    lastUserMessage: '',
    lastRole: 'user',
    toolNames: [],
    toolResults: [],
    previousToolCalls: [],
    messageCount: 2,
    body: { messages: [] },
    ...overrides,
  }
}

async function answer(rules: ScriptedRule[], name: string, summary: ChatRequestSummary): Promise<ScriptedResponse> {
  const rule = rules.find((item) => item.name === name)
  if (rule === undefined || typeof rule.respond !== 'function') throw new Error(`no responder ${name}`)
  return rule.respond(summary)
}

const toolNames = (response: ScriptedResponse) => ('toolCalls' in response ? (response.toolCalls ?? []).map((call) => call.name) : [])
const call = (name: string, args: Record<string, unknown>) => ({ id: `call_${name}`, name, arguments: JSON.stringify(args) })

const TAP_PASS = 'bg_1 · exited (exit code 0) · node --test src/slugify.test.mjs\n---\nTAP version 13\n# tests 5\n# pass 5\n# fail 0\n---\nnextByte: 300'

describe('readTestRun', () => {
  it('reads the exit code and the counts of TAP and spec reporters', () => {
    expect(readTestRun(TAP_PASS)).toEqual({ finished: true, exitCode: 0, passed: 5, failed: 0, jobId: 'bg_1' })
    expect(readTestRun('bg_2 · exited (exit code 1) · node --test\n---\nℹ pass 4\nℹ fail 1\n')).toMatchObject({ exitCode: 1, passed: 4, failed: 1 })
    expect(readTestRun('bg_3 · running · node --test\n---\n\n---\nnextByte: 0')).toMatchObject({ finished: false, jobId: 'bg_3' })
  })
})

describe('createDemoTeamRules', () => {
  it('plays the Commander: planner, then two workers at once, then one reviewer for every todo, then done', async () => {
    const rules = createDemoTeamRules({ projectDirectory: '/tmp/demo' })
    const commander = (lastRole = 'user') => answer(rules, 'demo:commander', request({ system: 'You are the Commander', lastRole }))
    expect(toolNames(await commander())).toEqual(['orchestrator_delegate'])
    expect(await commander('tool')).toMatchObject({ text: expect.stringContaining('Delegated') })
    const workers = await commander()
    expect('toolCalls' in workers && workers.toolCalls?.map((item) => item.arguments)).toEqual([
      expect.objectContaining({ agent: 'worker', todoIds: ['t1'] }),
      expect.objectContaining({ agent: 'worker', todoIds: ['t2'] }),
    ])
    const review = await commander()
    expect('toolCalls' in review && review.toolCalls?.[0]?.arguments).toMatchObject({ agent: 'reviewer', todoIds: ['t1', 't2', 't3'] })
    expect(await commander()).toMatchObject({ text: expect.stringContaining('Mission complete') })
  })

  it('has the Planner write t1, t2 and t3 after both', async () => {
    const rules = createDemoTeamRules({ projectDirectory: '/tmp/demo' })
    const plan = await answer(rules, 'demo:planner', request({ system: 'You are the Planner' }))
    expect('toolCalls' in plan && plan.toolCalls?.[0]).toMatchObject({
      name: 'orchestrator_todo_write',
      arguments: { todos: [{ id: 't1' }, { id: 't2' }, { id: 't3', dependsOn: ['t1', 't2'] }] },
    })
  })

  it("has each Worker write its file with OpenCode's write tool (absolute filePath), after a visible pause", async () => {
    const rules = createDemoTeamRules({ projectDirectory: '/tmp/demo', workerDelayMs: 700 })
    const write = await answer(rules, 'demo:worker', request({ system: 'You are a Worker', lastUserMessage: 'Implement t2: write the tests' }))
    expect(write).toMatchObject({
      toolCalls: [{ name: 'write', arguments: { filePath: `/tmp/demo/${DEMO_FILES.tests}`, content: expect.stringContaining("from './slugify.mjs'") } }],
      delays: { beforeFirstChunkMs: 700 },
    })
    const done = await answer(rules, 'demo:worker', request({ system: 'You are a Worker', lastUserMessage: 'Implement t2: write the tests', lastRole: 'tool', toolResults: [{ toolCallId: 'c', content: 'Wrote file successfully.' }] }))
    expect(done).toMatchObject({ text: expect.stringContaining(`t2: wrote ${DEMO_FILES.tests}`) })
  })

  it('has the Reviewer run the tests in the background, read the output, and verify t1, t2, then t3', async () => {
    const rules = createDemoTeamRules({ projectDirectory: '/tmp/demo' })
    const reviewer = (overrides: Partial<ChatRequestSummary>) => answer(rules, 'demo:reviewer', request({ system: 'You are the Reviewer', ...overrides }))
    expect(await reviewer({})).toMatchObject({ toolCalls: [{ name: 'orchestrator_bg_run', arguments: { command: DEMO_TEST_COMMAND } }] })

    const run = call('orchestrator_bg_run', { command: DEMO_TEST_COMMAND })
    expect(await reviewer({ lastRole: 'tool', previousToolCalls: [run], toolResults: [{ toolCallId: 'c', content: 'Started bg_1 (pid 42): node --test' }] })).toMatchObject({
      toolCalls: [{ name: 'orchestrator_bg_output', arguments: { jobId: 'bg_1' } }],
    })

    const output = call('orchestrator_bg_output', { jobId: 'bg_1' })
    const stillRunning = await reviewer({ lastRole: 'tool', previousToolCalls: [run, output], toolResults: [{ toolCallId: 'c', content: 'bg_1 · running · node --test\n---\n' }] })
    expect(stillRunning).toMatchObject({ toolCalls: [{ name: 'orchestrator_bg_output', arguments: { jobId: 'bg_1', tailBytes: 4001 } }] })

    const verdict = await reviewer({ lastRole: 'tool', previousToolCalls: [run, output], toolResults: [{ toolCallId: 'c', content: TAP_PASS }] })
    expect('toolCalls' in verdict && verdict.toolCalls?.map((item) => item.arguments)).toEqual([
      { id: 't1', status: 'done', evidence: expect.stringContaining('exited 0 with 5 passed, 0 failed') },
      { id: 't2', status: 'done', evidence: expect.stringContaining('5 passed') },
    ])

    const updates = [call('orchestrator_todo_update', { id: 't1', status: 'done' }), call('orchestrator_todo_update', { id: 't2', status: 'done' })]
    const third = await reviewer({ lastRole: 'tool', previousToolCalls: [run, output, ...updates], toolResults: [{ toolCallId: 'c', content: 'Todo t2 is now done.' }] })
    expect(third).toMatchObject({ toolCalls: [{ name: 'orchestrator_todo_update', arguments: { id: 't3', status: 'done' } }] })

    const last = await reviewer({ lastRole: 'tool', previousToolCalls: [run, output, ...updates, call('orchestrator_todo_update', { id: 't3', status: 'done' })], toolResults: [] })
    expect(last).toMatchObject({ text: expect.stringContaining('Verified t1, t2 and t3') })
  })

  it('sends t1 back instead of verifying when the tests fail', async () => {
    const rules = createDemoTeamRules({ projectDirectory: '/tmp/demo' })
    const failed = 'bg_1 · exited (exit code 1) · node --test\n---\n# pass 4\n# fail 1\n---'
    const verdict = await answer(rules, 'demo:reviewer', request({ system: 'You are the Reviewer', lastRole: 'tool', previousToolCalls: [call('orchestrator_bg_output', { jobId: 'bg_1' })], toolResults: [{ toolCallId: 'c', content: failed }] }))
    expect(verdict).toMatchObject({ toolCalls: [{ name: 'orchestrator_todo_update', arguments: { id: 't1', status: 'pending', note: expect.stringContaining('exit code 1, 1 failed') } }] })
  })
})
