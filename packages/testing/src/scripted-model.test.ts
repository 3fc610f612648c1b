import { request as httpRequest } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { summarizeChatRequest } from './chat-request-summary'
import { startScriptedModel } from './scripted-model'
import type { ScriptedModel, StartScriptedModelOptions } from './scripted-model'

let model: ScriptedModel | undefined

afterEach(async () => {
  await model?.close()
  model = undefined
})

async function start(options: StartScriptedModelOptions = {}) {
  model = await startScriptedModel(options)
  return model
}

function chatBody(overrides: Record<string, unknown> = {}) {
  return {
    model: 'fake-model',
    stream: true,
    messages: [
      { role: 'system', content: 'You are the worker agent.' },
      { role: 'user', content: [{ type: 'text', text: 'please build [[marker-7]]' }] },
    ],
    tools: [{ type: 'function', function: { name: 'bash', parameters: {} } }],
    ...overrides,
  }
}

async function post(url: string, body: unknown) {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
}

interface ChunkFrame {
  object: string
  usage?: Record<string, number>
  choices: Array<{ finish_reason: string | null; delta: { role?: string; content?: string; tool_calls?: unknown[] } }>
}

interface CompletionBody {
  object: string
  choices: Array<{ finish_reason: string; message: { tool_calls: Array<{ function: { name: string } }> } }>
}

/** The JSON payloads of an SSE response, plus whether it ended with `[DONE]`. */
async function frames(response: Response) {
  const text = await response.text()
  const data = text
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => block.slice(6))
  const done = data.at(-1) === '[DONE]'
  return { done, frames: data.filter((entry) => entry !== '[DONE]').map((entry) => JSON.parse(entry) as ChunkFrame) }
}

