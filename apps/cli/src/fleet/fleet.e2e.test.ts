import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fleetKeys, type FleetJobView } from '@opencode-orchestrator/fleet'
import type { ScriptedModelRequest } from '@opencode-orchestrator/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createFleetFixture, type FleetFixture } from './test-support/fleet-fixture'
import { childTaskSpans, directoryOf, fleetGoal, missionOf, peakConcurrency, requestSpans } from './test-support/fleet-team'

/*
 * The fleet on this machine: one redis-server, three `orchestrator fleet
 * worker` processes (concurrency 3, each with its own OpenCode server), the
 * scripted model, and a local bare repository that receives every result.
 */

const MISSIONS = Number(process.env['FLEET_E2E_MISSIONS'] ?? 20)
let fleet: FleetFixture
let workers: Array<Awaited<ReturnType<FleetFixture['startWorker']>>> = []

beforeAll(async () => {
  // Children answer after 1 s: nine missions at once would have up to nine children in flight without the cap.
  fleet = await createFleetFixture({ slowMs: 8_000, childDelayMs: 1_000 })
  // One at a time: three OpenCode servers starting at once on two shared cores only slows each other down.
  for (const name of ['w1', 'w2', 'w3']) workers.push(await fleet.startWorker(name, { concurrency: 3, providerCap: 4, lockMs: 4_000 }))
}, 300_000)

afterAll(async () => {
  await fleet?.dispose()
}, 60_000)

async function cliJson<T>(args: readonly string[]): Promise<T> {
  const run = fleet.cli(args)
  const code = await run.exited
  if (code !== 0) throw new Error(`orchestrator fleet ${args.join(' ')} exited ${code}: ${run.stderr()}`)
  return JSON.parse(run.lines.find((line) => line.startsWith('{')) ?? 'null') as T
}

const requestsOf = (n: number) => fleet.model.requests.filter((request) => missionOf(request) === n)
const workerOfDirectory = (directory: string | undefined) => workers.find((worker) => directory?.startsWith(`${worker.workdir}/`))?.name

