import type { OrchestratorEvents } from '@opencode-orchestrator/core'
import { createEventBus, createLogger, systemClock } from '@opencode-orchestrator/core'
import { startOpencodeServer, startScriptedModel } from '@opencode-orchestrator/testing'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHost } from '../test/sdk-host'
import { createCircuitBreaker } from './circuit-breaker'
import { classifyError } from './classify-error'
import { createRecoveryCoordinator } from './recovery-coordinator'
import type { RecoveryCoordinator } from './recovery-coordinator'
import { createRecoveryPolicy } from './recovery-policy'

/*
 * Recovery against a real OpenCode 1.18 server with a scripted model, through a small HostV1
 * over the v2 SDK client (test/sdk-host.ts); the production host lives in the OpenCode adapter.
 */

let model: ScriptedModel
let server: OpencodeServer
let testHost: ReturnType<typeof createTestHost>
let coordinator: RecoveryCoordinator
/** Managed sessions and the agent they run as. */
const managed = new Map<string, string>()
const pluginUrl = new URL('../test/no-autocontinue-plugin.js', import.meta.url).href
const fatal: Array<{ missionId: string; message: string }> = []
const recoveryEvents: Array<{ name: string; sessionId: string; kind: string; detail: string }> = []

beforeAll(async () => {
  model = await startScriptedModel()
  server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    plugins: [pluginUrl],
    expectTools: ['recovery_e2e_probe'],
    config: { agent: { 'recovery-e2e': { mode: 'primary', description: 'Recovery e2e agent', prompt: 'You are a test agent.' } } },
  })
  console.info(`[recovery e2e] server: listen ${server.timings.listenMs} ms, ready ${server.timings.readyMs} ms`)
  testHost = createTestHost(server)
  const bus = createEventBus<OrchestratorEvents>({
    onListenerError: (error) => {
      throw error
    },
  })
  bus.on('recovery-start', (event) => recoveryEvents.push({ name: 'start', sessionId: event.sessionId, kind: event.kind, detail: `${event.action}:${event.attempt}` }))
  bus.on('recovery-end', (event) => recoveryEvents.push({ name: 'end', sessionId: event.sessionId, kind: event.kind, detail: event.outcome }))
  coordinator = createRecoveryCoordinator({
    host: testHost.host,
    bus,
    clock: systemClock,
    // Short backoff so a re-prompt after OpenCode gave up happens within the test.
    policy: createRecoveryPolicy({ random: Math.random, config: { backoff: { initialMs: 300, maxMs: 1000, factor: 2, jitter: 0.2 } } }),
    breaker: createCircuitBreaker({ clock: systemClock, failureThreshold: 50, cooldownMs: 60_000 }),
    logger: createLogger(() => undefined),
    isManaged: (sessionId) => {
      const role = managed.get(sessionId)
      return role === undefined ? undefined : { missionId: 'mission_e2e', role, resumePrompt: () => `[marker:${sessionId}] Resume your task as ${role}.` }
    },
    onFatal: (missionId, message) => fatal.push({ missionId, message }),
  })
})

afterAll(async () => {
  coordinator?.dispose()
  testHost?.stop()
  await server?.dispose()
  await model?.close()
})

/** `build` is OpenCode's own default agent: this server has no orchestrator agents. */
async function startSession(title: string, prompt: string, agent = 'build') {
  const created = await server.client.session.create({ title })
  const sessionId = created.data!.id
  managed.set(sessionId, agent)
  const result = await server.client.session.promptAsync({ sessionID: sessionId, agent, parts: [{ type: 'text', text: prompt }] })
  expect(result.error).toBeUndefined()
  return sessionId
}

