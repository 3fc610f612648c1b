import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel, ScriptedResponse } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, journalOf, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, startTask, toasts, until, waitForFinalJournal } from './test-support/lifecycle-team'

/*
 * The recovery paths mission-recovery.e2e.test.ts does not drive, through the production
 * adapter: the built plugin in a real `opencode serve`, OpenCode's own events translated by
 * packages/opencode's event translation and handled by the coordinator the plugin wires.
 * This server runs with `compaction.auto: false` (server-wide, hence its own file), a short
 * backoff and a circuit breaker that opens after 5 failures for 1.5 s.
 */

let model: ScriptedModel
let server: OpencodeServer

const BREAKER_COOLDOWN_MS = 1500

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({
    config: { compaction: { auto: false } },
    pluginOptions: {
      continuation: { cooldownMs: 200 },
      recovery: {
        maxAttemptsPerSession: 3,
        backoff: { initialMs: 300, maxMs: 1000, factor: 2, jitter: 0.2 },
        circuitBreaker: { failureThreshold: 5, cooldownMs: BREAKER_COOLDOWN_MS },
      },
    },
  }))
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })

type LogEntry = { at: number; type: string; kind: string; action?: string; outcome?: string; sessionId: string; reason?: string }

/** The mission's recovery episodes from its event log (`events.jsonl`). */
function recoveryLog(missionId: string): LogEntry[] {
  const path = join(server.directory, '.opencode/orchestrator/missions', missionId, 'events.jsonl')
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogEntry)
    .filter((entry) => entry.type === 'recovery-start' || entry.type === 'recovery-end')
}

const episodes = (missionId: string, sessionId: string) =>
  recoveryLog(missionId)
    .filter((entry) => entry.sessionId === sessionId)
    .map((entry) => `${entry.type}:${entry.kind}:${entry.action ?? entry.outcome}`)

/**
 * Recovery notices shown since `since` (toasts that are warnings or errors of the orchestrator). The harness's
 * project is a git repository without a commit, so each mission also warns that its Workers share the project
 * folder (worktree isolation needs a commit): that notice is not recovery's.
 */
const recoveryToasts = (since: number) =>
  toasts(server)
    .slice(since)
    .filter((toast) => toast.title.startsWith('Orchestrator') && toast.variant !== 'info' && !toast.message.startsWith('Workers share the project folder'))
    .map((toast) => toast.message)

/** plan t1 → worker t1 → reviewer t1 → seal; the Worker's answers come from the rule added by the test. */
function scriptMission(marker: string) {
  scriptPlanner(model, { marker, todos: [{ id: 't1', title: `Build the thing (${marker})` }] })
  scriptReviewer(model, { marker })
  return scriptCommander(model, {
    marker,
    turn: (kind, count) => {
      if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
      if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1', `Implement t1 [${marker}:worker]`, ['t1'])] }
      if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
      return { text: 'Every todo is verified.' }
    },
  })
}

const rateLimited: ScriptedResponse = {
  error: { status: 429, body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, headers: { 'retry-after-ms': '20' } },
}

async function runMission(marker: string) {
  const since = toasts(server).length
  const rootSessionId = await startTask(server, `${marker}: build the thing`)
  const record = await waitForFinalJournal(context(), rootSessionId)
  const worker = record.tasks.find((task) => task.agent === 'worker')!
  const notices = recoveryToasts(since)
  const log = episodes(record.id, worker.sessionId!)
  console.info(`[${marker}] state ${record.state}; worker ${worker.status}; requests ${JSON.stringify(requestsOf(model, `worker:${marker}`).map((request) => request.status))}`)
  console.info(`[${marker}] episodes ${JSON.stringify(log)}`)
  console.info(`[${marker}] notices ${JSON.stringify(notices)}`)
  return { record, worker, notices, log }
}

