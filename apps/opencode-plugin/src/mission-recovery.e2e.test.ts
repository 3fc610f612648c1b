import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import {
  delegateCall,
  journalOf,
  requestsOf,
  scriptCommander,
  scriptPlanner,
  scriptReviewer,
  startTask,
  waitForToastMatching,
  toasts,
  until,
  waitForFinalJournal,
} from './test-support/lifecycle-team'

/*
 * Recovery inside a mission on a real OpenCode server: a Worker whose model
 * overflows its context is compacted and resumes in role; one that is rate
 * limited is retried and the mission still seals; one whose provider rejects
 * the API key fails the mission at once — the Commander is told why, the user
 * sees the reason, and nothing talks to the model afterwards.
 */


let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { continuation: { cooldownMs: 200 } } }))
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })

/** Where the plugin writes a mission's files, relative to the project (what the notices name). */
const missionFolder = (missionId: string) => `.opencode/orchestrator/missions/${missionId}`

/** The mission's event log (`events.jsonl`): recovery episodes with the plugin's clock. */
function recoveryLog(missionId: string): Array<{ at: number; type: string; kind: string; action?: string; outcome?: string }> {
  const path = join(server.directory, missionFolder(missionId), 'events.jsonl')
  if (!existsSync(path)) return []
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as { at: number; type: string; kind: string; action?: string; outcome?: string })
    .filter((entry) => entry.type === 'recovery-start' || entry.type === 'recovery-end')
}

/** Recovery notices of the session's mission (warnings and errors that are not terminal notices). */
const recoveryToasts = () => toasts(server).filter((toast) => toast.title.startsWith('Orchestrator') && toast.variant !== 'info')

/** plan t1 → worker t1 → reviewer t1 → seal; the Worker's answers come from `worker`. */
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

const OVERFLOW_BODY = {
  error: {
    message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
    type: 'invalid_request_error',
    code: 'context_length_exceeded',
  },
}

