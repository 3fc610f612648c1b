import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { copyOpencodeConfigSeed, startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { journalOf, scriptCommander, scriptPlanner, until } from './test-support/lifecycle-team'
import { PLUGIN_URL } from './test-support/plugin-server'

/*
 * The orchestrator's commands on a real OpenCode 1.18.33 server:
 * - the mission text is data: OpenCode's `!`cmd`` template syntax in a goal
 *   runs nothing (with and without `permission.bash: "deny"`), and the
 *   Commander's first message holds the goal verbatim;
 * - goals that used to wedge the plan (multi-line with trailing spaces, ANSI
 *   colours) are planned; a 100 KB goal is refused at once with the limit;
 * - /mission, /stop, /cancel answer the caller (HTTP 200) without a model
 *   call and without an ERROR line in OpenCode's log;
 * - a refused configuration keeps the commands, which show the problem in the
 *   session instead of falling through to the model as plain chat.
 */

interface Started {
  model: ScriptedModel
  server: OpencodeServer
}

async function start(config: Record<string, unknown>): Promise<Started> {
  const model = await startScriptedModel()
  const server = await startOpencodeServer({ modelBaseURL: model.baseURL, plugins: [PLUGIN_URL], expectTools: ['orchestrator_delegate'], config })
  return { model, server }
}

async function stop(started: Partial<Started>) {
  await started.server?.dispose()
  await started.model?.close()
}

/** Raw `session.command` call: status and body as the caller sees them. */
async function command(server: OpencodeServer, sessionID: string, name: string, argumentsText: string, directory = server.directory) {
  const response = await fetch(`${server.url}/session/${sessionID}/command?directory=${encodeURIComponent(directory)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ command: name, arguments: argumentsText }),
  })
  return { status: response.status, body: await response.text() }
}

const errorLines = (server: OpencodeServer, since: number) => server.logs.lines.filter((line) => line.at >= since && /level=ERROR/.test(line.text)).map((line) => line.text.slice(0, 300))

/** User messages of a session: each part's text and whether OpenCode hides it (synthetic). */
async function userParts(server: OpencodeServer, sessionID: string, directory = server.directory) {
  const client = createOpencodeClient({ baseUrl: server.url, directory })
  const messages = (await client.session.messages({ sessionID })).data ?? []
  return messages
    .filter((message) => message.info.role === 'user')
    .map((message) => message.parts.flatMap((part) => (part.type === 'text' ? [{ text: part.text, synthetic: part.synthetic === true }] : [])))
}

describe.each([
  ['with permission.bash "deny"', { permission: { bash: 'deny' } }],
  ['with the default permissions', {}],
])('/task and shell syntax in the goal (%s)', (_name, config) => {
  const started: Partial<Started> = {}
  beforeAll(async () => Object.assign(started, await start(config)))
  afterAll(() => stop(started))

  it('runs nothing from the goal, and the Commander reads the goal verbatim', async () => {
    const { model, server } = started as Started
    const markers = ['bang', 'dollar', 'backtick', 'arguments'].map((name) => join(server.directory, `pwned-${name}`))
    const goal = `Build the parser shell-goal !\`touch ${markers[0]}\` then $(touch ${markers[1]}) and \`touch ${markers[2]}\` $ARGUMENTS !\`touch ${markers[3]}\``
    scriptCommander(model, { marker: 'shell-goal', turn: () => ({ text: 'Understood.' }) })
    const sessionID = (await server.client.session.create({ title: 'shell goal' })).data!.id
    const since = model.requests.length
    void command(server, sessionID, 'task', goal)
    await until(started as Started, () => model.requests.slice(since).some((request) => request.rule === 'commander:shell-goal'), 60_000, 'the Commander was prompted')

    const first = model.requests.slice(since).find((request) => request.rule === 'commander:shell-goal')!
    expect(first.summary?.lastUserMessage).toContain(goal)
    expect(markers.filter((marker) => existsSync(marker))).toEqual([])
    // The user sees their goal as their message; the protocol is there for the model, hidden from the transcript.
    const [message] = await userParts(server, sessionID)
    expect(message).toEqual([
      { text: goal, synthetic: false },
      { text: expect.stringContaining('Run the mission loop'), synthetic: true },
    ])
    await command(server, sessionID, 'stop', '')
  })

  it('runs nothing from the arguments of the other commands either', async () => {
    const { server } = started as Started
    const marker = join(server.directory, 'pwned-mission')
    const sessionID = (await server.client.session.create({ title: 'shell args' })).data!.id
    for (const name of ['mission', 'stop', 'cancel']) await command(server, sessionID, name, `!\`touch ${marker}\``)
    expect(existsSync(marker)).toBe(false)
  })
})