describe('startScriptedModel', () => {
  it('listens on 127.0.0.1 and streams role, content deltas, finish, usage and [DONE]', async () => {
    const server = await start({ rules: [{ name: 'greet', respond: { text: ['Hel', 'lo'], usage: { promptTokens: 30, completionTokens: 2 } } }] })
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(server.baseURL).toBe(`${server.url}/v1`)
    const response = await post(server.url, chatBody())
    expect(response.headers.get('content-type')).toBe('text/event-stream')
    const { done, frames: payloads } = await frames(response)
    expect(done).toBe(true)
    expect(payloads.map((frame) => frame.object)).toEqual(Array(5).fill('chat.completion.chunk'))
    expect(payloads[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' })
    expect(payloads.slice(1, 3).map((frame) => frame.choices[0]!.delta.content)).toEqual(['Hel', 'lo'])
    expect(payloads[3]!.choices[0]!.finish_reason).toBe('stop')
    expect(payloads[4]!.usage).toEqual({ prompt_tokens: 30, completion_tokens: 2, total_tokens: 32 })
    const [logged] = server.requests
    expect(logged).toMatchObject({ number: 1, rule: 'greet', status: 200, closedEarly: false })
    expect(logged!.summary).toMatchObject({
      model: 'fake-model',
      system: 'You are the worker agent.',
      lastUserMessage: 'please build [[marker-7]]',
      toolNames: ['bash'],
      lastRole: 'user',
    })
    expect(logged!.endedAt).toBeGreaterThanOrEqual(logged!.receivedAt)
  })

  it('sends several tool calls in one message, streamed and not streamed', async () => {
    const toolCalls = [
      { name: 'bash', arguments: { command: 'ls' }, id: 'call_a' },
      { name: 'read', arguments: '{"filePath":"x"' },
    ]
    const server = await start({ rules: [{ respond: { toolCalls } }] })
    const { frames: payloads } = await frames(await post(server.url, chatBody()))
    const deltas = payloads.flatMap((frame) => frame.choices[0]?.delta.tool_calls ?? [])
    expect(deltas).toEqual([
      { index: 0, id: 'call_a', type: 'function', function: { name: 'bash', arguments: '{"command":"ls"}' } },
      { index: 1, id: 'call_1_1', type: 'function', function: { name: 'read', arguments: '{"filePath":"x"' } },
    ])
    expect(payloads.find((frame) => frame.choices[0]?.finish_reason)?.choices[0]!.finish_reason).toBe('tool_calls')

    const plain = (await (await post(server.url, chatBody({ stream: false }))).json()) as CompletionBody
    expect(plain.object).toBe('chat.completion')
    expect(plain.choices[0]!.message.tool_calls.map((call) => call.function.name)).toEqual(['bash', 'read'])
    expect(plain.choices[0]!.finish_reason).toBe('tool_calls')
  })

  it('answers with HTTP errors carrying status, JSON body and headers', async () => {
    const server = await start({
      rules: [{ respond: { error: { status: 429, body: { error: { message: 'Rate limit reached' } }, headers: { 'retry-after-ms': '1500', 'retry-after': '2' } } } }],
    })
    const response = await post(server.url, chatBody())
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after-ms')).toBe('1500')
    expect(response.headers.get('retry-after')).toBe('2')
    expect(await response.json()).toEqual({ error: { message: 'Rate limit reached' } })
    expect(server.requests[0]!.status).toBe(429)
  })

  it('matches rules on system, user, marker, tool, last role and predicate; sequences advance and once expires', async () => {
    const server = await start()
    server.addRule({ name: 'no', match: { tool: 'missing_tool' }, respond: { text: 'never' } })
    server.addRule({ name: 'seq', match: { marker: '[[marker-7]]', system: /worker/ }, respond: [{ text: 'first' }, { text: 'second' }], once: true })
    server.addRule({ name: 'tool-result', match: { lastRole: 'tool' }, respond: (request) => ({ text: `got ${request.toolResults[0]?.content}` }) })
    server.addRule({ name: 'pred', match: { user: 'please', predicate: (request) => request.messageCount === 2 }, respond: { text: 'fallback' } })
    const texts: string[] = []
    for (let index = 0; index < 3; index++) {
      const { frames: payloads } = await frames(await post(server.url, chatBody()))
      texts.push(payloads[1]!.choices[0]!.delta.content ?? '')
    }
    const withResult = chatBody({
      messages: [
        { role: 'user', content: 'run it' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'bash', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_9', content: 'exit 0' },
      ],
    })
    const { frames: resultFrames } = await frames(await post(server.url, withResult))
    texts.push(resultFrames[1]!.choices[0]!.delta.content ?? '')
    expect(texts).toEqual(['first', 'second', 'fallback', 'got exit 0'])
    expect(server.requests.map((request) => `${request.rule}:${request.responseIndex}`)).toEqual(['seq:0', 'seq:1', 'pred:0', 'tool-result:0'])
    expect(server.requests[3]!.summary!.previousToolCalls).toEqual([{ id: 'call_9', name: 'bash', arguments: '{}' }])
  })

  it('answers unmatched requests with a 400 naming the request, and a throwing responder with a 400', async () => {
    const server = await start({ rules: [{ match: { user: 'boom' }, respond: () => { throw new Error('script bug') } }] })
    const unmatched = await post(server.url, chatBody())
    expect(unmatched.status).toBe(400)
    expect(JSON.stringify(await unmatched.json())).toContain('no rule matched request #1')
    expect(server.requests[0]!.rule).toBeUndefined()
    const broken = await post(server.url, chatBody({ messages: [{ role: 'user', content: 'boom' }] }))
    expect(broken.status).toBe(400)
    expect(server.requests[1]!.responderError).toBe('script bug')
  })

  it('notices a client that disconnects during a delay and stops writing', async () => {
    const server = await start({ rules: [{ respond: { text: ['a', 'b', 'c'], delays: { betweenChunksMs: 60_000 } } }] })
    const response = await post(server.url, chatBody())
    // Read the first frames, then hang up.
    const reader = response.body!.getReader()
    await reader.read()
    await reader.cancel()
    const logged = await server.waitForRequest((request) => request.number === 1, { timeoutMs: 5_000 })
    expect(logged.closedEarly).toBe(true)
    expect(logged.endedAt! - logged.receivedAt).toBeLessThan(60_000)
  })

  it('can delay the headers, and hang until the client leaves', async () => {
    const server = await start({
      rules: [
        { match: { user: 'hang' }, respond: { hang: true } },
        { respond: { text: 'late', delays: { beforeHeadersMs: 50 } } },
      ],
    })
    const { frames: payloads } = await frames(await post(server.url, chatBody()))
    expect(payloads[1]!.choices[0]!.delta.content).toBe('late')
    const hanging = httpRequest(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } })
    hanging.on('error', () => undefined)
    hanging.end(JSON.stringify(chatBody({ messages: [{ role: 'user', content: 'hang' }] })))
    await new Promise((resolve) => setTimeout(resolve, 50))
    hanging.destroy()
    const logged = await server.waitForRequest((request) => request.number === 2, { timeoutMs: 5_000 })
    expect(logged.closedEarly).toBe(true)
    expect(logged.status).toBeUndefined()
  })

  it('lists models, 404s other routes, resets, and close() ends hanging requests', async () => {
    const server = await start({ models: ['fake-model', 'other'], rules: [{ respond: { hang: true } }] })
    const models = (await (await fetch(`${server.baseURL}/models`)).json()) as { data: Array<{ id: string }> }
    expect(models.data.map((entry) => entry.id)).toEqual(['fake-model', 'other'])
    expect((await fetch(`${server.url}/v2/nothing`)).status).toBe(404)
    const hanging = post(server.url, chatBody()).then(
      (response) => response.text(),
      (error: unknown) => error,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    await server.close()
    await hanging
    expect(server.requests.at(-1)!.closedEarly).toBe(true)
    server.reset()
    expect(server.requests).toHaveLength(0)
  })

  it('rejects a rule with an empty sequence and times out waitForRequest with the request list', async () => {
    const server = await start()
    expect(() => server.addRule({ respond: [] })).toThrow(/empty array/)
    await expect(server.waitForRequest(() => true, { timeoutMs: 20 })).rejects.toThrow(/no matching request ended within 20 ms/)
  })
})

describe('summarizeChatRequest', () => {
  it('joins system messages, finds the last user text and only the trailing tool results', () => {
    const summary = summarizeChatRequest({
      model: 'm',
      messages: [
        { role: 'system', content: 'one' },
        { role: 'system', content: [{ type: 'text', text: 'two' }] },
        { role: 'user', content: 'old' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', function: { name: 'bash', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'early' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'new' },
      ],
    })
    expect(summary).toMatchObject({ system: 'one\n\ntwo', lastUserMessage: 'new', lastRole: 'user', toolResults: [], stream: false, toolNames: [] })
    expect(summary.previousToolCalls).toHaveLength(1)
  })
})
