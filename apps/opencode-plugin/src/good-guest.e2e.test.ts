import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel, type ScriptedModelRequest } from '@opencode-orchestrator/testing'
import { readJournals, scriptTeam, waitForJournal, waitForToast } from './test-support/scripted-team'

/*
 * The plugin as a guest in the user's OpenCode: plain chat pays nothing for it,
 * a bad config is refused loudly (only the commands remain, to say why), and two projects on one server share nothing.
 */

const pluginUrl = new URL('../dist/index.js', import.meta.url).href

let model: ScriptedModel

beforeAll(async () => {
  model = await startScriptedModel()
  model.addRule({ name: 'plain', match: { user: 'plain-chat-question' }, respond: { text: 'A plain answer.' } })
})

afterAll(async () => {
  await model?.close()
})

/** The request OpenCode sends for one plain prompt in a fresh session (no /task). */
async function plainChatRequest(server: OpencodeServer): Promise<ScriptedModelRequest> {
  const before = model.requests.length
  const session = await server.client.session.create({ title: 'plain chat' })
  const mark = server.events.mark()
  await server.client.session.promptAsync({ sessionID: session.data!.id, parts: [{ type: 'text', text: 'plain-chat-question' }] })
  await server.events.waitFor((event) => event.type === 'session.idle' && event.properties.sessionID === session.data!.id, 60_000, { since: mark })
  const request = model.requests.slice(before).find((item) => item.rule === 'plain')
  expect(request).toBeDefined()
  return request!
}

/** The request body with the per-server temp directory and dates normalised, so two servers compare equal. */
function normalisedBody(request: ScriptedModelRequest, directory: string): string {
  return JSON.stringify(request.summary!.body).replaceAll(directory, '<project>').replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} \d{2} \d{4}\b/g, '<date>')
}

describe('plain chat with the plugin installed', () => {
  it('sends byte-for-byte the same model request as without the plugin, and shows no toasts', async () => {
    const without = await startOpencodeServer({ modelBaseURL: model.baseURL })
    const withoutRequest = await plainChatRequest(without)
    const withoutBody = normalisedBody(withoutRequest, without.directory)
    await without.dispose()

    const server = await startOpencodeServer({ modelBaseURL: model.baseURL, plugins: [pluginUrl], expectTools: ['orchestrator_delegate'] })
    try {
      const mark = server.events.mark()
      const withRequest = await plainChatRequest(server)
      const withBody = normalisedBody(withRequest, server.directory)
      console.info(`[plain chat] request bytes without plugin ${withoutBody.length}, with plugin ${withBody.length}`)
      expect(withRequest.summary!.toolNames.filter((name) => name.startsWith('orchestrator_'))).toEqual([])
      expect(withRequest.summary!.toolNames).toEqual(withoutRequest.summary!.toolNames)
      expect(withBody).toBe(withoutBody)
      expect(server.events.all.filter((recorded) => recorded.index >= mark && recorded.event.type === 'tui.toast.show')).toEqual([])
    } finally {
      await server.dispose()
    }
  })
})