describe('fleet e2e', () => {
  it(`runs ${MISSIONS} missions from a JSONL file on three workers: all sealed, each a branch in the bare repository, reports in status --json; the provider cap of 4 holds fleet-wide`, async () => {
    const file = join(fleet.setup.home, 'missions.jsonl')
    writeFileSync(file, Array.from({ length: MISSIONS }, (_, index) => JSON.stringify({ goal: fleetGoal(index + 1) })).join('\n'))
    const submitted = await cliJson<{ jobs: Array<{ id: string; goal: string }> }>(['submit', '--from-file', file, '--repo', fleet.origin, '--ref', 'main', '--json'])
    expect(submitted.jobs).toHaveLength(MISSIONS)
    const ids = submitted.jobs.map((job) => job.id)
    await fleet.waitForJobs(ids, (job) => job.state === 'completed' || job.state === 'failed', 1_200_000)

    const status = await cliJson<{ jobs: Array<FleetJobView & { reportUrl?: string }> }>(['status', '--json'])
    const byId = new Map(status.jobs.map((job) => [job.id, job]))
    const branches = execFileSync('git', ['for-each-ref', '--format=%(refname:short)', 'refs/heads/orchestrator/'], { cwd: fleet.origin, encoding: 'utf8' }).trim().split('\n')
    for (const [index, id] of ids.entries()) {
      const job = byId.get(id)
      expect(job?.state, `${id}: ${job?.failedReason}`).toBe('completed')
      expect(job?.result).toMatchObject({ state: 'sealed', branch: `orchestrator/${id}`, todos: { verified: 1, total: 1, failed: 0 } })
      expect(job?.reportUrl).toBe(`/reports/${id}`)
      expect(branches).toContain(`orchestrator/${id}`)
      // The branch holds the Worker's file and the mission's journal and report.
      const files = execFileSync('git', ['ls-tree', '-r', '--name-only', `orchestrator/${id}`], { cwd: fleet.origin, encoding: 'utf8' })
      expect(files).toContain(`FLEET-${index + 1}.md`)
      expect(files).toContain(job?.result?.reportPath ?? 'report.html')
      expect(job?.result?.reportPath).toMatch(/^\.opencode\/orchestrator\/missions\/.+\/report\.html$/)
    }
    // Work was spread over the workers.
    expect(new Set(status.jobs.filter((job) => ids.includes(job.id)).map((job) => job.result?.worker)).size).toBeGreaterThan(1)
    // Fleet-wide cap: provider `fake` (every agent but the Commander, which runs on `lead`) never saw more than 4 requests at once.
    const fake = fleet.model.requests.filter((request) => request.summary?.model === 'fake-model')
    expect(fake.length).toBeGreaterThan(MISSIONS * 3)
    expect(peakConcurrency(requestSpans(fake))).toBeLessThanOrEqual(4)
    // The cap was reached and held: with nine missions in flight, four delegated tasks of `fake` talked to the model at once, never five.
    expect(peakConcurrency(childTaskSpans(fake))).toBe(4)
    // Job directories are removed after the push: no clone is left (no work tree, no .git). Known gap: the plugin of a
    // disposed OpenCode instance may still write its own state late (e.g. the task archive), which can bring back
    // `repo/.opencode/orchestrator/…` only; the worker sweeps that for a few seconds (see the report of issue 15).
    // The worker's own OpenCode server runs in the work folder, and the plugin it loads there keeps its instance
    // lock and the folder's .gitignore in `.opencode/orchestrator/` of that folder: not a job's leftover.
    const leftovers = () =>
      workers.flatMap((worker) =>
        spawnSync('find', [worker.workdir, '-mindepth', '1', '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean).map((path) => path.slice(worker.workdir.length + 1)),
      )
    const sweepDeadline = Date.now() + 15_000
    while (leftovers().length > 0 && Date.now() < sweepDeadline) await new Promise((resolve) => setTimeout(resolve, 250))
    expect(leftovers().filter((path) => !/^(fm-[^/]+\/repo\/)?\.opencode\/orchestrator\//.test(path))).toEqual([])
  }, 1_500_000)

  it('the dashboard (Bull Board) lists the jobs with a link to each mission report, checked in headless Chromium', async () => {
    const dashboard = fleet.cli(['dashboard', '--port', '0'])
    try {
      const line = await dashboard.waitForLine((text) => text.startsWith('Fleet dashboard:'), 'dashboard url', 30_000)
      const base = /(http:\/\/\S+)\/ui/.exec(line)?.[1]
      expect(base).toBeDefined()
      const jobs = await fleet.queue.list()
      const sealed = jobs.find((job) => job.state === 'completed')!
      const profile = mkdtempSync(join(tmpdir(), 'fleet-chromium-'))
      const chromium = (url: string) =>
        execFileSync(
          '/usr/bin/chromium',
          ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--virtual-time-budget=10000', '--dump-dom', url],
          { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'ignore'] },
        )
      try {
        const board = chromium(`${base}/ui/queue/${encodeURIComponent(fleet.queueName)}?status=completed`)
        expect(board).toContain(sealed.id)
        expect(board).toContain(`href="/reports/${sealed.id}"`)
        const report = chromium(`${base}/reports/${sealed.id}`)
        expect(report).toContain(sealed.spec.goal)
      } finally {
        rmSync(profile, { recursive: true, force: true })
      }
    } finally {
      dashboard.child.kill('SIGTERM')
      await dashboard.exited
    }
  }, 180_000)

  it('SIGKILL of a worker mid-mission: the mission completes on another worker, never on two at once', async () => {
    const n = 101
    const submitted = await cliJson<{ jobs: Array<{ id: string }> }>(['submit', '--repo', fleet.origin, '--json', fleetGoal(n, { slow: true })])
    const id = submitted.jobs[0]!.id
    // Mid-mission: the Worker's slow write is in flight.
    let victim: (typeof workers)[number] | undefined
    const deadline = Date.now() + 120_000
    while (victim === undefined) {
      const busy = requestsOf(n).find((request) => request.rule === 'fleet:worker' && request.endedAt === undefined)
      victim = busy === undefined ? undefined : workers.find((worker) => worker.name === workerOfDirectory(directoryOf(busy)))
      if (Date.now() > deadline) throw new Error('the slow mission never reached its Worker step')
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    victim.run.child.kill('SIGKILL')
    const killedAt = Date.now()
    const [job] = await fleet.waitForJobs([id], (item) => item.state === 'completed' || item.state === 'failed', 180_000)
    expect(job?.state, job?.failedReason).toBe('completed')
    expect(job?.result?.state).toBe('sealed')
    expect(job?.result?.worker).not.toContain(String(victim.run.pid))
    expect(job?.attempts).toBeGreaterThanOrEqual(2)
    // From the model's log: the attempts (one OpenCode instance directory each) never overlap in time.
    const attempts = new Map<string, ScriptedModelRequest[]>()
    for (const request of requestsOf(n)) {
      const directory = directoryOf(request) ?? 'unknown'
      attempts.set(directory, [...(attempts.get(directory) ?? []), request])
    }
    expect(attempts.size).toBeGreaterThanOrEqual(2)
    const spans = [...attempts.values()].map((requests) => ({ start: Math.min(...requests.map((r) => r.receivedAt)), end: Math.max(...requests.map((r) => r.endedAt ?? Number.POSITIVE_INFINITY)) })).sort((a, b) => a.start - b.start)
    for (let index = 1; index < spans.length; index++) expect(spans[index]!.start).toBeGreaterThanOrEqual(spans[index - 1]!.end)
    expect(spans[1]!.start).toBeGreaterThanOrEqual(killedAt)
    workers = workers.filter((worker) => worker !== victim)
  }, 300_000)

  it('fleet cancel stops a running mission within 1 s, with no model request after', async () => {
    const n = 202
    const submitted = await cliJson<{ jobs: Array<{ id: string }> }>(['submit', '--repo', fleet.origin, '--json', fleetGoal(n, { slow: true })])
    const id = submitted.jobs[0]!.id
    const deadline = Date.now() + 120_000
    while (!requestsOf(n).some((request) => request.rule === 'fleet:worker' && request.endedAt === undefined)) {
      if (Date.now() > deadline) throw new Error('the slow mission never reached its Worker step')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    // The moment the cancel goes out to the workers, as they hear it (the CLI's own start-up is not the worker's stop time).
    const listener = new Redis(fleet.redis.url)
    const published = new Promise<number>((resolve) => listener.on('message', () => resolve(Date.now())))
    await listener.subscribe(fleetKeys({ queueName: fleet.queueName }).cancelChannel)
    const answer = await cliJson<{ outcome: string }>(['cancel', id, '--json'])
    expect(answer.outcome).toBe('stop-sent')
    const cancelledAt = await published
    listener.disconnect()
    const [job] = await fleet.waitForJobs([id], (item) => item.state === 'cancelled' || item.state === 'failed' || item.state === 'completed', 60_000)
    expect(job?.state).toBe('cancelled')
    expect(job?.result?.state).toBe('stopped')
    // Every request of the mission ended within 1 s of the cancel (the in-flight one was cut), and none came after.
    const requests = requestsOf(n)
    const lastEnd = Math.max(...requests.map((request) => request.endedAt ?? Number.POSITIVE_INFINITY))
    expect(lastEnd - cancelledAt).toBeLessThan(1_000)
    await new Promise((resolve) => setTimeout(resolve, 2_000))
    expect(requestsOf(n).filter((request) => request.receivedAt > lastEnd)).toEqual([])
  }, 300_000)
})

