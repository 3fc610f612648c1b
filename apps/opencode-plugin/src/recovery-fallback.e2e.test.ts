import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel, ScriptedResponse } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, startTask, toasts, waitForFinalJournal } from './test-support/lifecycle-team'

/*
 * The fallback model chain through the production adapter: a second provider (`backup`, served
 * by the same scripted model) is configured as `recovery.fallbackModels`. When OpenCode gives up
 * on the first provider's 429s, recovery moves the Worker to the fallback model (another
 * provider: at once, its breaker is closed) and the mission seals. Its own file: the providers
 * and the fallback chain are server-wide.
 */

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({
    config: (scripted) => ({
      enabled_providers: ['fake', 'backup'],
      provider: {
        backup: {
          npm: '@ai-sdk/openai-compatible',
          name: 'Backup scripted model',
          options: { baseURL: scripted.baseURL, apiKey: 'scripted' },
          models: { 'backup-model': { name: 'Backup model', tool_call: true, limit: { context: 100_000, output: 4_096 } } },
        },
      },
    }),
    pluginOptions: {
      continuation: { cooldownMs: 200 },
      recovery: { backoff: { initialMs: 300, maxMs: 1000, factor: 2, jitter: 0.2 }, fallbackModels: ['backup/backup-model'] },
    },
  }))
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })

it('OpenCode gives up on 429s from one provider: recovery moves the Worker to the fallback model; the mission seals', async () => {
  const marker = 'fallback-429'
  scriptPlanner(model, { marker, todos: [{ id: 't1', title: `Build the thing (${marker})` }] })
  scriptReviewer(model, { marker })
  scriptCommander(model, {
    marker,
    turn: (kind, count) => {
      if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
      if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1', `Implement t1 [${marker}:worker]`, ['t1'])] }
      if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
      return { text: 'Every todo is verified.' }
    },
  })
  const rateLimited: ScriptedResponse = {
    error: { status: 429, body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, headers: { 'retry-after-ms': '20' } },
  }
  // The backup model answers; the first provider keeps refusing.
  model.addRule({ name: `backup:${marker}`, match: { system: 'You are a Worker', marker, predicate: (request) => request.body.model === 'backup-model' }, respond: { text: 'Implemented t1 on the fallback model.' } })
  model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: rateLimited })
  const since = toasts(server).length
  const rootSessionId = await startTask(server, `${marker}: build the thing`)
  const record = await waitForFinalJournal(context(), rootSessionId)
  const worker = record.tasks.find((task) => task.agent === 'worker')!
  const path = join(server.directory, '.opencode/orchestrator/missions', record.id, 'events.jsonl')
  const log = (existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [])
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { type: string; kind: string; action?: string; outcome?: string; sessionId: string })
    .filter((entry) => (entry.type === 'recovery-start' || entry.type === 'recovery-end') && entry.sessionId === worker.sessionId)
    .map((entry) => `${entry.type}:${entry.kind}:${entry.action ?? entry.outcome}`)
  const notices = toasts(server)
    .slice(since)
    .filter((toast) => toast.title.startsWith('Orchestrator') && toast.variant !== 'info')
    .map((toast) => toast.message)
  console.info(`[fallback] state ${record.state}; episodes ${JSON.stringify(log)}; notices ${JSON.stringify(notices)}`)
  expect(record.state).toBe('sealed')
  expect(worker.result).toBe('Implemented t1 on the fallback model.')
  expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([429, 429, 429, 429, 429, 429])
  expect(requestsOf(model, `backup:${marker}`)).toHaveLength(1)
  expect(log.at(-2)).toBe('recovery-start:rate-limit:fallback')
  expect(log.at(-1)).toBe('recovery-end:rate-limit:recovered')
  expect(notices).toContain('Rate limited by fake — switching to a fallback model (attempt 1/3)')
})