const eventsOf = (sessionId: string) => recoveryEvents.filter((event) => event.sessionId === sessionId).map((event) => `${event.name}:${event.kind}:${event.detail}`)

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; recovery events: ${JSON.stringify(recoveryEvents)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function lastAssistant(sessionId: string) {
  const messages = await testHost.host.sessions.messages(sessionId)
  return messages.filter((message) => message.role === 'assistant').at(-1)
}

describe('recovery on a real OpenCode server', () => {
  it('429 twice, then an answer: OpenCode retries by itself, recovery waits and reports it recovered', async () => {
    model.addRule({
      name: 'rate-limited',
      match: { marker: '[case:429-twice]' },
      respond: [
        { error: { status: 429, body: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after-ms': '100' } } },
        { error: { status: 429, body: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after-ms': '100' } } },
        { text: 'Answer after two rate limits.' },
      ],
    })
    const sessionId = await startSession('recovery e2e: 429 twice', '[case:429-twice] answer please')
    await until(() => eventsOf(sessionId).filter((event) => event.startsWith('end:')).length >= 2, 60_000, 'both retries to end')
    // Each OpenCode retry is one episode, ended by the busy that follows it.
    expect(eventsOf(sessionId)).toEqual(['start:rate-limit:host-retry:1', 'end:rate-limit:recovered', 'start:rate-limit:host-retry:2', 'end:rate-limit:recovered'])
    expect(model.requests.filter((request) => request.rule === 'rate-limited').map((request) => request.status)).toEqual([429, 429, 200])
    // OpenCode handled it: recovery never re-prompted.
    expect(testHost.prompts).not.toContain(sessionId)
    await until(async () => (await lastAssistant(sessionId))?.finish === 'stop', 30_000, 'the answer')
    expect((await lastAssistant(sessionId))?.text).toBe('Answer after two rate limits.')
  })

  it('OpenCode gives up on 429s: recovery re-prompts with the resume text and the session completes', async () => {
    const tooMany = { error: { status: 429, body: { error: { message: 'Rate limit reached', type: 'requests' } }, headers: { 'retry-after-ms': '20' } } }
    model.addRule({
      name: 'gives-up',
      match: { marker: '[case:gives-up]' },
      respond: [tooMany, tooMany, tooMany, tooMany, tooMany, tooMany, { text: 'Answer after recovery.' }],
    })
    const sessionId = await startSession('recovery e2e: gives up', '[case:gives-up] answer please')
    await until(() => eventsOf(sessionId).join(' ').includes('start:rate-limit:retry:1 end:'), 60_000, 'the re-prompt to end')
    const events = eventsOf(sessionId)
    const hostRetries = [1, 2, 3, 4, 5].flatMap((attempt) => [`start:rate-limit:host-retry:${attempt}`, 'end:rate-limit:recovered'])
    expect(events).toEqual([...hostRetries, 'start:rate-limit:retry:1', 'end:rate-limit:recovered'])
    expect(testHost.prompts.filter((id) => id === sessionId)).toHaveLength(1)
    const lastRequest = model.requests.filter((request) => request.rule === 'gives-up').at(-1)
    expect(lastRequest?.summary?.lastUserMessage).toContain(`[marker:${sessionId}] Resume your task as build.`)
    await until(async () => (await lastAssistant(sessionId))?.finish === 'stop', 30_000, 'the answer')
    expect((await lastAssistant(sessionId))?.text).toBe('Answer after recovery.')
  })

  it('401: classified as auth, zero retries, the mission is stopped with a message saying what to fix', async () => {
    model.addRule({
      name: 'unauthorised',
      match: { marker: '[case:401]' },
      respond: { error: { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } } },
    })
    const sessionId = await startSession('recovery e2e: 401', '[case:401] answer please')
    await until(() => fatal.length > 0, 30_000, 'onFatal')
    expect(fatal).toEqual([
      { missionId: 'mission_e2e', message: "The provider 'fake' rejected the API key (401). Fix: run `opencode auth login fake` or set the key, then /task again." },
    ])
    expect(eventsOf(sessionId)).toEqual(['start:auth:stop:0', 'end:auth:gave-up'])
    const error = (await lastAssistant(sessionId))?.error
    expect(classifyError(error, { providerId: 'fake' })).toMatchObject({ kind: 'auth', retryable: false, statusCode: 401 })
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(model.requests.filter((request) => request.rule === 'unauthorised')).toHaveLength(1)
    expect(testHost.prompts).not.toContain(sessionId)
  })

  it('context overflow: OpenCode compacts by itself; recovery sees the compaction and the work resume', async () => {
    model.addRule({
      name: 'overflow',
      match: { marker: '[case:overflow]' },
      respond: [
        {
          error: {
            status: 400,
            body: { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', code: 'context_length_exceeded' } },
          },
        },
        { text: 'Summary [case:overflow]: the user wants an answer.' },
        { text: 'Carried on after compaction.' },
      ],
    })
    const mark = server.events.mark()
    const sessionId = await startSession('recovery e2e: overflow', '[case:overflow] answer please')
    await server.events.waitFor((event) => event.type === 'session.compacted' && event.properties.sessionID === sessionId, 60_000, { since: mark })
    await until(() => eventsOf(sessionId).some((event) => event.startsWith('end:')), 60_000, 'the recovery to end')
    expect(eventsOf(sessionId)).toEqual(['start:context-overflow:host-compaction:0', 'end:context-overflow:recovered'])
    expect(testHost.prompts).not.toContain(sessionId)
    expect((await lastAssistant(sessionId))?.text).toBe('Carried on after compaction.')
    // What the model saw after the compaction: OpenCode's own continuation, not the original prompt.
    const continuation = model.requests.filter((request) => request.rule === 'overflow').at(-1)
    console.info(`[recovery e2e] after compaction the model got: ${JSON.stringify(continuation?.summary?.lastUserMessage?.slice(0, 160))}`)
  })

  it("context overflow with OpenCode's generic continuation off: recovery resumes the compacted session with its role and plan", async () => {
    model.addRule({
      name: 'overflow-resume',
      match: { marker: '[case:overflow-resume]' },
      respond: [
        {
          error: {
            status: 400,
            body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' } },
          },
        },
        { text: 'Summary [case:overflow-resume]: the user wants an answer.' },
        { text: 'Resumed in role, following the plan.' },
      ],
    })
    const sessionId = await startSession('recovery e2e: overflow resume', '[case:overflow-resume] answer please', 'recovery-e2e')
    await until(() => eventsOf(sessionId).join(' ').includes('start:context-overflow:retry:1 end:'), 60_000, 'the resume to end')
    // The host-compaction episode ends when the session is busy again — here that busy is the compaction
    // turn itself (no auto-continue), so it reads "recovered" before the work resumed; the resume is a
    // second episode. (The plugin leaves OpenCode's continuation on, where the busy is the resumed work.)
    expect(eventsOf(sessionId)).toEqual([
      'start:context-overflow:host-compaction:0',
      'end:context-overflow:recovered',
      'start:context-overflow:retry:1',
      'end:context-overflow:recovered',
    ])
    expect(testHost.prompts.filter((id) => id === sessionId)).toHaveLength(1)
    const requests = model.requests.filter((request) => request.rule === 'overflow-resume')
    expect(requests.map((request) => request.status)).toEqual([400, 200, 200])
    // After the compaction the model got the role and plan, not OpenCode's generic continuation.
    expect(requests.at(-1)?.summary?.lastUserMessage).toContain(`[marker:${sessionId}] Resume your task as recovery-e2e.`)
    await until(async () => (await lastAssistant(sessionId))?.finish === 'stop', 30_000, 'the answer')
    expect((await lastAssistant(sessionId))?.text).toBe('Resumed in role, following the plan.')
  })
})