describe.concurrent('recovery inside a mission on a real OpenCode server', () => {
  it('context overflow in a Worker: OpenCode compacts, the Worker resumes in role, the mission seals', async () => {
    const marker = 'rec-overflow'
    scriptMission(marker)
    let workerCalls = 0
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      // The resumed answer takes 1.5 s: the recovery episode must end when OpenCode reports the session busy again, not when this turn ends.
      respond: () => (++workerCalls === 1 ? { error: { status: 400, body: OVERFLOW_BODY } } : { text: 'Implemented t1 after the compaction.', delays: { beforeFirstChunkMs: 1500 } }),
    })
    // OpenCode's own compaction agent writes the summary; the marker keeps the compacted history on this script.
    model.addRule({
      name: `compaction:${marker}`,
      match: { system: 'context summarization agent', marker },
      respond: { text: `## Objective\n- Implement t1 (${marker}).\n## Progress\n- Nothing done yet.` },
    })
    const mark = server.events.mark()
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('sealed')

    const worker = record.tasks.find((task) => task.agent === 'worker')!
    expect(worker.status).toBe('completed')
    expect(worker.result).toBe('Implemented t1 after the compaction.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([400, 200])
    // OpenCode compacted the Worker's session by itself, with the orchestrator's context in the summary request…
    expect(server.events.all.some((recorded) => recorded.index >= mark && recorded.event.type === 'session.compacted' && recorded.event.properties.sessionID === worker.sessionId)).toBe(true)
    const [compaction] = requestsOf(model, `compaction:${marker}`)
    expect(JSON.stringify(compaction!.summary!.body)).toContain(`You are the worker of mission ${record.id}`)
    // …and the resumed turn ran as the Worker again (its system prompt), on the compacted history.
    const resumed = requestsOf(model, `worker:${marker}`)[1]!
    expect(resumed.summary!.system).toContain('You are a Worker')
    expect(JSON.stringify(resumed.summary!.body)).toContain(`Implement t1 (${marker})`)
    expect(requestsOf(model, `worker:${marker}`)[1]!.receivedAt).toBeGreaterThan(compaction!.endedAt!)

    // Every word true: the notice says OpenCode compacts (it does, at once), not "retrying in 30 s (attempt 0/3)".
    const overflowNotices = recoveryToasts().filter((toast) => toast.message.startsWith('Context window full'))
    const log = recoveryLog(record.id)
    console.info(`[overflow] recovery notices: ${JSON.stringify(overflowNotices.map((toast) => toast.message))}`)
    console.info(`[overflow] episodes: ${JSON.stringify(log.map((entry) => `${entry.type}:${entry.action ?? entry.outcome} ${entry.at - resumed.endedAt!} ms after the resumed answer ended`))}`)
    expect(overflowNotices.map((toast) => toast.message)).toContain('Context window full — OpenCode is compacting the session; the work resumes after it')
    expect(overflowNotices.some((toast) => /retrying in|attempt 0/.test(toast.message))).toBe(false)
    // The episode ended when the session was busy again after the compaction, before the resumed answer finished.
    expect(log.map((entry) => `${entry.type}:${entry.kind}:${entry.action ?? entry.outcome}`)).toEqual(['recovery-start:context-overflow:host-compaction', 'recovery-end:context-overflow:recovered'])
    expect(log[1]!.at).toBeLessThan(resumed.endedAt!)
  })

  it("context overflow whose compaction overflows too: recovery gives up, the Worker's task fails with the reason, the user is told", async () => {
    const marker = 'rec-twice-overflow'
    scriptMission(marker)
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: { error: { status: 400, body: OVERFLOW_BODY } } })
    // OpenCode's own compaction request is too large as well.
    model.addRule({ name: `compaction:${marker}`, match: { system: 'context summarization agent', marker }, respond: { error: { status: 400, body: OVERFLOW_BODY } } })
    const since = toasts(server).length
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const worker = await (async () => {
      await until(context(), () => ['failed', 'completed', 'cancelled'].includes(journalOf(server.directory, rootSessionId)?.tasks.find((task) => task.agent === 'worker')?.status ?? ''), 30_000, 'the Worker task ended')
      return journalOf(server.directory, rootSessionId)!.tasks.find((task) => task.agent === 'worker')!
    })()
    const reason = 'Context overflow: OpenCode could not compact the session (still too large for the model). Split the work into smaller tasks or use a model with a larger context.'
    expect(worker.status).toBe('failed')
    // The task carries OpenCode's own words for the second overflow; the give-up notice says what to do.
    expect(worker.error).toEqual({ code: 'ContextOverflowError', message: 'ContextOverflowError: Session too large to compact - context exceeds model limit even after stripping media' })
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([400])
    expect(requestsOf(model, `compaction:${marker}`).map((request) => request.status)).toEqual([400])
    const missionId = journalOf(server.directory, rootSessionId)!.id
    // The event log is appended after the events it records: wait for the episode's end to be written.
    await until(context(), () => recoveryLog(missionId).some((entry) => entry.type === 'recovery-end'), 10_000, 'the recovery end in the event log')
    expect(recoveryLog(missionId).filter((entry) => entry.type.startsWith('recovery')).map((entry) => `${entry.type}:${entry.kind}:${entry.action ?? entry.outcome}`)).toEqual([
      'recovery-start:context-overflow:host-compaction',
      'recovery-end:context-overflow:gave-up',
    ])
    // The toast is cut at the toast limit (the advice's tail is in the report and the log).
    const giveUpNotice = () => toasts(server).slice(since).find((toast) => toast.message.startsWith('Recovery gave up — context window full: Context overflow: OpenCode could not compact the session'))
    await until(context(), () => giveUpNotice() !== undefined, 10_000, 'the give-up notice')
    const notice = giveUpNotice()!
    expect(notice.variant).toBe('error')
    expect(`Recovery gave up — context window full: ${reason}`.startsWith(notice.message.replace(/…$/, ''))).toBe(true)
    await server.client.session.abort({ sessionID: rootSessionId })
  })

  it('a Worker rate limited twice: OpenCode retries (honouring retry-after-ms), the mission seals', async () => {
    const marker = 'rec-429'
    scriptMission(marker)
    const limited = { error: { status: 429, body: { error: { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' } }, headers: { 'retry-after-ms': '50' } } }
    // The answer after the retries takes 1.5 s: "1 retrying" must be gone while it is being written.
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: [limited, limited, { text: 'Implemented t1 after two rate limits.', delays: { beforeFirstChunkMs: 1500 } }] })
    const mark = server.events.mark()
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('sealed')
    const worker = record.tasks.find((task) => task.agent === 'worker')!
    expect(worker.status).toBe('completed')
    expect(worker.result).toBe('Implemented t1 after two rate limits.')
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([429, 429, 200])
    // The host did the retrying (visible as retry status), not a second loop of ours on top of it.
    const retries = server.events.all.filter(
      (recorded) => recorded.index >= mark && recorded.event.type === 'session.status' && recorded.event.properties.sessionID === worker.sessionId && recorded.event.properties.status.type === 'retry',
    )
    expect(retries.length).toBeGreaterThanOrEqual(2)

    // Each OpenCode retry is one recovery episode, ended by the busy that follows it (retry → busy),
    // not by the end of the turn: both ended before the answer after them was finished.
    const log = recoveryLog(record.id)
    const answer = requestsOf(model, `worker:${marker}`)[2]!
    const notices = recoveryToasts().filter((toast) => toast.message.startsWith('Rate limited'))
    console.info(`[429] recovery notices: ${JSON.stringify(notices.map((toast) => toast.message))}`)
    console.info(`[429] episodes: ${JSON.stringify(log.map((entry) => `${entry.type}:${entry.action ?? entry.outcome} ${entry.at - answer.endedAt!} ms after the answer ended`))}`)
    expect(log.map((entry) => `${entry.type}:${entry.action ?? entry.outcome}`)).toEqual(['recovery-start:host-retry', 'recovery-end:recovered', 'recovery-start:host-retry', 'recovery-end:recovered'])
    expect(log[3]!.at).toBeLessThan(answer.endedAt!)
    expect(notices.length).toBeGreaterThan(0)
    for (const notice of notices) expect(notice.message).toMatch(/^Rate limited by fake — OpenCode retries (now|in [\d.]+ s) \(OpenCode retry [12]\)$/)
  })

  it('a Worker whose provider rejects the API key: the Commander is told why at once, the user sees it, the mission fails and goes quiet', async () => {
    const marker = 'rec-401'
    scriptMission(marker)
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: { error: { status: 401, body: { error: { message: 'Incorrect API key provided: sk-test.', type: 'invalid_request_error', code: 'invalid_api_key' } } } },
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const record = await waitForFinalJournal(context(), rootSessionId)
    const [rejected] = requestsOf(model, `worker:${marker}`)
    const fix = "The provider 'fake' rejected the API key (401). Fix: run `opencode auth login fake` or set the key, then /task again."

    // The mission failed at once (no retries of a request that cannot succeed), the reason says what to fix.
    expect(record.state).toBe('failed')
    expect(record.end?.reason).toBe(fix)
    const worker = record.tasks.find((task) => task.agent === 'worker')!
    expect(worker.status).toBe('failed')
    expect(worker.error).toEqual({ code: 'auth', message: fix })
    expect(requestsOf(model, `worker:${marker}`).map((request) => request.status)).toEqual([401])

    // The Commander's session is told why, without a model call.
    await until(
      context(),
      async () => {
        const messages = (await server.client.session.messages({ sessionID: rootSessionId })).data ?? []
        return messages.some((message) => message.info.role === 'user' && message.parts.some((part) => part.type === 'text' && part.text.includes(`Task ${worker.id}`) && part.text.includes(fix)))
      },
      10_000,
      'the Commander was told why',
    )
    const errorEvent = server.events.all.find((recorded) => recorded.event.type === 'session.error' && recorded.event.properties.sessionID === worker.sessionId)
    const noteEvent = server.events.all.find(
      (recorded) =>
        recorded.event.type === 'message.part.updated' &&
        recorded.event.properties.part.sessionID === rootSessionId &&
        recorded.event.properties.part.type === 'text' &&
        recorded.event.properties.part.text.includes(fix),
    )
    // For the record (the benchmark owns the numbers): 401 answered → OpenCode's session.error → the note in the Commander's session.
    console.info(`[401] session.error ${errorEvent!.receivedAt - rejected!.endedAt!} ms after the 401, note in the Commander's session ${noteEvent!.receivedAt - errorEvent!.receivedAt} ms after that`)

    // The user sees the reason.
    const notice = await waitForToastMatching(context(), (toast) => toast.title.startsWith('Mission failed') && toast.message.includes('rejected the API key (401)'), 'the failure notice')
    expect(notice.variant).toBe('error')
    console.info(`[401] failure notice: ${JSON.stringify(notice.message)}`)
    // …and where the report is; the file is there.
    expect(notice.message).toContain(`Report: ${missionFolder(record.id)}/report.html`)
    await until(context(), () => existsSync(join(server.directory, missionFolder(record.id), 'report.html')), 10_000, 'the report named in the notice')
    // The 401 notice names no attempt (none was made) and the note has one period, not "sk-test..".
    const authNotices = recoveryToasts().filter((toast) => toast.message.startsWith('Authentication failed'))
    const rootMessages = (await server.client.session.messages({ sessionID: rootSessionId })).data ?? []
    const note = rootMessages.flatMap((message) => message.parts).find((part) => part.type === 'text' && part.text.includes(`Task ${worker.id}`))
    const noteText = note?.type === 'text' ? note.text : ''
    console.info(`[401] notices: ${JSON.stringify(authNotices.map((toast) => toast.message))}`)
    console.info(`[401] note: ${JSON.stringify(noteText)}`)
    expect(authNotices.length).toBeGreaterThan(0)
    for (const authNotice of authNotices) expect(authNotice.message).not.toMatch(/attempt/)
    expect(noteText).toContain('failed: Incorrect API key provided: sk-test.\n')
    expect(noteText).not.toContain('..')

    // Nothing talks to the model for this mission any more.
    const requestsNow = model.requests.filter((request) => request.rule?.endsWith(`:${marker}`)).length
    await new Promise((resolve) => setTimeout(resolve, 1000))
    expect(model.requests.filter((request) => request.rule?.endsWith(`:${marker}`)).length).toBe(requestsNow)
    expect(model.requests.filter((request) => request.rule?.endsWith(`:${marker}`)).at(-1)).toBe(rejected)
    expect(journalOf(server.directory, rootSessionId)?.state).toBe('failed')
  })
})
