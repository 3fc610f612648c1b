import { existsSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, scriptCommander, scriptPlanner, scriptReviewer, scriptWorker, until, waitForFinalJournal } from './test-support/lifecycle-team'

/*
 * The report a real mission leaves, opened in Debian's Chromium: a mission stopped while its
 * Workers ran (cancelled, not failed), and one sealed, both started in a session that had plain
 * chat before `/task` (not the Commander's work: it must not stretch the timeline). Screenshots
 * go to apps/opencode-plugin/test-output/.
 */

const CHROMIUM = '/usr/bin/chromium'
const OUTPUT = resolve(dirname(fileURLToPath(import.meta.url)), '../test-output')
const CHAT_DELAY_MS = 1500

let model: ScriptedModel
let server: OpencodeServer
let browser: BrowserContext
let profile: string

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}. Install Debian's browser with: apt-get install -y chromium`)
  ;({ model, server } = await startPluginServer({ pluginOptions: { continuation: { cooldownMs: 200 } } }))
  profile = await mkdtemp(join(tmpdir(), 'orchestrator-report-profile-'))
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  })
  await mkdir(OUTPUT, { recursive: true })
})

afterAll(async () => {
  await browser?.close()
  if (profile) await rm(profile, { recursive: true, force: true })
  await stopPluginServer({ model, server })
})

const context = () => ({ model, server })

interface Timeline {
  start: number
  end: number
  mission: { createdAt: number; endedAt?: number; endReason?: string }
  lanes: Array<{ sessionId: string; agent: string; turns: number; errors: number; spans: Array<{ kind: string; status: string; start: number; label: string }> }>
}

/** Two plain-chat exchanges with the default agent, each answer taking 1.5 s; then `/task` in the same session. */
async function chatThenTask(marker: string, goal: string): Promise<string> {
  model.addRule({ name: `chat:${marker}`, match: { user: `Hello ${marker}` }, respond: { text: 'Plain chat answer.', delays: { beforeFirstChunkMs: CHAT_DELAY_MS } } })
  const created = await server.client.session.create({ title: `e2e: ${marker}` })
  const sessionID = created.data!.id
  for (const round of [1, 2]) await server.client.session.prompt({ sessionID, parts: [{ type: 'text', text: `Hello ${marker} (${round})` }] })
  void server.client.session.command({ sessionID, command: 'task', arguments: goal })
  return sessionID
}

async function missionFiles(missionId: string): Promise<{ timeline: Timeline; report: string }> {
  const folder = join(server.directory, '.opencode/orchestrator/missions', missionId)
  await until(context(), () => existsSync(join(folder, 'report.html')), 15_000, `the report of ${missionId}`)
  return { timeline: JSON.parse(readFileSync(join(folder, 'timeline.json'), 'utf8')) as Timeline, report: join(folder, 'report.html') }
}

async function screenshot(report: string, name: string) {
  const page = await browser.newPage()
  const problems: string[] = []
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load' })
  const path = join(OUTPUT, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  console.info(`[report] ${name}: ${path}`)
  return { page, problems }
}

describe('the report of a real mission in Chromium', () => {
  it('a mission stopped while its Workers ran, started after plain chat: Workers cancelled (not failed), the chat left out', async () => {
    const marker = 'report-stopped'
    scriptCommander(model, {
      marker,
      turn: (kind) => (kind === 'task' ? { toolCalls: [delegateCall('worker', 'part a', `Build part a [${marker}]`), delegateCall('worker', 'part b', `Build part b [${marker}]`)] } : { text: 'Noted.' }),
    })
    // The Workers write for a while, then hang: the stop cuts them mid-turn.
    model.addRule({ name: `worker:${marker}`, match: { system: 'You are a Worker', marker }, respond: { hang: true } })
    const rootSessionId = await chatThenTask(marker, `${marker}: build both parts`)
    await until(context(), () => model.requests.filter((request) => request.rule === `worker:${marker}`).length === 2, 30_000, 'both Workers running')
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' }).catch(() => undefined)
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('stopped')
    expect(record.tasks.map((task) => task.status)).toEqual(['cancelled', 'cancelled'])

    const { timeline, report } = await missionFiles(record.id)
    const chatStart = model.requests.find((request) => request.rule === `chat:${marker}`)!.receivedAt
    // The plain chat before /task is not in the timeline: the axis starts with the mission.
    expect(chatStart).toBeLessThan(timeline.mission.createdAt)
    expect(timeline.start).toBeGreaterThanOrEqual(timeline.mission.createdAt)
    const root = timeline.lanes.find((lane) => lane.sessionId === rootSessionId)!
    expect(root.spans.every((span) => span.start >= timeline.mission.createdAt)).toBe(true)
    // Cancelled Workers: their cut turns are cancelled spans, no errors.
    const workers = timeline.lanes.filter((lane) => lane.agent === 'worker')
    expect(workers).toHaveLength(2)
    for (const lane of workers) {
      expect(lane.errors).toBe(0)
      expect(lane.spans.some((span) => span.status === 'cancelled')).toBe(true)
      expect(lane.spans.some((span) => span.status === 'error')).toBe(false)
    }
    console.info(`[report] stopped: timeline ${((timeline.end - timeline.start) / 1000).toFixed(1)} s, mission ${(((timeline.mission.endedAt ?? timeline.end) - timeline.mission.createdAt) / 1000).toFixed(1)} s, chat began ${((timeline.mission.createdAt - chatStart) / 1000).toFixed(1)} s before /task`)

    const { page, problems } = await screenshot(report, 'report-stopped-after-chat')
    expect(problems).toEqual([])
    expect(await page.locator('svg.timeline .span.status-error').count()).toBe(0)
    expect(await page.locator('svg.timeline .span.status-cancelled').count()).toBeGreaterThan(0)
    expect(await page.locator('.legend').textContent()).toContain('cancelled (by the stop, not failed)')
    expect(await page.locator('table.tasks').textContent()).toContain('cancelled (not failed)')
    expect(await page.locator('.end-reason').textContent()).toBe('stopped by the user (/stop)')
  })

  it('a sealed mission started after plain chat: the timeline is the mission, the counters say what they count', async () => {
    const marker = 'report-sealed'
    scriptPlanner(model, { marker, todos: [{ id: 't1', title: 'Build the thing' }] })
    scriptWorker(model, { marker })
    scriptReviewer(model, { marker })
    scriptCommander(model, {
      marker,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1', 'Implement t1', ['t1'])] }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
        return { text: 'Every todo is verified.' }
      },
    })
    const rootSessionId = await chatThenTask(marker, `${marker}: build the thing`)
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('sealed')
    const { timeline, report } = await missionFiles(record.id)
    expect(timeline.start).toBeGreaterThanOrEqual(timeline.mission.createdAt)
    const { page, problems } = await screenshot(report, 'report-sealed-after-chat')
    expect(problems).toEqual([])
    // "sealed: …" is said once: the badge says the state, the reason does not repeat it.
    expect(await page.locator('.end-reason').textContent()).toBe('the todo is done and verified by the Reviewer')
    expect(await page.locator('.summary').textContent()).toContain('Continuations')
  })
})
