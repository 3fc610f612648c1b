import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel, ScriptedResponse } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, startTask, toasts, waitForFinalJournal } from './test-support/lifecycle-team'

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

/** Recovery notices shown since `since` (toasts that are warnings or errors of the orchestrator). */
const recoveryToasts = (since: number) =>
  toasts(server)
    .slice(since)
    .filter((toast) => toast.title.startsWith('Orchestrator') && toast.variant !== 'info')
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
    expect(log).toEqual(['recovery-start:context-overflow:compact', 'recovery-end:context-overflow:recovered'])
    expect(notices).toContain('Context window full — compacting the session (attempt 1/3)')
    // The resumed turn got the plugin's resume prompt (role and task), not OpenCode's generic continuation.
    const resumed = requestsOf(model, `worker:${marker}`)[1]!
    console.info(`[${marker}] resume prompt ${JSON.stringify(resumed.summary!.lastUserMessage.slice(0, 300))}`)
    expect(resumed.summary!.lastUserMessage).toContain(record.id)
  })
})