describe('goals, command results and a stopped mission', () => {
  const started: Partial<Started> = {}
  beforeAll(async () => Object.assign(started, await start({ permission: { bash: 'deny' } })))
  afterAll(() => stop(started))

  it.each([
    ['a pasted multi-line goal with trailing spaces', 'Build the API plan-multiline   \n  - with auth   \n\n  - and tests \t\n'],
    ['a goal with ANSI colour codes', '\u001b[1;32mAdd\u001b[0m a \u001b[4mslugify\u001b[24m module plan-ansi'],
  ])('%s is planned: orchestrator_todo_write succeeds and the plan is stored', async (_name, goal) => {
    const { model, server } = started as Started
    const marker = /plan-\w+/.exec(goal)![0]
    scriptCommander(model, { marker, turn: (kind, count) => (kind === 'task' && count === 0 ? { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'planner', title: 'plan', prompt: `Plan it. ${marker}` } }] } : { text: 'Waiting.' }) })
    scriptPlanner(model, { marker, todos: [{ id: 't1', title: 'First step' }] })
    const sessionID = (await server.client.session.create({ title: marker })).data!.id
    void command(server, sessionID, 'task', goal)
    await until(started as Started, () => (journalOf(server.directory, sessionID)?.todos.length ?? 0) === 1, 30_000, 'the plan was stored')
    const plannerSawResult = () => model.requests.find((request) => request.rule === `planner:${marker}` && request.summary?.lastRole === 'tool')
    await until(started as Started, () => plannerSawResult() !== undefined, 10_000, 'the Planner saw the tool result')
    const result = plannerSawResult()!.summary!.toolResults.map((toolResult) => toolResult.content).join('\n')
    expect(result).toContain('t1')
    expect(result).not.toMatch(/not in canonical form|control character|error/i)
    await command(server, sessionID, 'stop', '')
  })

  it('refuses a 100 KB goal at once, on screen, with the limit and the fix, and asks no model', async () => {
    const { model, server } = started as Started
    const sessionID = (await server.client.session.create({ title: 'big goal' })).data!.id
    const requests = model.requests.length
    const since = Date.now()
    const answer = await command(server, sessionID, 'task', `Build this: ${'x'.repeat(100 * 1024)}`)
    expect(answer.status).toBe(200)
    expect(answer.body).toContain('the limit is 20,000')
    const notes = (await userParts(server, sessionID)).flat()
    expect(notes).toEqual([{ text: expect.stringMatching(/^\[orchestrator\] The mission goal is 102,412 characters long; the limit is 20,000\. Put the details into a file/), synthetic: false }])
    expect(journalOf(server.directory, sessionID)).toBeUndefined()
    expect(model.requests.length).toBe(requests)
    expect(errorLines(server, since)).toEqual([])
  })

  it('/mission, /stop, /cancel and /task after a stop answer 200 with what they did: no model call, no ERROR in the log', async () => {
    const { model, server } = started as Started
    scriptCommander(model, { marker: 'results-goal', turn: () => ({ text: 'Understood.' }) })
    const sessionID = (await server.client.session.create({ title: 'results' })).data!.id
    void command(server, sessionID, 'task', 'Build it results-goal')
    await until(started as Started, () => journalOf(server.directory, sessionID) !== undefined && model.requests.some((request) => request.rule === 'commander:results-goal'), 20_000, 'the mission started')
    await until(started as Started, async () => (await server.client.session.status()).data?.[sessionID] === undefined, 20_000, 'the Commander turn ended')

    const requests = model.requests.length
    const since = Date.now()
    const status = await command(server, sessionID, 'mission', '')
    expect(status).toMatchObject({ status: 200 })
    // The status text of core's words (describeTally, mission-text.ts): the state (no todo list yet,
    // nothing running), the counters, and where the report will be. The engine may have continued
    // the Commander once before the status was read, so the continuation and token counts vary.
    const runningId = journalOf(server.directory, sessionID)!.id
    expect(JSON.parse(status.body)).toMatchObject({
      orchestrator: {
        command: 'mission',
        handled: true,
        message: expect.stringMatching(
          new RegExp(
            `^planning\\n[0-9]+ of 20 continuations used · 0 child sessions · [0-9,]+ tokens\\nReport \\(written when the mission ends\\): \\.opencode/orchestrator/missions/${runningId}/report\\.html$`,
          ),
        ),
      },
    })
    const stopped = await command(server, sessionID, 'stop', '')
    expect(stopped.status).toBe(200)
    expect(JSON.parse(stopped.body).orchestrator.message).toMatch(/^Mission mission_\S+ stopped/)
    // Until the stop the engine may still prompt the Commander itself (a continuation); nothing came from the commands.
    expect(model.requests.slice(requests).filter((request) => !request.summary?.lastUserMessage.startsWith('[orchestrator]'))).toEqual([])
    const afterStop = model.requests.length
    const again = await command(server, sessionID, 'cancel', '')
    expect(JSON.parse(again.body).orchestrator.message).toBe('No mission is running in this session.')
    const empty = await command(server, sessionID, 'task', '')
    const missionId = journalOf(server.directory, sessionID)!.id
    expect(JSON.parse(empty.body).orchestrator.message).toBe(
      `Mission ${missionId} has ended (stopped: stopped by the user (/stop)); it cannot be resumed. Start a new one with /task "<what to build>".`,
    )
    // The same text is a line in the session, not only a toast.
    expect((await userParts(server, sessionID)).flat().map((part) => part.text)).toContain(`[orchestrator] ${JSON.parse(empty.body).orchestrator.message}`)

    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(model.requests.length).toBe(afterStop)
    // No command became a prompt: none of their templates is a message of the session.
    expect((await userParts(server, sessionID)).flat().filter((part) => part.text.includes('handled by the orchestrator'))).toEqual([])
    expect(errorLines(server, since)).toEqual([])
  })
})

