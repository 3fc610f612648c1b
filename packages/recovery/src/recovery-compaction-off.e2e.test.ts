import type { OrchestratorEvents } from '@opencode-orchestrator/core'
import { createEventBus, createLogger, systemClock } from '@opencode-orchestrator/core'
import { startOpencodeServer, startScriptedModel } from '@opencode-orchestrator/testing'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createTestHost } from '../test/sdk-host'
import { createCircuitBreaker } from './circuit-breaker'
import { createRecoveryCoordinator } from './recovery-coordinator'
import type { RecoveryCoordinator } from './recovery-coordinator'
import { createRecoveryPolicy } from './recovery-policy'

/*
 * With compaction.auto = false OpenCode reports a context overflow and stops: recovery must
 * compact the session itself (host.sessions.summarize) and resume it with the role and plan.
 * A separate file because the setting is server-wide.
 */

let model: ScriptedModel
let server: OpencodeServer
let testHost: ReturnType<typeof createTestHost>
let coordinator: RecoveryCoordinator
const events: string[] = []
let managedSession = ''

beforeAll(async () => {
  model = await startScriptedModel()
  server = await startOpencodeServer({ modelBaseURL: model.baseURL, config: { compaction: { auto: false } } })
  testHost = createTestHost(server)
  const bus = createEventBus<OrchestratorEvents>({
    onListenerError: (error) => {
      throw error
    },
  })
  bus.on('recovery-start', (event) => events.push(`start:${event.kind}:${event.action}:${event.attempt}`))
  bus.on('recovery-end', (event) => events.push(`end:${event.kind}:${event.outcome}`))
  coordinator = createRecoveryCoordinator({
    host: testHost.host,
    bus,
    clock: systemClock,
    policy: createRecoveryPolicy({ random: Math.random }),
    breaker: createCircuitBreaker({ clock: systemClock, failureThreshold: 5, cooldownMs: 60_000 }),
    logger: createLogger(() => undefined),
    // What the adapter passes when OpenCode's compaction.auto is false.
    hostCompacts: () => false,
    isManaged: (sessionId) =>
      sessionId === managedSession
        ? { missionId: 'mission_e2e', role: 'build', resumePrompt: () => `[marker:resume] Resume your task as build.` }
        : undefined,
    onFatal: () => {
      throw new Error('no fatal error expected')
    },
  })
})

afterAll(async () => {
  coordinator?.dispose()
  testHost?.stop()
  await server?.dispose()
  await model?.close()
})

it('compaction off: recovery compacts the session itself, then resumes it with its role and plan', async () => {
  model.addRule({
    name: 'overflow',
    match: { marker: '[case:overflow-off]' },
    respond: [
      { error: { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' } } } },
      { text: 'Summary [case:overflow-off]: the user wants an answer.' },
      { text: 'Resumed after our own compaction.' },
    ],
  })
  const created = await server.client.session.create({ title: 'recovery e2e: compaction off' })
  managedSession = created.data!.id
  const started = Date.now()
  await server.client.session.promptAsync({ sessionID: managedSession, parts: [{ type: 'text', text: '[case:overflow-off] answer please' }] })
  const deadline = Date.now() + 60_000
  while (!events.some((event) => event.startsWith('end:'))) {
    if (Date.now() > deadline) throw new Error(`no recovery end; events ${JSON.stringify(events)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  console.info(`[recovery e2e] overflow → own compaction → resumed in ${Date.now() - started} ms`)
  expect(events).toEqual(['start:context-overflow:compact:1', 'end:context-overflow:recovered'])
  const requests = model.requests.filter((request) => request.rule === 'overflow')
  expect(requests.map((request) => request.status)).toEqual([400, 200, 200])
  expect(requests.at(-1)?.summary?.lastUserMessage).toContain('[marker:resume] Resume your task as build.')
  expect(testHost.prompts).toEqual([managedSession])
  const messages = await testHost.host.sessions.messages(managedSession)
  expect(messages.filter((message) => message.role === 'assistant').at(-1)).toMatchObject({ finish: 'stop', text: 'Resumed after our own compaction.' })
})
