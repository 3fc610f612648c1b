import { createLogger, type DispatchRequest } from '@opencode-orchestrator/core'
import { startRedisServer, type RedisServer } from '@opencode-orchestrator/testing'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRedisTaskDispatcher } from './redis-task-dispatcher'

const logger = createLogger(() => undefined)
let server: RedisServer
const connections: Redis[] = []
const connect = () => {
  const redis = new Redis(server.url, { maxRetriesPerRequest: null })
  connections.push(redis)
  return redis
}
beforeAll(async () => {
  server = await startRedisServer()
})
afterAll(async () => {
  for (const redis of connections) redis.disconnect()
  await server?.stop()
})

const request = (taskId: string, provider = 'fake'): DispatchRequest => ({
  taskId,
  missionId: 'm1',
  agent: 'worker',
  model: { providerId: provider, modelId: 'fake-model' },
  priority: 0,
  depth: 1,
  parentSessionId: 'root',
})

// Real redis-server / git processes on a shared two-core machine: more than vitest's 5 s default.
describe('Redis TaskDispatcher', { timeout: 60_000 }, () => {
  it('holds a provider limit across dispatchers on separate connections (three "workers")', async () => {
    const keyPrefix = `lease-${Date.now()}`
    const dispatchers = [0, 1, 2].map(() => createRedisTaskDispatcher({ redis: connect(), keyPrefix, limits: { default: 0, agents: {}, providers: { fake: 2 }, models: {} }, logger, retryIntervalMs: 10 }))
    let running = 0
    let peak = 0
    await Promise.all(
      Array.from({ length: 9 }, async (_, index) => {
        const lease = await dispatchers[index % 3]!.request(request(`t${index}`)).granted
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 40))
        running--
        lease.release()
      }),
    )
    expect(peak).toBe(2)
  })

  it('other providers and unlimited keys are not held back', async () => {
    const dispatcher = createRedisTaskDispatcher({ redis: connect(), keyPrefix: `lease-free-${Date.now()}`, limits: { default: 0, agents: {}, providers: { fake: 1 }, models: {} }, logger })
    const held = await dispatcher.request(request('a')).granted
    const other = await dispatcher.request(request('b', 'other')).granted
    other.release()
    held.release()
  })

  it("a dead holder's lease expires, and a queued request can be cancelled", async () => {
    const keyPrefix = `lease-dead-${Date.now()}`
    const limits = { default: 0, agents: {}, providers: { fake: 1 }, models: {} }
    // A machine that is gone: after the grant, nothing it sends reaches Redis any more (no refresh, no release).
    let dead = false
    const real = connect()
    const dying = new Proxy(real, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver)
        if (typeof value !== 'function') return value
        return (...args: unknown[]) => (dead ? new Promise(() => undefined) : (value as (...values: unknown[]) => unknown).apply(target, args))
      },
    })
    await createRedisTaskDispatcher({ redis: dying, keyPrefix, limits, logger, leaseMs: 600 }).request(request('held')).granted
    dead = true
    const survivor = createRedisTaskDispatcher({ redis: connect(), keyPrefix, limits, logger, leaseMs: 600, retryIntervalMs: 20 })
    const cancelled = survivor.request(request('cancelled'))
    cancelled.cancel('test')
    await expect(cancelled.granted).rejects.toMatchObject({ code: 'task-cancelled' })
    const startedAt = Date.now()
    const lease = await survivor.request(request('next')).granted
    expect(Date.now() - startedAt).toBeLessThan(3_000)
    lease.release()
  })
})
