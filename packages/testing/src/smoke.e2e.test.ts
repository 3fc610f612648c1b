import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Part } from '@opencode-ai/sdk/v2'
import { startOpencodeServer } from './opencode-server'
import type { OpencodeServer } from './opencode-server'
import { startScriptedModel } from './scripted-model'
import type { ScriptedModel } from './scripted-model'

const pluginUrl = new URL('../fixtures/smoke-plugin.js', import.meta.url).href

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  model = await startScriptedModel()
  server = await startOpencodeServer({ modelBaseURL: model.baseURL, plugins: [pluginUrl], expectTools: ['smoke_ping'] })
  console.info(
    `[smoke] server start: seed ${server.timings.seedMs} ms (installed now: ${server.seed?.installed}), listen ${server.timings.listenMs} ms, ready ${server.timings.readyMs} ms`,
  )
})

afterAll(async () => {
  await server?.dispose()
  await model?.close()
})

/** Sends a prompt and waits until the session is idle again; returns the latency in ms. */
async function promptAndWait(sessionID: string, text: string): Promise<number> {
  const mark = server.events.mark()
  const started = Date.now()
  const result = await server.client.session.promptAsync({ sessionID, parts: [{ type: 'text', text }] })
  expect(result.error).toBeUndefined()
  await server.events.waitFor(
    (event) => event.type === 'session.idle' && event.properties.sessionID === sessionID,
    60_000,
    { since: mark },
  )
  return Date.now() - started
}

async function assistantTexts(sessionID: string): Promise<string[]> {
  const messages = await server.client.session.messages({ sessionID })
  expect(messages.error).toBeUndefined()
  return (messages.data ?? [])
    .filter((message) => message.info.role === 'assistant')
    .map((message) =>
      message.parts
        .filter((part): part is Extract<Part, { type: 'text' }> => part.type === 'text')
        .map((part) => part.text)
        .join(''),
    )
}

describe('real OpenCode server smoke test', () => {
  it('answers a prompt with the scripted reply', async () => {
    model.addRule({ name: 'greeting', match: { user: 'smoke-greeting' }, respond: { text: ['Hello ', 'from the ', 'scripted model'] } })
    const created = await server.client.session.create({ title: 'smoke: greeting' })
    expect(created.error).toBeUndefined()
    const sessionID = created.data!.id

    const firstPromptMs = await promptAndWait(sessionID, 'smoke-greeting')
    const secondPromptMs = await promptAndWait(sessionID, 'smoke-greeting again')
    console.info(`[smoke] first prompt ${firstPromptMs} ms, second prompt ${secondPromptMs} ms`)

    expect(await assistantTexts(sessionID)).toEqual(['Hello from the scripted model', 'Hello from the scripted model'])
    const logged = model.requests.filter((request) => request.rule === 'greeting')
    expect(logged).toHaveLength(2)
    expect(logged[0]!.summary!.lastUserMessage).toBe('smoke-greeting')
    expect(logged[0]!.summary!.model).toBe('fake-model')
    expect(logged[0]!.summary!.stream).toBe(true)
    expect(logged[0]!.closedEarly).toBe(false)
  })

  it('loads the file:// plugin: its tool is registered and offered to the model', async () => {
    const ids = await server.client.tool.ids()
    expect(ids.error).toBeUndefined()
    expect(ids.data).toContain('smoke_ping')
    const offered = model.requests.find((request) => request.rule === 'greeting')
    expect(offered?.summary?.toolNames).toContain('smoke_ping')
  })

  it('runs a scripted tool call in the plugin and sends the result back to the model', async () => {
    model.addRule({
      name: 'ping',
      match: { user: 'smoke-ping-please' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: `The tool said: ${request.toolResults.map((result) => result.content).join(' | ')}` }
          : { toolCalls: [{ name: 'smoke_ping', arguments: { message: 'marco' }, id: 'call_smoke_1' }] },
    })
    const created = await server.client.session.create({ title: 'smoke: tool call' })
    const sessionID = created.data!.id
    await promptAndWait(sessionID, 'smoke-ping-please')

    const requests = model.requests.filter((request) => request.rule === 'ping')
    expect(requests).toHaveLength(2)
    expect(requests[1]!.summary!.toolResults).toEqual([{ toolCallId: 'call_smoke_1', content: 'pong: marco (agent build)' }])
    expect(requests[1]!.summary!.previousToolCalls.map((call) => call.name)).toEqual(['smoke_ping'])

    const messages = await server.client.session.messages({ sessionID })
    const toolParts = (messages.data ?? []).flatMap((message) =>
      message.parts.filter((part): part is Extract<Part, { type: 'tool' }> => part.type === 'tool'),
    )
    expect(toolParts).toHaveLength(1)
    expect(toolParts[0]!.tool).toBe('smoke_ping')
    expect(toolParts[0]!.state.status).toBe('completed')
    expect(await assistantTexts(sessionID)).toContain('The tool said: pong: marco (agent build)')
  })

  it('restarts after a SIGKILL with the same home and project: sessions survive, events resume', async () => {
    const created = await server.client.session.create({ title: 'smoke: survives restart' })
    const sessionID = created.data!.id
    const oldPid = server.pid
    const started = Date.now()
    await server.restart({ signal: 'SIGKILL' })
    console.info(`[smoke] restart after SIGKILL ${Date.now() - started} ms (listen ${server.timings.listenMs} ms, ready ${server.timings.readyMs} ms)`)
    expect(server.generation).toBe(2)
    expect(server.pid).not.toBe(oldPid)
    const fetched = await server.client.session.get({ sessionID })
    expect(fetched.data?.title).toBe('smoke: survives restart')
    expect(server.events.all.some((recorded) => recorded.generation === 2 && recorded.event.type === 'server.connected')).toBe(true)

    model.addRule({ name: 'after-restart', match: { user: 'smoke-after-restart' }, respond: { text: 'still here' } })
    await promptAndWait(sessionID, 'smoke-after-restart')
    expect(await assistantTexts(sessionID)).toEqual(['still here'])
  })
})
