import { createLogger } from '@opencode-orchestrator/core'
import { startRedisServer, type RedisServer } from '@opencode-orchestrator/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBullmqFleetQueue, fleetKeys } from './bullmq-fleet-queue'
import { startFleetDashboard } from './fleet-dashboard'

const logger = createLogger(() => undefined)
let redis: RedisServer
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(async () => {
  await redis?.stop()
})

// Real redis-server / git processes on a shared two-core machine: more than vitest's 5 s default.
describe('fleet dashboard', { timeout: 60_000 }, () => {
  it('serves Bull Board for the queue, with each job linked to its stored report', async () => {
    const queueName = `dashboard-${process.pid}`
    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger })
    const [id] = await queue.submit([{ repo: '/srv/app.git', ref: 'main', goal: 'report me' }])
    await queue.redis.set(fleetKeys({ queueName }).report(id!), '<!doctype html><title>Mission report</title><h1>sealed</h1>')
    const dashboard = await startFleetDashboard({ redisUrl: redis.url, queueName, logger })
    try {
      const board = await fetch(`${dashboard.url}/ui`)
      expect(board.status).toBe(200)
      expect(await board.text()).toContain('<div id="root"')
      const jobs = (await (await fetch(`${dashboard.url}/ui/api/queues?activeQueue=${queueName}&status=waiting&page=1`)).json()) as { queues: Array<{ name: string; jobs: Array<{ id: string; externalUrl?: { href: string } }> }> }
      const job = jobs.queues.find((item) => item.name === queueName)?.jobs.find((item) => item.id === id)
      expect(job?.externalUrl?.href).toBe(`/reports/${id}`)
      const report = await fetch(`${dashboard.url}/reports/${id}`)
      expect(report.status).toBe(200)
      expect(report.headers.get('content-security-policy')).toContain("default-src 'none'")
      expect(await report.text()).toContain('<h1>sealed</h1>')
      expect((await fetch(`${dashboard.url}/reports/fm-nothing-here`)).status).toBe(404)
      expect((await fetch(`${dashboard.url}/reports/..%2Fetc`)).status).toBe(400)
    } finally {
      await dashboard.close()
      await queue.close()
    }
  })
})