describe('invalid configuration', () => {
  it('runs nothing: no tools, no agents; its commands remain and /task names the field in the session and a notice, without a model call', async () => {
    const server = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      plugins: [pluginUrl],
      files: { '.opencode/orchestrator.jsonc': '{\n  // fifty is not a number\n  "concurrency": { "global": "fifty" }\n}\n' },
    })
    try {
      // Decision 012: a refused config loads a degraded plugin — no engine, tools or agents …
      const tools = await server.client.tool.ids()
      expect(tools.data?.length).toBeGreaterThan(0)
      expect(tools.data?.filter((id) => id.startsWith('orchestrator_'))).toEqual([])
      const agents = await server.client.app.agents()
      expect(agents.data?.length).toBeGreaterThan(0)
      expect(agents.data?.map((agent) => agent.name).filter((name) => ['commander', 'planner', 'worker', 'reviewer'].includes(name))).toEqual([])
      // … but its commands, so that /task says why instead of going to the model as plain chat.
      const commands = await server.client.command.list()
      expect(commands.data?.map((command) => command.name).filter((name) => ['task', 'mission', 'stop', 'cancel'].includes(name)).sort()).toEqual([
        'cancel',
        'mission',
        'stop',
        'task',
      ])
      const sessionID = (await server.client.session.create({ title: 'refused config' })).data!.id
      const requests = model.requests.length
      const mark = server.events.mark()
      const response = await fetch(`${server.url}/session/${sessionID}/command?directory=${encodeURIComponent(server.directory)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'task', arguments: 'Build the API' }),
      })
      const body = await response.text()
      expect(response.status, body).toBe(200)
      const message = (JSON.parse(body) as { orchestrator: { message: string } }).orchestrator.message
      expect(message).toMatch(/^The orchestrator is not running: its configuration was refused\.\n/)
      expect(message).toContain('orchestrator.jsonc')
      expect(message).toContain('concurrency.global')
      expect(message).toContain('"fifty"')
      expect(message).toMatch(/\nFix it and restart OpenCode\.$/)
      const notice = await server.events.waitFor(
        (event) => event.type === 'tui.toast.show' && String((event.properties as { message?: string }).message).includes('concurrency.global'),
        20_000,
        { since: mark },
      )
      expect((notice.event.properties as { variant?: string }).variant).toBe('error')
      const messages = (await server.client.session.messages({ sessionID })).data ?? []
      expect(messages.map((item) => item.info.role)).toEqual(['user'])
      expect(messages[0]?.parts.flatMap((part) => (part.type === 'text' ? [part.text] : []))).toEqual([`[orchestrator] ${message}`])
      expect(server.logs.text()).toContain('concurrency.global')
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(model.requests.length).toBe(requests)
    } finally {
      await server.dispose()
    }
  })
})

describe('two projects on one server', () => {
  it('runs a mission in each without sharing state', async () => {
    const server = await startOpencodeServer({ modelBaseURL: model.baseURL, plugins: [pluginUrl], expectTools: ['orchestrator_delegate'] })
    const otherDirectory = mkdtempSync(join(tmpdir(), 'orchestrator-second-project-'))
    try {
      execFileSync('git', ['init', '-q'], { cwd: otherDirectory })
      const other = createOpencodeClient({ baseUrl: server.url, directory: otherDirectory })
      scriptTeam(model, { marker: 'project-one', workerDelayMs: 300 })
      scriptTeam(model, { marker: 'project-two', workerDelayMs: 300 })
      const first = await server.client.session.create({ title: 'project one' })
      const second = await other.session.create({ title: 'project two' })
      const mark = server.events.mark()
      void server.client.session.command({ sessionID: first.data!.id, command: 'task', arguments: 'first mission (project-one)' })
      void other.session.command({ sessionID: second.data!.id, command: 'task', arguments: 'second mission (project-two)' })
      await waitForToast(model, server, 'Mission sealed', { since: mark })

      // The second project's instance has its own event stream: wait on its journal instead.
      await waitForJournal(server.directory, (records) => records[0]?.state === 'sealed')
      await waitForJournal(otherDirectory, (records) => records[0]?.state === 'sealed', 60_000)
      const [one] = readJournals(server.directory)
      const [two] = readJournals(otherDirectory)
      expect(one?.state).toBe('sealed')
      expect(two?.state).toBe('sealed')
      expect(one!.id).not.toBe(two!.id)
      expect((one as unknown as { rootSessionId: string }).rootSessionId).toBe(first.data!.id)
      expect((two as unknown as { rootSessionId: string }).rootSessionId).toBe(second.data!.id)
      expect(readJournals(server.directory)).toHaveLength(1)
      expect(readJournals(otherDirectory)).toHaveLength(1)
    } finally {
      await server.dispose()
      rmSync(otherDirectory, { recursive: true, force: true })
    }
  })
})
