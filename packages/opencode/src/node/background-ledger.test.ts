import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createLogger, createMemoryStorage, systemClock, type LogLevel } from '@opencode-orchestrator/core'
import { createBackgroundLedger } from './background-ledger'
import { createFileStorage } from './file-storage'
import { isPidAlive } from './process-probe.test-helper'
import { readProcessIdentity } from './process-identity'

/*
 * Real processes: a detached shell with a grandchild stands for a background
 * command whose OpenCode was SIGKILLed. Only groups the ledger can prove were
 * started by a now-dead owner are killed.
 */

let root: string
const entries: Array<{ level: LogLevel; message: string }> = []
const logger = createLogger((entry) => entries.push(entry))
const spawned: number[] = []

/** A process group like the runner's: `sh` leads it, a grandchild sleeps in it. Resolves with the leader's and the grandchild's pids. */
async function startGroup(): Promise<{ leader: number; grandchild: number }> {
  const child = spawn('/bin/sh', ['-c', 'sleep 300 & echo $!; wait'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
  child.unref()
  const grandchild = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())))
    child.once('error', reject)
  })
  child.stdout.destroy()
  spawned.push(child.pid!)
  return { leader: child.pid!, grandchild }
}

const deadOwner = { pid: 2_147_000_000, startTicks: '1' }

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'background-ledger-'))
})

afterEach(() => {
  for (const pid of spawned.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  entries.length = 0
})

afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('background ledger', () => {
  it('kills the whole group a killed OpenCode left behind, and removes its ledger', async () => {
    const storage = createFileStorage({ root: await mkdtemp(join(root, 'reap-')), logger })
    const { leader, grandchild } = await startGroup()
    // The OpenCode that started it is gone: its ledger is all that is left.
    const crashed = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: deadOwner })
    await crashed.record({ id: 'bg_1', missionId: 'mission_1', pid: leader, command: 'sleep 300 & wait', startedAt: 1 })
    expect(await storage.list('background')).toEqual([`${deadOwner.pid}-${deadOwner.startTicks}-plugin_1.json`])

    const next = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: await readProcessIdentity(process.pid), killGraceMs: 200 })
    const reaped = await next.reapLeftovers()
    expect(reaped.map((job) => [job.jobId, job.outcome])).toEqual([['bg_1', 'killed']])
    await vi.waitFor(() => expect(isPidAlive(leader) || isPidAlive(grandchild)).toBe(false), { timeout: 5000, interval: 20 })
    expect(await storage.list('background')).toEqual([])
    expect(entries.some((entry) => entry.level === 'warn' && /left running/.test(entry.message))).toBe(true)
  })

  it('leaves the jobs of a live OpenCode alone (two OpenCodes on one project)', async () => {
    const storage = createFileStorage({ root: await mkdtemp(join(root, 'live-')), logger })
    const { leader } = await startGroup()
    // The owner is a live process: this test's own.
    const other = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: await readProcessIdentity(process.pid) })
    await other.record({ id: 'bg_2', missionId: 'mission_2', pid: leader, command: 'sleep', startedAt: 1 })
    const me = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: { pid: process.pid, startTicks: 'another-start' } })
    expect(await me.reapLeftovers()).toEqual([])
    expect(isPidAlive(leader)).toBe(true)
  })

  it('never signals a process whose pid was reused (start time differs)', async () => {
    const storage = createMemoryStorage()
    const { leader } = await startGroup()
    const identity = await readProcessIdentity(leader)
    await storage.write(
      'background/1-1.json',
      JSON.stringify({ version: 1, owner: deadOwner, jobs: [{ jobId: 'bg_3', missionId: 'm', pgid: leader, startTicks: `${identity!.startTicks}9`, command: 'x', startedAt: 1 }] }),
    )
    const me = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: await readProcessIdentity(process.pid) })
    expect((await me.reapLeftovers()).map((job) => job.outcome)).toEqual(['already-gone'])
    expect(isPidAlive(leader)).toBe(true)
  })

  it('keeps its own file to the running jobs and removes it when none is left', async () => {
    const storage = createMemoryStorage()
    const { leader } = await startGroup()
    const ledger = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: { pid: 42, startTicks: '7' } })
    await ledger.record({ id: 'bg_4', missionId: 'm', pid: leader, command: 'sleep', startedAt: 5 })
    const saved = JSON.parse((await storage.read('background/42-7-plugin_1.json'))!) as { jobs: Array<{ jobId: string; pgid: number }> }
    expect(saved.jobs).toEqual([expect.objectContaining({ jobId: 'bg_4', pgid: leader })])
    await ledger.forget('bg_4')
    expect(await storage.read('background/42-7-plugin_1.json')).toBeUndefined()
  })

  it('sets a corrupt ledger aside with a clear error and touches nothing', async () => {
    const storage = createMemoryStorage({ 'background/9-9.json': '{"version":1,"owner":' })
    const me = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: { pid: 1, startTicks: '1' } })
    expect(await me.reapLeftovers()).toEqual([])
    expect(Object.keys(storage.files())).toEqual(['background/9-9.json.corrupt'])
    expect(entries.some((entry) => entry.level === 'error' && /background\/9-9\.json is not valid JSON/.test(entry.message))).toBe(true)
  })

  it('stays off, and says so, where processes cannot be identified', async () => {
    const storage = createMemoryStorage()
    const ledger = createBackgroundLedger({ storage, logger, clock: systemClock, instance: 'plugin_1', owner: undefined })
    await ledger.record({ id: 'bg_5', missionId: 'm', pid: process.pid, command: 'x', startedAt: 1 })
    expect(storage.files()).toEqual({})
    expect(await ledger.reapLeftovers()).toEqual([])
    expect(entries.some((entry) => entry.level === 'warn' && /no \/proc/.test(entry.message))).toBe(true)
  })
})