describe('a refused configuration', () => {
  const started: Partial<Started> = {}
  const projects: string[] = []
  beforeAll(async () => Object.assign(started, await start({})))
  afterAll(async () => {
    await stop(started)
    for (const project of projects) rmSync(project, { recursive: true, force: true })
  })

  it.each([
    ['a wrong type', '{ "concurrency": { "global": "many" } }', 'concurrency.global'],
    ['an unknown key', '{ "concurrncy": {} }', 'concurrncy'],
    ['broken JSONC', '{ "concurrency": { "global": 3 ', 'orchestrator.jsonc'],
    ['a refused role guarantee', '{ "agents": { "planner": { "permission": { "edit": "allow" } } } }', 'agents.planner.permission.edit'],
    ['background.maxPerSession: 0', '{ "background": { "maxPerSession": 0 } }', 'background.maxPerSession'],
  ])('(%s): /task shows the file and the problem in the session and a notice, and asks no model', async (_name, text, field) => {
    const { model, server } = started as Started
    // Another project on the same server: its own plugin instance reads its own config.
    const project = mkdtempSync(join(tmpdir(), 'orchestrator-bad-config-'))
    projects.push(project)
    execFileSync('git', ['init', '-q'], { cwd: project })
    // OpenCode installs its plugin package into every `.opencode/` it finds: give it the pre-installed one.
    await copyOpencodeConfigSeed(server.seed!, join(project, '.opencode'))
    const file = join(project, '.opencode', 'orchestrator.jsonc')
    writeFileSync(file, text)
    const client = createOpencodeClient({ baseUrl: server.url, directory: project })
    // The notices of that project, as its TUI would receive them.
    const toasts: string[] = []
    const events = new AbortController()
    const stream = await client.event.subscribe({}, { signal: events.signal })
    void (async () => {
      for await (const event of stream.stream) {
        if (event.type === 'tui.toast.show') toasts.push(event.properties.message)
      }
    })().catch(() => undefined)
    onTestFinished(() => events.abort())
    const sessionID = (await client.session.create({ title: 'bad config' })).data!.id
    const requests = model.requests.length
    const since = Date.now()

    const answer = await command(server, sessionID, 'task', 'Build the API', project)
    expect(answer.status, answer.body).toBe(200)
    const message = JSON.parse(answer.body).orchestrator.message as string
    expect(message).toContain(file)
    expect(message).toContain(field)
    expect((await userParts(server, sessionID, project)).flat()).toEqual([{ text: `[orchestrator] ${message}`, synthetic: false }])
    await until(started as Started, () => toasts.some((toast) => toast.includes(field)), 5_000, 'the notice was shown')
    expect(model.requests.length).toBe(requests)
    expect(errorLines(server, since).filter((line) => !/invalid orchestrator configuration/.test(line))).toEqual([])
  })
})
