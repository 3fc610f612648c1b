import { readFile, readdir } from 'node:fs/promises'
import { readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'

/*
 * /task end to end on a real OpenCode server: the built plugin bundle, the real
 * agent loop, and a scripted model that plays Commander, Planner, Workers and
 * Reviewer by reading the system prompt of each request.
 */

const pluginUrl = new URL('../dist/index.js', import.meta.url).href
const WORKER_DELAY_MS = 1200

let model: ScriptedModel
let server: OpencodeServer

function scriptTeam(target: ScriptedModel): void {
  let commanderTurn = 0
  target.addRule({
    name: 'commander',
    match: { system: 'You are the Commander' },
    respond: (request) => {
      if (request.lastRole === 'tool') return { text: 'Delegated; waiting for the results.' }
      commanderTurn++
      switch (commanderTurn) {
        case 1:
          return { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'planner', title: 'plan the mission', prompt: 'Write the plan for: add slugify' } }] }
        case 2:
          return {
            toolCalls: [
              { name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 't1: slugify module', prompt: 'Implement t1', todoIds: ['t1'] } },
              { name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 't2: readme', prompt: 'Implement t2', todoIds: ['t2'] } },
            ],
          }
        case 3:
          return { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'reviewer', title: 'review t1, t2', prompt: 'Verify t1, t2', todoIds: ['t1', 't2'] } }] }
        case 4:
          return { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 't3: tests', prompt: 'Implement t3', todoIds: ['t3'] } }] }
        case 5:
          return { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'reviewer', title: 'review t3', prompt: 'Verify t3', todoIds: ['t3'] } }] }
        default:
          return { text: 'Every todo is verified. Mission complete.' }
      }
    },
  })
  target.addRule({
    name: 'planner',
    match: { system: 'You are the Planner' },
    respond: (request) =>
      request.lastRole === 'tool'
        ? { text: 'Plan written: t1, t2 (independent), t3 after both.' }
        : {
            toolCalls: [
              {
                name: 'orchestrator_todo_write',
                arguments: {
                  todos: [
                    { id: 't1', title: 'Add the slugify module' },
                    { id: 't2', title: 'Document slugify in the README' },
                    { id: 't3', title: 'Add tests for slugify', dependsOn: ['t1', 't2'] },
                  ],
                },
              },
            ],
          },
  })
  target.addRule({
    name: 'worker',
    match: { system: 'You are a Worker' },
    respond: (request) => {
      const todo = /Implement (t\d)/.exec(request.lastUserMessage ?? '')?.[1] ?? 't?'
      return { text: `Implemented ${todo}; checked it by reading the file back.`, delays: { beforeFirstChunkMs: WORKER_DELAY_MS } }
    },
  })
  target.addRule({
    name: 'reviewer',
    match: { system: 'You are the Reviewer' },
    respond: (request) =>
      request.lastRole === 'tool'
        ? { text: 'Verified.' }
        : {
            toolCalls: [...(request.lastUserMessage ?? '').matchAll(/\bt\d\b/g)].map(([id]) => id).filter((id, index, all) => all.indexOf(id) === index).map((id) => ({
              name: 'orchestrator_todo_update',
              arguments: { id, status: 'done', evidence: `read the change for ${id} and ran the checks: all passed` },
            })),
          },
  })
}

beforeAll(async () => {
  model = await startScriptedModel()
  scriptTeam(model)
  server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    plugins: [pluginUrl],
    expectTools: ['orchestrator_delegate', 'orchestrator_todo_write'],
  })
})

function journalText(): string {
  try {
    const dir = join(server.directory, '.opencode', 'orchestrator', 'missions')
    return readdirSync(dir)
      .filter((name) => name.endsWith('.json'))
      .map((name) => readFileSync(join(dir, name), 'utf8'))
      .join('\n')
  } catch (error) {
    return String(error)
  }
}

/** What happened, for a failing run: model requests by rule, toasts, and the orchestrator's log lines. */
function diagnostics(): string {
  const requests = model.requests.map((request) => `#${request.number} ${request.rule ?? '(no rule)'} ${request.summary?.lastRole ?? ''} ${(request.summary?.lastUserMessage ?? '').slice(0, 80).replaceAll('\n', ' ')}`)
  const toasts = server.events.all.filter((recorded) => recorded.event.type === 'tui.toast.show').map((recorded) => JSON.stringify(recorded.event.properties))
  if (process.env['E2E_DUMP']) writeFileSync(process.env['E2E_DUMP'], server.logs.text())
  const logs = server.logs.text().split('\n').filter((line) => line.includes('orchestrator')).slice(-60).map((line) => line.slice(0, 400))
  return ['requests:', ...requests, 'toasts:', ...toasts, 'orchestrator logs:', ...logs, 'journal:', journalText()].join('\n')
}

afterAll(async () => {
  await server?.dispose()
  await model?.close()
})

describe('/task on a real OpenCode server', () => {
  it('plans, runs independent todos in parallel, the dependent one after, verifies and seals', async () => {
    const created = await server.client.session.create({ title: 'e2e: slugify mission' })
    const sessionID = created.data!.id
    const mark = server.events.mark()
    // The command call returns when the Commander's first turn ends; the mission goes on from events.
    void server.client.session.command({ sessionID, command: 'task', arguments: '"Add a slugify module with tests"' })

    const sealed = await server.events
      .waitFor(
        (event) => event.type === 'tui.toast.show' && String((event.properties as { title?: string }).title ?? '').startsWith('Mission sealed'),
        60_000,
        { since: mark },
      )
      .catch((error: unknown) => {
        throw new Error(`${String(error)}\n${diagnostics()}`)
      })
    expect(sealed).toBeDefined()

    // The journal says sealed, with every todo done and verified.
    const missionsDir = join(server.directory, '.opencode', 'orchestrator', 'missions')
    const journals = (await readdir(missionsDir)).filter((name) => name.endsWith('.json'))
    expect(journals).toHaveLength(1)
    const record = JSON.parse(await readFile(join(missionsDir, journals[0]!), 'utf8')) as {
      id: string
      state: string
      todos: Array<{ id: string; status: string; evidence?: { summary: string } }>
      tasks: Array<{ agent: string; status: string; sessionId?: string }>
    }
    expect(record.state).toBe('sealed')
    expect(record.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([
      ['t1', 'done', true],
      ['t2', 'done', true],
      ['t3', 'done', true],
    ])
    expect(record.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual([
      'planner:completed',
      'worker:completed',
      'worker:completed',
      'reviewer:completed',
      'worker:completed',
      'reviewer:completed',
    ])

    // todo.md shows the final state.
    const todoMd = await readFile(join(missionsDir, record.id, 'todo.md'), 'utf8')
    expect(todoMd.match(/^- \[x\]/gm)).toHaveLength(3)

    // The two independent workers ran at the same time; the dependent one after both.
    const workers = model.requests.filter((request) => request.rule === 'worker')
    expect(workers).toHaveLength(3)
    const [first, second, third] = workers
    expect(second!.receivedAt).toBeLessThan(first!.endedAt!)
    expect(third!.receivedAt).toBeGreaterThanOrEqual(Math.max(first!.endedAt!, second!.endedAt!))

    // Child sessions are kept for the audit trail.
    const children = await server.client.session.children({ sessionID })
    expect(children.data?.map((child) => child.id).sort()).toEqual(record.tasks.map((task) => task.sessionId).sort())
  })
})
