import { createLogger } from '@opencode-orchestrator/core'
import { startRedisServer, type RedisServer } from '@opencode-orchestrator/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullmqFleetQueue, startBullmqFleetWorker, type FleetMissionOutcome } from './bullmq-fleet-queue'
import type { FleetJobContext, FleetWorkerHandle } from './fleet-queue'

const logger = createLogger(() => undefined)
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

let queueCounter = 0
const freshQueue = () => `test-fleet-${process.pid}-${++queueCounter}`

function sealed(context: FleetJobContext, tokens = 10): FleetMissionOutcome {
  return {
    result: {
      missionId: context.id,
      runMissionId: 'mission_x',
      state: 'sealed',
      reason: 'every todo verified',
      todos: { verified: 1, total: 1, failed: 0 },
      tokens,
      costUsd: 0,
      branch: `orchestrator/${context.id}`,
      reportPath: undefined,
      worker: 'test',
      elapsedMs: 1,
    },
    reportHtml: `<html>${context.id}</html>`,
  }
}

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

// Real redis-server / git processes on a shared two-core machine: more than vitest's 5 s default.
describe('BullMQ fleet queue on a real redis-server', { timeout: 60_000 }, () => {
  it('submits validated missions, runs them on a worker and stores result, progress, logs and report', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    await expect(queue.submit([{ repo: '--upload-pack=evil', ref: 'main', goal: 'x' }])).rejects.toThrow(/starts with "-"/)
    const ids = await queue.submit([
      { repo: '/tmp/repo.git', ref: 'main', goal: 'first' },
      { repo: '/tmp/repo.git', ref: 'main', goal: 'second' },
    ])
    expect(ids).toHaveLength(2)
    expect((await queue.get(ids[0]!))?.state).toBe('waiting')
    const worker = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      workerId: 'w1',
      async handler(context) {
        await context.progress({ state: 'dispatching', todos: { verified: 0, total: 1, failed: 0 }, workers: { running: 1, queued: 0 }, tokens: 5, elapsedMs: 1, worker: 'w1' })
        await context.log('working')
        return sealed(context)
      },
    })
    try {
      await until(async () => (await queue.list()).every((job) => job.state === 'completed'))
      const view = await queue.get(ids[1]!)
      expect(view?.result).toMatchObject({ state: 'sealed', branch: `orchestrator/${ids[1]}` })
      expect(view?.progress).toMatchObject({ tokens: 5 })
      expect(view?.worker).toBe('w1')
      expect((await queue.logs(ids[1]!)).some((line) => line.includes('working'))).toBe(true)
      expect(await queue.report(ids[1]!)).toBe(`<html>${ids[1]}</html>`)
      expect(await queue.cancel(ids[1]!)).toBe('already-finished')
    } finally {
      await worker.close()
      await queue.close()
    }
  })

  it('cancel stops a running mission through its abort signal and ends the job cancelled, without retry', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'long' }])
    let started = 0
    let abortedAt = 0
    const worker = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      async handler(context) {
        started++
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }))
        abortedAt = Date.now()
        expect(context.abortReason()).toBe('cancelled')
        return { result: { ...sealed(context).result, state: 'stopped', reason: 'stopped by /stop' } }
      },
    })
    try {
      await until(async () => (await queue.get(id!))?.state === 'active')
      const sentAt = Date.now()
      expect(await queue.cancel(id!)).toBe('stop-sent')
      await until(async () => (await queue.get(id!))?.state === 'cancelled')
      expect(abortedAt - sentAt).toBeLessThan(1_000)
      const view = await queue.get(id!)
      expect(view?.failedReason).toMatch(/^cancelled by fleet cancel/)
      expect(view?.result?.state).toBe('stopped')
      expect(started).toBe(1)
    } finally {
      await worker.close()
      await queue.close()
    }
  })

  it('a cancelled waiting job never starts', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'never' }])
    expect(await queue.cancel(id!)).toBe('cancelled-waiting')
    expect(await queue.get(id!)).toBeUndefined()
    await queue.close()
  })

  it('a job whose worker disappears (lock not renewed) is handed to another worker', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'stall' }])
    const attempts: Array<{ worker: string; attempt: number }> = []
    const dying: { handle?: FleetWorkerHandle } = {}
    dying.handle = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      workerId: 'dying',
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
      async handler(context) {
        attempts.push({ worker: 'dying', attempt: context.attempt })
        // The worker "dies": its Redis connections go away, so the lock is never renewed.
        void dying.handle?.close({ force: true })
        await new Promise((resolve) => setTimeout(resolve, 60_000))
        return sealed(context)
      },
    })
    await until(async () => attempts.length === 1)
    const second = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      workerId: 'healthy',
      lockDurationMs: 1_000,
      stalledIntervalMs: 500,
      async handler(context) {
        attempts.push({ worker: 'healthy', attempt: context.attempt })
        return sealed(context)
      },
    })
    try {
      await until(async () => (await queue.get(id!))?.state === 'completed', 20_000)
      expect(attempts.map((item) => item.worker)).toEqual(['dying', 'healthy'])
      expect((await queue.get(id!))?.result?.state).toBe('sealed')
    } finally {
      await second.close()
      await queue.close()
    }
  })

  it('a batch token ceiling: missions start while the batch is under it, a running one that crosses it is stopped, later ones never start', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const ids = await queue.submit([1, 2, 3].map((n) => ({ repo: '/tmp/repo.git', ref: 'main', goal: `batch ${n}`, batch: 'nightly', batchMaxTokens: 25 })))
    const reasons: Array<string | undefined> = []
    const worker = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      async handler(context) {
        // Each mission reports 15 tokens, then waits a little for a stop.
        await context.progress({ state: 'dispatching', todos: { verified: 0, total: 1, failed: 0 }, workers: { running: 1, queued: 0 }, tokens: 15, elapsedMs: 1, worker: 'w' })
        await new Promise((resolve) => setTimeout(resolve, 200))
        reasons.push(context.abortReason())
        return context.signal.aborted ? { result: { ...sealed(context, 15).result, state: 'stopped', reason: 'budget' } } : sealed(context, 15)
      },
    })
    try {
      await until(async () => (await Promise.all(ids.map((id) => queue.get(id)))).every((job) => job?.state === 'completed' || job?.state === 'failed'))
      const jobs = await Promise.all(ids.map((id) => queue.get(id)))
      expect(jobs[0]?.state).toBe('completed') // 0 + 15 ≤ 25
      expect(jobs[1]?.failedReason).toMatch(/^fleet token ceiling reached/) // 15 + 15 > 25: stopped while running
      expect(jobs[2]?.failedReason).toMatch(/batch nightly reached its token ceiling \(25\); not started/)
      expect(reasons).toEqual([undefined, 'ceiling'])
    } finally {
      await worker.close()
      await queue.close()
    }
  })

  it('a worker that loses its lock stops the mission (lock-lost), so it never runs beside the next attempt', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'lose the lock' }])
    let reason: string | undefined
    const worker = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      lockDurationMs: 1_000,
      stalledIntervalMs: 60_000,
      async handler(context) {
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }))
        reason = context.abortReason()
        return { result: { ...sealed(context).result, state: 'stopped', reason: 'stopped by /stop' } }
      },
    })
    try {
      await until(async () => (await queue.get(id!))?.state === 'active')
      // Another party now owns the job as far as Redis is concerned: this worker's renewal fails.
      await queue.redis.del(`bull:${queueName}:${id}:lock`)
      await until(async () => reason !== undefined, 5_000)
      expect(reason).toBe('lock-lost')
    } finally {
      await worker.close()
      await queue.close()
    }
  })

  it('a worker that shuts down (SIGTERM) stops its mission and hands the job back without using an attempt', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'drain me' }])
    const seen: Array<{ worker: string; reason: string | undefined }> = []
    const draining = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      workerId: 'draining',
      async handler(context) {
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve(), { once: true }))
        seen.push({ worker: 'draining', reason: context.abortReason() })
        return { result: { ...sealed(context).result, state: 'stopped', reason: 'stopped by /stop' } }
      },
    })
    await until(async () => (await queue.get(id!))?.state === 'active')
    await draining.close()
    const view = await queue.get(id!)
    expect(view?.state).toBe('waiting')
    expect(seen).toEqual([{ worker: 'draining', reason: 'shutdown' }])
    const next = startBullmqFleetWorker({ redisUrl: redis.url, queueName, logger, workerId: 'next', handler: async (context) => sealed(context) })
    try {
      await until(async () => (await queue.get(id!))?.state === 'completed')
      expect((await queue.queue.getJob(id!))?.attemptsMade).toBe(1)
    } finally {
      await next.close()
      await queue.close()
    }
  })

  it('a run that keeps crashing is retried, then ends failed with the last reason', async () => {
    const queueName = freshQueue()
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger, attempts: 3, backoffMs: 10 })
    const [id] = await queue.submit([{ repo: '/tmp/repo.git', ref: 'main', goal: 'crash' }])
    let runs = 0
    const worker = startBullmqFleetWorker({
      redisUrl: redis.url,
      queueName,
      logger,
      async handler(context) {
        runs++
        throw new Error(`git clone failed (attempt ${context.attempt})`)
      },
    })
    try {
      await until(async () => (await queue.get(id!))?.state === 'failed')
      expect(runs).toBe(3)
      expect((await queue.get(id!))?.failedReason).toBe('git clone failed (attempt 3)')
      expect((await queue.logs(id!)).filter((line) => line.includes('failed: git clone failed'))).toHaveLength(3)
    } finally {
      await worker.close()
      await queue.close()
    }
  })
})
