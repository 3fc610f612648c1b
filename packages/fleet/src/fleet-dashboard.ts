import type { AddressInfo } from 'node:net'
import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { HonoAdapter } from '@bull-board/hono'
import { serve } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import { errorMessage, type Logger } from '@opencode-orchestrator/core'
import { createBullmqFleetQueue } from './bullmq-fleet-queue'
import { isFleetMissionId } from './fleet-mission'

export interface FleetDashboardOptions {
  redisUrl: string
  queueName?: string
  prefix?: string
  /** Default 127.0.0.1: the board can retry and delete jobs, so it is not exposed unless asked. */
  host?: string
  /** Default 0 (any free port). */
  port?: number
  logger: Logger
}

export interface FleetDashboard {
  /** `http://host:port`; the board is at `/ui`, a report at `/reports/<job id>`. */
  readonly url: string
  close(): Promise<void>
}

/** The self-contained report may run no script and load nothing from elsewhere. */
const REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src data:"

/**
 * Bull Board (the queue's own UI) for the fleet's queue, plus the mission
 * reports the workers stored: every job links to `/reports/<job id>`.
 */
export async function startFleetDashboard(options: FleetDashboardOptions): Promise<FleetDashboard> {
  const fleet = createBullmqFleetQueue({
    redisUrl: options.redisUrl,
    ...(options.queueName !== undefined ? { queueName: options.queueName } : {}),
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    logger: options.logger,
  })
  const board = new HonoAdapter(serveStatic)
  board.setBasePath('/ui')
  createBullBoard({
    queues: [
      new BullMQAdapter(fleet.queue, {
        description: 'OpenCode Orchestrator missions',
        externalJobUrl: (job) => ({ href: `/reports/${encodeURIComponent(job.id ?? '')}`, displayText: 'Mission report' }),
      }),
    ],
    serverAdapter: board,
    options: { uiConfig: { boardTitle: 'Orchestrator fleet' } },
  })
  const app = new Hono()
  app.get('/', (context) => context.redirect('/ui'))
  app.get('/reports/:id', async (context) => {
    const id = context.req.param('id')
    if (!isFleetMissionId(id)) return context.text(`'${id}' is not a fleet mission id (they look like fm-…).`, 400)
    const html = await fleet.report(id)
    if (html === undefined) {
      const job = await fleet.get(id)
      return context.text(
        job === undefined ? `No fleet mission ${id}.` : `Mission ${id} is ${job.state}; its report is stored when a worker finishes it.`,
        404,
      )
    }
    context.header('content-security-policy', REPORT_POLICY)
    return context.html(html)
  })
  app.route('/ui', board.registerPlugin())
  app.onError((error, context) => {
    options.logger.log('error', 'dashboard request failed', { path: context.req.path, error: errorMessage(error) })
    return context.text(`Dashboard error: ${errorMessage(error)}`, 500)
  })

  const host = options.host ?? '127.0.0.1'
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: host }, (info: AddressInfo) => resolve({ server: started, port: info.port }))
    started.once('error', reject)
  })
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await fleet.close()
    },
  }
}
