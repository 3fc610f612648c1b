import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { OrchestratorError, createLogger, createSequentialIds } from '@opencode-orchestrator/core'
import type { BackgroundJob, BackgroundManager, CreateBackgroundManagerOptions } from './background-manager'
import { createBackgroundManager } from './background-manager'
import { isPidAlive } from './process-probe.test-helper'
import { createProcessRunner } from './process-runner'
import type { NodeProcessRunner } from './process-runner'

const logger = createLogger(() => {})
let cwd: string
let runner: NodeProcessRunner
let managers: BackgroundManager[] = []
let now = 1_000

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'background-manager-'))
})

afterEach(async () => {
  await Promise.all(managers.map((manager) => manager.disposeAll()))
  managers = []
  await runner?.disposeAll({ signal: 'SIGKILL' })
})

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true })
})

function makeManager(options: Partial<CreateBackgroundManagerOptions> = {}) {
  runner = createProcessRunner({ logger, killGraceMs: 300 })
  const manager = createBackgroundManager({
    runner,
    clock: { now: () => now },
    ids: createSequentialIds(),
    logger,
    maxPerSession: 5,
    outputLimitBytes: 1024,
    ...options,
  })
  managers.push(manager)
  return manager
}

async function ended(manager: BackgroundManager, jobId: string): Promise<BackgroundJob> {
  await vi.waitFor(() => expect(manager.list().find((job) => job.id === jobId)?.status).not.toBe('running'), { timeout: 10_000, interval: 10 })
  return manager.list().find((job) => job.id === jobId)!
}