describe('recovery paths through the production adapter', () => {
  it('context overflow with compaction off: the plugin compacts the Worker itself and resumes it in role; the mission seals', async () => {
    const marker = 'paths-overflow-off'
    scriptMission(marker)
    const overflow: ScriptedResponse = {
      error: { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 215000 tokens > 200000 maximum' } } },
    }
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: [overflow, { text: 'Implemented t1 after our compaction.' }] })
    model.addRule({ name: `compaction:${marker}`, match: { system: 'context summarization agent', marker }, respond: { text: `## Objective\n- Implement t1 (${marker}).` } })
    const { record, worker, notices, log } = await runMission(marker)
    expect(record.state).toBe('sealed')
    expect(worker.result).toBe('Implemented t1 after our compaction.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([400, 200])
    expect(requestsOf(model, `compaction:${marker}`)).toHaveLength(1)
    // The plugin read compaction.auto = false: it does not claim OpenCode compacts, it compacts at the idle.
    expect(log).toEqual(['recovery-start:context-overflow:compact', 'recovery-end:context-overflow:recovered'])
    expect(notices).toEqual(['Context window full — compacting the session (attempt 1/3)'])
    // The resumed turn got the plugin's resume prompt (role and task), not OpenCode's generic continuation.
    const resumed = requestsOf(model, `worker:${marker}`)[1]!
    expect(resumed.summary!.lastUserMessage).toContain('[orchestrator] Recovery: your previous turn failed (context-overflow')
    expect(resumed.summary!.lastUserMessage).toContain('Carry on as the worker from where you stopped')
    expect(resumed.summary!.lastUserMessage).toContain(`Implement t1 [${marker}:worker]`)
  })

  it('a broken tool history (400 about tool_use without tool_result): the plugin compacts the Worker and resumes it; the mission seals', async () => {
    const marker = 'paths-tool-history'
    scriptMission(marker)
    const broken: ScriptedResponse = {
      error: {
        status: 400,
        body: { type: 'error', error: { type: 'invalid_request_error', message: 'messages.3: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01. Each `tool_use` block must have a corresponding `tool_result` block in the next message.' } },
      },
    }
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: [broken, { text: 'Implemented t1 on a rewritten history.' }] })
    model.addRule({ name: `compaction:${marker}`, match: { system: 'context summarization agent', marker }, respond: { text: `## Objective\n- Implement t1 (${marker}).` } })
    const { record, worker, notices, log } = await runMission(marker)
    expect(record.state).toBe('sealed')
    expect(worker.result).toBe('Implemented t1 on a rewritten history.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([400, 200])
    expect(requestsOf(model, `compaction:${marker}`)).toHaveLength(1)
    expect(log).toEqual(['recovery-start:tool-history:compact', 'recovery-end:tool-history:recovered'])
    expect(notices).toEqual(['Broken tool history — compacting the session (attempt 1/3)'])
    expect(requestsOf(model, `worker:${marker}`)[1]!.summary!.lastUserMessage).toContain('[orchestrator] Recovery: your previous turn failed (tool-history')
  })

  it('OpenCode gives up on 429s: the breaker opens for the provider, recovery waits it out and re-prompts the Worker; the mission seals', async () => {
    const marker = 'paths-gives-up'
    scriptMission(marker)
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: [rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, { text: 'Implemented t1 after the re-prompt.' }],
    })
    const { record, worker, notices, log } = await runMission(marker)
    expect(record.state).toBe('sealed')
    expect(worker.result).toBe('Implemented t1 after the re-prompt.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([429, 429, 429, 429, 429, 429, 200])
    const resumed = requestsOf(model, `worker:${marker}`)[6]!
    expect(resumed.summary!.lastUserMessage).toContain('[orchestrator] Recovery: your previous turn failed (rate-limit')
    expect(resumed.summary!.lastUserMessage).toContain(`Implement t1 [${marker}:worker]`)
    // Five OpenCode retries (each an episode ended by the busy after it), then recovery's own re-prompt, which
    // waits while the breaker — opened by the 5 retries and the final error — cools down, and then succeeds.
    const hostRetry = ['recovery-start:rate-limit:host-retry', 'recovery-end:rate-limit:recovered']
    expect(log).toEqual([...hostRetry, ...hostRetry, ...hostRetry, ...hostRetry, ...hostRetry, 'recovery-start:rate-limit:retry', 'recovery-start:rate-limit:wait', 'recovery-end:rate-limit:recovered'])
    expect(notices.slice(0, 5)).toEqual([1, 2, 3, 4, 5].map((attempt) => `Rate limited by fake — OpenCode retries now (OpenCode retry ${attempt})`))
    expect(notices[5]).toMatch(/^Rate limited by fake — retrying in 0\.\d s \(attempt 1\/3\)$/)
    expect(notices[6]).toMatch(/^Rate limited by fake — waiting for the provider, retrying in [\d.]+ s \(attempt 1\/3\)$/)
    // The re-prompt waited out the breaker's cool-down after the last failure.
    const lastFailure = requestsOf(model, `worker:${marker}`)[5]!
    expect(resumed.receivedAt - lastFailure.endedAt!).toBeGreaterThanOrEqual(BREAKER_COOLDOWN_MS - 100)
  })

  it('overloaded (503) and a server error (500): OpenCode retries, the plugin says so; the mission seals', async () => {
    const marker = 'paths-5xx'
    scriptMission(marker)
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: [
        { error: { status: 503, body: { error: { message: 'The server is overloaded', type: 'server_error' } }, headers: { 'retry-after-ms': '20' } } },
        { error: { status: 500, body: { error: { message: 'Internal server error', type: 'server_error' } }, headers: { 'retry-after-ms': '20' } } },
        { text: 'Implemented t1 after two server errors.' },
      ],
    })
    const { record, worker, notices, log } = await runMission(marker)
    expect(record.state).toBe('sealed')
    expect(worker.result).toBe('Implemented t1 after two server errors.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([503, 500, 200])
    expect(log).toEqual(['recovery-start:overloaded:host-retry', 'recovery-end:overloaded:recovered', 'recovery-start:server:host-retry', 'recovery-end:server:recovered'])
    expect(notices).toEqual(['fake overloaded — OpenCode retries now (OpenCode retry 1)', 'Server error from fake — OpenCode retries now (OpenCode retry 2)'])
  })

  it('an answer cut at the output limit: the plugin asks the Worker to continue; the mission seals with the full answer', async () => {
    const marker = 'paths-length'
    scriptMission(marker)
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: [{ text: 'Implemented the first half of t1 and', finishReason: 'length' }, { text: 'Implemented t1 in two answers.' }],
    })
    const { record, worker, notices, log } = await runMission(marker)
    expect(record.state).toBe('sealed')
    // The task's result is the answer after the re-prompt, not the cut one.
    expect(worker.result).toBe('Implemented t1 in two answers.')
    expect(requestsOf(model, `worker:${marker}`)).toHaveLength(2)
    expect(requestsOf(model, `worker:${marker}`)[1]!.summary!.lastUserMessage).toContain('[orchestrator] Recovery: your previous turn failed (output-length')
    expect(log).toEqual(['recovery-start:output-length:retry', 'recovery-end:output-length:recovered'])
    expect(notices).toEqual(['Answer hit the output limit — retrying now (attempt 1/3)'])
  })

  it('every answer cut at the output limit: after 3 attempts recovery gives up and says so', async () => {
    const marker = 'paths-cap'
    scriptMission(marker)
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: { text: 'Still not done and', finishReason: 'length' } })
    const { worker, notices, log } = await runMission(marker)
    expect(requestsOf(model, `worker:${marker}`)).toHaveLength(4)
    const retry = 'recovery-start:output-length:retry'
    expect(log).toEqual([retry, retry, retry, 'recovery-end:output-length:gave-up'])
    expect(notices).toEqual([
      'Answer hit the output limit — retrying now (attempt 1/3)',
      'Answer hit the output limit — retrying now (attempt 2/3)',
      'Answer hit the output limit — retrying now (attempt 3/3)',
      'Recovery gave up — answer hit the output limit: output-length: 3 recovery attempts used (limit 3).',
    ])
    // The Worker's task fails with the reason (not "completed" with a cut answer); the Commander decides what next.
    expect(worker.status).toBe('failed')
    expect(worker.error?.code).toBe('recovery-gave-up')
  })

  it('an error nobody recognises (400): not retried, the Worker fails, the Commander goes on', async () => {
    const marker = 'paths-unknown'
    scriptMission(marker)
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: [{ error: { status: 400, body: { error: { message: 'Unsupported parameter: frobnicate', type: 'invalid_request_error' } } } }, { text: 'Implemented t1.' }],
    })
    const { worker, notices, log } = await runMission(marker)
    // Not retried (OpenCode did not say it is retryable): one request, a lone "skipped", the task failed with the reason.
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([400])
    expect(log).toEqual(['recovery-end:unknown:skipped'])
    expect(notices).toEqual([])
    expect(worker.status).toBe('failed')
    expect(worker.error).toEqual({ code: 'APIError', message: 'APIError: Unsupported parameter: frobnicate' })
  })

  it('a Worker aborted mid-answer (Esc in its session): never retried, its task is cancelled, nothing re-prompts it', async () => {
    const marker = 'paths-aborted'
    scriptMission(marker)
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: { hang: true } })
    const since = toasts(server).length
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const workerOf = () => journalOf(server.directory, rootSessionId)?.tasks.find((task) => task.agent === 'worker')
    await until(context(), () => requestsOf(model, `worker:${marker}`).length === 1 && workerOf()?.sessionId !== undefined, 30_000, 'the Worker is answering')
    const workerSessionId = workerOf()!.sessionId!
    await server.client.session.abort({ sessionID: workerSessionId })
    await until(context(), () => workerOf()?.status !== 'running', 30_000, 'the Worker task ended')
    const record = journalOf(server.directory, rootSessionId)!
    const worker = record.tasks.find((task) => task.agent === 'worker')!
    expect(worker.status).toBe('cancelled')
    await until(context(), () => episodes(record.id, workerSessionId).length > 0, 10_000, 'the recovery decision')
    expect(episodes(record.id, workerSessionId)).toEqual(['recovery-end:aborted:skipped'])
    expect(recoveryToasts(since).filter((message) => message.startsWith('Model call aborted'))).toEqual([])
    // Nothing talks to the aborted Worker again.
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(requestsOf(model, `worker:${marker}`)).toHaveLength(1)
    await server.client.session.abort({ sessionID: rootSessionId })
  })
})
