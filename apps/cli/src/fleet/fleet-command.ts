import { mkdir, readFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { basename, isAbsolute, join, resolve } from 'node:path'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { OrchestratorError, errorMessage, type Clock, type Logger } from '@opencode-orchestrator/core'
import {
  createBullmqFleetQueue,
  parseFleetMissionSpec,
  parseMissionsJsonl,
  startBullmqFleetWorker,
  startFleetDashboard,
  type FleetJobView,
  type FleetMissionSpec,
} from '@opencode-orchestrator/fleet'
import { resolveOpencodeBinary } from '@opencode-orchestrator/testing'
import type { OutputStream } from '../run-reporter'
import { runEnvironment } from '../launch-environment'
import { startOpencodeProcess } from '../opencode-process'
import type { FleetCommand } from './fleet-arguments'
import { createFleetJobRunner } from './fleet-job-runner'
import { fleetPluginEnvironment, resolveFleetPluginUrl } from './fleet-plugin-location'

export interface FleetCommandOptions {
  command: FleetCommand
  env: Record<string, string | undefined>
  cwd: string
  clock: Clock
  logger: Logger
  stdout: OutputStream
  /** Ctrl-C / SIGTERM: a worker stops its missions (like /stop) and hands their jobs back; a dashboard closes. */
  interrupt: AbortSignal
  /** Module URL the OpenCode binary and the plugin are resolved from (this package). */
  resolveFrom: string
  startTimeoutMs?: number
}

const redisUrlOf = (command: FleetCommand, env: FleetCommandOptions['env']) => command.redisUrl ?? env['ORCHESTRATOR_REDIS_URL'] ?? 'redis://127.0.0.1:6379'

function untilAborted(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

/** A plain path becomes absolute against the submitter's directory: workers on the same machine (or share) clone it. */
function normalizeRepo(repo: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(repo) || /^[\w.-]+@[\w.-]+:/.test(repo) || repo.startsWith('-')) return repo
  return isAbsolute(repo) ? repo : resolve(cwd, repo)
}

function line(job: FleetJobView): string {
  const progress = job.result ?? job.progress
  const todos = progress === undefined ? '' : ` · ${progress.todos.verified}/${progress.todos.total} todos · ${progress.tokens} tokens`
  const where = job.worker === undefined ? '' : ` · ${job.worker}`
  const why = job.failedReason === undefined ? '' : ` · ${job.failedReason}`
  const branch = job.result?.branch === undefined ? '' : ` · ${job.result.branch}`
  return `${job.id}  ${job.state.padEnd(9)}${todos}${where}${branch}${why}  ${job.spec.goal.split('\n')[0]?.slice(0, 60) ?? ''}`
}

/** `orchestrator fleet …`. Returns the exit code. */
export async function fleetCommand(options: FleetCommandOptions): Promise<number> {
  const { command, stdout, logger, clock } = options
  const redisUrl = redisUrlOf(command, options.env)
  const connection = { redisUrl, logger, ...(command.queueName !== undefined ? { queueName: command.queueName } : {}) }

  if (command.action === 'dashboard') {
    const dashboard = await startFleetDashboard({ ...connection, ...(command.host !== undefined ? { host: command.host } : {}), port: command.port ?? 3000 })
    stdout.write(`Fleet dashboard: ${dashboard.url}/ui (reports at ${dashboard.url}/reports/<job>). Ctrl-C stops it.\n`)
    await untilAborted(options.interrupt)
    await dashboard.close()
    return 0
  }

  if (command.action === 'worker') return fleetWorker(options, { ...connection, command })

  const fleet = createBullmqFleetQueue(connection)
  try {
    switch (command.action) {
      case 'submit': {
        let specs: FleetMissionSpec[]
        const defaults = {
          ...(command.repo !== undefined ? { repo: normalizeRepo(command.repo, options.cwd) } : {}),
          ...(command.ref !== undefined ? { ref: command.ref } : {}),
          ...(command.budget !== undefined ? { budget: command.budget } : {}),
          ...(command.batch !== undefined ? { batch: command.batch } : {}),
          ...(command.batchMaxTokens !== undefined ? { batchMaxTokens: command.batchMaxTokens } : {}),
        }
        if (command.fromFile !== undefined) {
          const path = resolve(options.cwd, command.fromFile)
          let text: string
          try {
            text = await readFile(path, 'utf8')
          } catch (error) {
            throw new OrchestratorError({ code: 'invalid-argument', message: `--from-file ${command.fromFile}: cannot read it (${errorMessage(error)}).`, cause: error })
          }
          specs = parseMissionsJsonl(text, basename(path), defaults).map((spec) => ({ ...spec, repo: normalizeRepo(spec.repo, options.cwd) }))
        } else {
          specs = [parseFleetMissionSpec({ ...defaults, goal: command.goal }, 'mission')]
        }
        const ids = await fleet.submit(specs)
        if (command.json) stdout.write(`${JSON.stringify({ type: 'submitted', jobs: ids.map((id, index) => ({ id, goal: specs[index]?.goal })) })}\n`)
        else for (const id of ids) stdout.write(`${id}\n`)
        return 0
      }
      case 'status': {
        const jobs = command.jobId === undefined ? await fleet.list() : [await fleet.get(command.jobId)].filter((job): job is FleetJobView => job !== undefined)
        if (command.jobId !== undefined && jobs.length === 0) throw new OrchestratorError({ code: 'task-not-found', message: `No fleet job ${command.jobId} (finished jobs are kept 30 days).` })
        if (command.json) {
          stdout.write(`${JSON.stringify({ type: 'fleet-status', at: clock.now(), jobs: jobs.map((job) => ({ ...job, reportUrl: job.result?.reportPath === undefined ? undefined : `/reports/${job.id}` })) })}\n`)
        } else if (jobs.length === 0) stdout.write('No fleet jobs. `orchestrator fleet submit` adds some.\n')
        else for (const job of jobs) stdout.write(`${line(job)}\n`)
        return 0
      }
      case 'cancel': {
        const outcome = await fleet.cancel(command.jobId)
        if (command.json) stdout.write(`${JSON.stringify({ type: 'fleet-cancel', id: command.jobId, outcome })}\n`)
        else {
          const text = {
            'cancelled-waiting': 'removed from the queue before it started',
            'stop-sent': 'stop sent to the worker running it (stopped like /stop)',
            'already-finished': 'already finished; nothing to cancel',
            'not-found': 'no such job',
          }[outcome]
          stdout.write(`${command.jobId}: ${text}\n`)
        }
        return outcome === 'not-found' ? 1 : 0
      }
      case 'logs': {
        const job = await fleet.get(command.jobId)
        if (job === undefined) throw new OrchestratorError({ code: 'task-not-found', message: `No fleet job ${command.jobId}.` })
        for (const entry of await fleet.logs(command.jobId)) stdout.write(`${entry}\n`)
        return 0
      }
    }
  } finally {
    await fleet.close()
  }
}

async function fleetWorker(options: FleetCommandOptions, connection: { redisUrl: string; queueName?: string; logger: Logger; command: Extract<FleetCommand, { action: 'worker' }> }): Promise<number> {
  const { command, logger } = connection
  const { clock, stdout } = options
  const workdir = resolve(options.cwd, command.workdir ?? join(tmpdir(), 'orchestrator-fleet'))
  const workerId = `${hostname()}:${process.pid}`
  const binary = resolveOpencodeBinary({ from: options.resolveFrom })
  const pluginUrl = resolveFleetPluginUrl(options.resolveFrom)
  const env = {
    ...runEnvironment(options.env, { pluginUrl, ...(command.model !== undefined ? { model: command.model } : {}) }),
    ...fleetPluginEnvironment({ redisUrl: connection.redisUrl, queueName: connection.queueName, providerCaps: command.providerCaps, defaultModel: command.model }),
  }
  await mkdir(workdir, { recursive: true })
  // One OpenCode server per worker process, shared by its jobs (each job is its own instance, keyed by its directory).
  const server = await startOpencodeProcess({ binary: binary.path, directory: workdir, env, clock, logger, signal: options.interrupt, ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}) })
  let worker: ReturnType<typeof startBullmqFleetWorker> | undefined
  try {
    const tools = await createOpencodeClient({ baseUrl: server.url, directory: workdir }).tool.ids()
    if (tools.error !== undefined || !(tools.data ?? []).includes('orchestrator_delegate')) {
      throw new OrchestratorError({ code: 'host-failed', message: `OpenCode started without the orchestrator plugin. Last server output:\n${server.logTail()}` })
    }
    worker = startBullmqFleetWorker({
      redisUrl: connection.redisUrl,
      ...(connection.queueName !== undefined ? { queueName: connection.queueName } : {}),
      logger,
      workerId,
      concurrency: command.concurrency,
      ...(command.lockMs !== undefined ? { lockDurationMs: command.lockMs, stalledIntervalMs: command.lockMs } : {}),
      ...(command.maxTokensPerDay !== undefined ? { maxTokensPerDay: command.maxTokensPerDay } : {}),
      handler: createFleetJobRunner({ serverUrl: server.url, serverExited: server.exited, workdir, workerId, clock, logger, env: options.env }),
    })
    await worker.ready
    stdout.write(`${JSON.stringify({ type: 'fleet-worker-ready', worker: workerId, pid: process.pid, server: { url: server.url, pid: server.pid }, concurrency: command.concurrency, workdir, at: clock.now() })}\n`)
    const serverDied = server.exited.then(({ code, signal }) => {
      throw new OrchestratorError({ code: 'host-failed', message: `The worker's OpenCode server exited (${code === null ? `signal ${signal}` : `code ${code}`}); its jobs go back to the queue.` })
    })
    await Promise.race([untilAborted(options.interrupt), serverDied])
    return 0
  } finally {
    await worker?.close().catch((error: unknown) => logger.log('error', 'could not close the fleet worker', { error: errorMessage(error) }))
    await server.stop().catch((error: unknown) => logger.log('error', 'could not stop OpenCode', { pid: server.pid, error: errorMessage(error) }))
  }
}