describe('createBackgroundManager', () => {
  it('runs a command, keeps its output and records how it ended', async () => {
    const endings: BackgroundJob[] = []
    const manager = makeManager({ onJobEnd: (job) => endings.push(job) })
    const job = await manager.run({ missionId: 'm1', sessionId: 's1', command: 'echo building; echo failed >&2; exit 2', cwd })
    expect(job).toMatchObject({ id: 'bg_1', missionId: 'm1', sessionId: 's1', status: 'running', exitCode: null, startedAt: 1_000 })
    expect(job.pid).toBeGreaterThan(1)
    now = 5_000
    const done = await ended(manager, job.id)
    expect(done).toMatchObject({ status: 'exited', exitCode: 2, signal: null, endedAt: 5_000 })
    expect(endings).toEqual([done])

    const output = manager.output(job.id)
    expect(output.text.split('\n').sort()).toEqual(['', 'building', 'failed'])
    expect(output.truncated).toBe(false)
    expect(output.job.status).toBe('exited')
    expect(manager.output(job.id, { sinceByte: output.nextByte }).text).toBe('')
    expect(manager.output(job.id, { tailBytes: 3 }).text.length).toBe(3)
    // Snapshots: changing one changes nothing inside.
    done.status = 'running'
    expect(manager.runningCount('m1')).toBe(0)
  })

  it('refuses more than maxPerSession running jobs per session, naming the config key', async () => {
    const manager = makeManager({ maxPerSession: 2 })
    const attempts = await Promise.allSettled(
      Array.from({ length: 4 }, () => manager.run({ missionId: 'm1', sessionId: 's1', command: 'sleep 30', cwd })),
    )
    expect(attempts.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(2)
    const refused = attempts.find((attempt) => attempt.status === 'rejected')
    const error = refused?.status === 'rejected' ? (refused.reason as unknown) : undefined
    expect(OrchestratorError.hasCode(error, 'limit-exceeded')).toBe(true)
    expect((error as OrchestratorError).message).toContain('background.maxPerSession = 2')
    expect((error as OrchestratorError).details).toMatchObject({ limit: 'background.maxPerSession', value: 2, sessionId: 's1' })

    // Another session of the same mission has its own allowance.
    await manager.run({ missionId: 'm1', sessionId: 's2', command: 'sleep 30', cwd })
    expect(manager.runningCount('m1')).toBe(3)

    const [first] = manager.list({ sessionId: 's1' })
    expect((await manager.kill(first!.id)).status).toBe('killed')
    await expect(manager.run({ missionId: 'm1', sessionId: 's1', command: 'sleep 30', cwd })).resolves.toMatchObject({ status: 'running' })
  })

  it('killMission ends every job of the mission, grandchildren included, and leaves other missions alone', async () => {
    const endings: string[] = []
    const manager = makeManager({ onJobEnd: (job) => endings.push(job.id) })
    const a1 = await manager.run({ missionId: 'a', sessionId: 's1', command: 'sleep 30 & echo $!; sleep 30', cwd })
    const a2 = await manager.run({ missionId: 'a', sessionId: 's2', command: "trap '' TERM; sleep 30", cwd })
    const b1 = await manager.run({ missionId: 'b', sessionId: 's3', command: 'sleep 30', cwd })
    await vi.waitFor(() => expect(manager.output(a1.id).text).toMatch(/^\d+\n/), { timeout: 10_000, interval: 10 })
    const grandchild = Number(manager.output(a1.id).text.trim())
    expect(manager.runningCount('a')).toBe(2)

    const killed = await manager.killMission('a')
    expect(killed.map((job) => [job.id, job.status]).sort()).toEqual([
      [a1.id, 'killed'],
      [a2.id, 'killed'],
    ])
    expect(killed.every((job) => job.endedAt !== undefined && job.signal !== null)).toBe(true)
    for (const pid of [a1.pid, a2.pid, grandchild]) expect(isPidAlive(pid)).toBe(false)
    expect(manager.runningCount('a')).toBe(0)
    expect(manager.runningCount('b')).toBe(1)
    expect(isPidAlive(b1.pid)).toBe(true)
    expect(endings.sort()).toEqual([a1.id, a2.id].sort())
    expect(await manager.killMission('a')).toEqual([])
  })

  it('killMission also ends what an exited command left running in its group', async () => {
    const manager = makeManager()
    const job = await manager.run({ missionId: 'm', sessionId: 's', command: 'sleep 30 & echo $!', cwd })
    expect((await ended(manager, job.id)).status).toBe('exited')
    const daemon = Number(manager.output(job.id).text.trim())
    expect(isPidAlive(daemon)).toBe(true)
    expect(await manager.killMission('m')).toEqual([])
    expect(isPidAlive(daemon)).toBe(false)
    expect(manager.list()[0]?.status).toBe('exited')
  })

  it('killSession ends only that session’s jobs', async () => {
    const manager = makeManager()
    await manager.run({ missionId: 'm', sessionId: 's1', command: 'sleep 30', cwd })
    await manager.run({ missionId: 'm', sessionId: 's2', command: 'sleep 30', cwd })
    const killed = await manager.killSession('s1')
    expect(killed.map((job) => job.sessionId)).toEqual(['s1'])
    expect(manager.list({ sessionId: 's2' })[0]?.status).toBe('running')
    expect(manager.list({ missionId: 'm' }).map((job) => job.status)).toEqual(['killed', 'running'])
  })

  it('reports a command that cannot start and lists it as failed', async () => {
    const endings: BackgroundJob[] = []
    const manager = makeManager({ onJobEnd: (job) => endings.push(job) })
    const error = await manager.run({ missionId: 'm', sessionId: 's', command: 'true', cwd: join(cwd, 'missing') }).catch((caught: unknown) => caught)
    expect(OrchestratorError.hasCode(error, 'invalid-argument')).toBe(true)
    expect((error as Error).message).toContain('missing')
    const [job] = manager.list()
    expect(job).toMatchObject({ status: 'failed', pid: 0 })
    expect(job?.error).toContain('missing')
    expect(endings).toHaveLength(1)
    expect(manager.runningCount('m')).toBe(0)
    await expect(manager.kill(job!.id)).resolves.toMatchObject({ status: 'failed' })
  })

  it('keeps only the newest finished jobs', async () => {
    const manager = makeManager({ maxFinishedJobs: 3 })
    for (let index = 0; index < 5; index += 1) {
      const job = await manager.run({ missionId: 'm', sessionId: 's', command: `exit ${index}`, cwd })
      await ended(manager, job.id)
    }
    expect(manager.list().map((job) => [job.id, job.exitCode])).toEqual([
      ['bg_3', 2],
      ['bg_4', 3],
      ['bg_5', 4],
    ])
    expect(() => manager.output('bg_1')).toThrow(/No background job "bg_1"/)
  })

  it('rejects bad input, naming the field', async () => {
    expect(() => makeManager({ maxPerSession: 0 })).toThrow(/maxPerSession/)
    const manager = makeManager()
    await expect(manager.run({ missionId: 'm', sessionId: '', command: 'true', cwd })).rejects.toThrow(/sessionId/)
    await expect(manager.kill('bg_404')).rejects.toThrow(/bg_404/)
  })

  it('a throwing onJobEnd is logged, not fatal', async () => {
    const logged: string[] = []
    runner = createProcessRunner({ logger })
    const manager = createBackgroundManager({
      runner,
      clock: { now: () => now },
      ids: createSequentialIds(),
      logger: createLogger((entry) => logged.push(entry.message)),
      maxPerSession: 1,
      outputLimitBytes: 64,
      onJobEnd: () => {
        throw new Error('listener broke')
      },
    })
    managers.push(manager)
    const job = await manager.run({ missionId: 'm', sessionId: 's', command: 'true', cwd })
    expect((await ended(manager, job.id)).status).toBe('exited')
    expect(logged).toContain('onJobEnd callback threw')
  })

  it('answers a run only after onJobStart recorded the job (a SIGKILL after the answer cannot lose it), and logs a failed record', async () => {
    const logged: string[] = []
    let recorded: () => void = () => undefined
    const recording = new Promise<void>((resolve) => (recorded = resolve))
    const manager = makeManager({ logger: createLogger((entry) => logged.push(entry.message)), onJobStart: () => recording })
    let answered = false
    const running = manager.run({ missionId: 'm', sessionId: 's', command: 'sleep 5', cwd }).then((job) => {
      answered = true
      return job
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(answered).toBe(false)
    recorded()
    expect((await running).status).toBe('running')

    const failing = makeManager({ logger: createLogger((entry) => logged.push(entry.message)), onJobStart: () => Promise.reject(new Error('disk full')) })
    expect((await failing.run({ missionId: 'm', sessionId: 's2', command: 'sleep 5', cwd })).status).toBe('running')
    expect(logged).toContain('onJobStart callback threw')
  })

  it('disposeAll kills everything and refuses new jobs', async () => {
    const manager = makeManager()
    const jobs = [
      await manager.run({ missionId: 'm1', sessionId: 's1', command: 'sleep 30', cwd }),
      await manager.run({ missionId: 'm2', sessionId: 's2', command: 'sleep 30', cwd }),
    ]
    await manager.disposeAll()
    expect(manager.list().map((job) => job.status)).toEqual(['killed', 'killed'])
    for (const job of jobs) expect(isPidAlive(job.pid)).toBe(false)
    await expect(manager.run({ missionId: 'm1', sessionId: 's1', command: 'true', cwd })).rejects.toThrow(/shut down/)
  })
})
