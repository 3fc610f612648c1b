import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { DelayedError, Queue, UnrecoverableError, WaitingError, Worker, type Job, type JobsOptions } from 'bullmq'
import { Redis } from 'ioredis'
import { OrchestratorError, errorMessage, type Logger } from '@opencode-orchestrator/core'
import { parseFleetMissionSpec, type FleetMissionResult, type FleetMissionSpec, type FleetProgress } from './fleet-mission'
import type { FleetJobContext, FleetJobState, FleetJobView, FleetQueue, FleetWorkerHandle } from './fleet-queue'

export const DEFAULT_QUEUE_NAME = 'orchestrator-fleet'
const JOB_NAME = 'mission'
const KEEP_MS = 30 * 24 * 3_600_000

export interface FleetConnectionOptions {
  /** `redis://host:port[/db]` (Redis ≥ 6.2). */
  redisUrl: string
  /** Queue name; every key lives under `<prefix>:<queue>`. Default `orchestrator-fleet`. */
  queueName?: string
  /** BullMQ key prefix. Default `bull`. */
  prefix?: string
  logger: Logger
}

/** Names of the fleet's own keys next to BullMQ's. */
export function fleetKeys(options: { queueName?: string; prefix?: string }) {
  const base = `${options.prefix ?? 'bull'}:${options.queueName ?? DEFAULT_QUEUE_NAME}:fleet`
  return {
    cancelChannel: `${base}:cancel`,
    cancelled: (id: string) => `${base}:cancelled:${id}`,
    result: (id: string) => `${base}:result:${id}`,
    report: (id: string) => `${base}:report:${id}`,
    tokensOfDay: (day: string) => `${base}:tokens:day:${day}`,
    tokensOfBatch: (batch: string) => `${base}:tokens:batch:${batch}`,
    batchCeiling: (batch: string) => `${base}:ceiling:batch:${batch}`,
    leases: `${base}:lease`,
  }
}

/** A Redis connection as BullMQ wants it (blocking commands never time out client-side). */
export function connectRedis(url: string, logger: Logger): Redis {
  if (!/^rediss?:\/\//.test(url)) {
    throw new OrchestratorError({ code: 'invalid-argument', message: `Redis URL '${url}' must start with redis:// or rediss:// (e.g. redis://127.0.0.1:6379).`, details: { field: 'redis', value: url } })
  }
  const redis = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false })
  redis.on('error', (error: unknown) => logger.log('warn', 'redis connection error', { error: errorMessage(error) }))
  return redis
}

function newMissionId(): string {
  return `fm-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`
}

function parseJson<T>(text: string | null | undefined): T | undefined {
  if (text === null || text === undefined) return undefined
  try {
    return JSON.parse(text) as T
  } catch {
    return undefined
  }
}

function isProgress(value: unknown): value is FleetProgress {
  return typeof value === 'object' && value !== null && 'todos' in value && 'tokens' in value
}

const CANCELLED_PREFIX = 'cancelled by fleet cancel'

function viewState(state: string, failedReason: string | undefined): FleetJobState {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting'
    case 'delayed':
    case 'active':
    case 'completed':
      return state
    case 'failed':
      return failedReason?.startsWith(CANCELLED_PREFIX) ? 'cancelled' : 'failed'
    default:
      return 'unknown'
  }
}

export interface BullmqFleetQueueOptions extends FleetConnectionOptions {
  /** Attempts per mission (a stalled hand-over does not count; a crash of the run does). Default 3. */
  attempts?: number
  /** First retry delay; it doubles for each further attempt. Default 5 s. */
  backoffMs?: number
  /** Fresh ids for submitted missions. Default `fm-<time>-<random>`. */
  newId?: () => string
}

/** The submitting/inspecting side of the fleet, on BullMQ. */
export function createBullmqFleetQueue(options: BullmqFleetQueueOptions): FleetQueue & { readonly queue: Queue; readonly redis: Redis } {
  const redis = connectRedis(options.redisUrl, options.logger)
  const queueName = options.queueName ?? DEFAULT_QUEUE_NAME
  const queue = new Queue(queueName, { connection: redis, ...(options.prefix !== undefined ? { prefix: options.prefix } : {}) })
  const keys = fleetKeys(options)
  const newId = options.newId ?? newMissionId
  const jobOptions: JobsOptions = {
    attempts: options.attempts ?? 3,
    backoff: { type: 'exponential', delay: options.backoffMs ?? 5_000 },
    removeOnComplete: { age: KEEP_MS / 1000 },
    removeOnFail: { age: KEEP_MS / 1000 },
  }

  const view = async (job: Job): Promise<FleetJobView> => {
    const state = await job.getState()
    const stored = parseJson<FleetMissionResult>(await redis.get(keys.result(job.id ?? '')))
    const returned = job.returnvalue as FleetMissionResult | null | undefined
    const spec = job.data as FleetMissionSpec
    return {
      id: job.id ?? '',
      state: viewState(state, job.failedReason),
      spec,
      submittedAt: job.timestamp,
      startedAt: job.processedOn ?? undefined,
      finishedAt: job.finishedOn ?? undefined,
      attempts: job.attemptsStarted,
      worker: job.processedBy ?? (isProgress(job.progress) ? job.progress.worker : undefined),
      progress: isProgress(job.progress) ? job.progress : undefined,
      result: returned ?? stored ?? undefined,
      failedReason: job.failedReason || undefined,
    }
  }

  return {
    queue,
    redis,
    async submit(specs) {
      // Re-validated here too: the port is the boundary, whoever calls it.
      const checked = specs.map((spec, index) => parseFleetMissionSpec(spec, `mission ${index + 1}`))
      for (const spec of checked) {
        if (spec.batch !== undefined && spec.batchMaxTokens !== undefined) await redis.set(keys.batchCeiling(spec.batch), String(spec.batchMaxTokens), 'PX', KEEP_MS, 'NX')
      }
      const jobs = await queue.addBulk(checked.map((spec) => ({ name: JOB_NAME, data: spec, opts: { ...jobOptions, jobId: newId() } })))
      return jobs.map((job) => job.id ?? '')
    },
    async list(listOptions = {}) {
      const jobs = await queue.getJobs(['active', 'waiting', 'prioritized', 'delayed', 'completed', 'failed'], 0, (listOptions.limit ?? 1_000) - 1, false)
      const views = await Promise.all(jobs.filter((job): job is Job => job !== undefined).map((job) => view(job as Job)))
      return views.sort((a, b) => b.submittedAt - a.submittedAt)
    },
    async get(id) {
      const job = await queue.getJob(id)
      return job === undefined ? undefined : view(job as Job)
    },
    async cancel(id) {
      const job = await queue.getJob(id)
      if (job === undefined) return 'not-found'
      const state = await job.getState()
      if (state === 'completed' || state === 'failed') return 'already-finished'
      // The marker first: a worker that takes the job between here and the publish sees it and does not start.
      await redis.set(keys.cancelled(id), '1', 'PX', KEEP_MS)
      if (state !== 'active') {
        try {
          await job.remove()
          return 'cancelled-waiting'
        } catch (error) {
          // Taken by a worker in the meantime (it holds the lock): stop it like a running one.
          options.logger.log('debug', 'waiting job could not be removed; sending stop', { id, error: errorMessage(error) })
        }
      }
      await redis.publish(keys.cancelChannel, id)
      return 'stop-sent'
    },
    async logs(id) {
      const { logs } = await queue.getJobLogs(id, 0, -1, true)
      return logs
    },
    async report(id) {
      return (await redis.get(keys.report(id))) ?? undefined
    },
    async close() {
      await queue.close()
      redis.disconnect()
    },
  }
}

/** What the worker's mission handler returns. */
export interface FleetMissionOutcome {
  result: FleetMissionResult
  /** The self-contained HTML report, stored for the dashboard (size-capped). */
  reportHtml?: string
}

export interface FleetWorkerOptions extends FleetConnectionOptions {
  /** Missions this worker runs at once. Default 1. */
  concurrency?: number
  /** Shown in `fleet status` and job logs. Default `<hostname>:<pid>`. */
  workerId?: string
  /**
   * How long a job's lock lives without renewal. A worker that dies loses its
   * jobs to another worker after this (plus the stalled check interval). Default 30 s.
   */
  lockDurationMs?: number
  /** How often workers look for stalled jobs. Default 30 s. */
  stalledIntervalMs?: number
  /** Stalled hand-overs before a job fails ("job stalled more than allowable limit"). Default 2. */
  maxStalledCount?: number
  /** Fleet-wide tokens per UTC day; a job that would start over it waits for the next day. */
  maxTokensPerDay?: number
  /** Runs one mission; must honour `context.signal` (stop like `/stop`). */
  handler(context: FleetJobContext): Promise<FleetMissionOutcome>
  /** Reports above this size are not stored (the branch still has them). Default 5 MB. */
  maxReportBytes?: number
  now?: () => number
}

const utcDay = (at: number) => new Date(at).toISOString().slice(0, 10)

/**
 * A fleet worker on BullMQ: takes jobs, runs the handler, stores the outcome.
 * Cancels arrive over Redis pub/sub and become BullMQ's own job cancellation
 * (the processor's abort signal); a lost lock aborts the mission too, so two
 * workers never run one mission at once.
 */
export function startBullmqFleetWorker(options: FleetWorkerOptions): FleetWorkerHandle {
  const logger = options.logger
  const now = options.now ?? (() => Date.now())
  const workerId = options.workerId ?? `${hostname()}:${process.pid}`
  const keys = fleetKeys(options)
  const redis = connectRedis(options.redisUrl, logger)
  const subscriber = connectRedis(options.redisUrl, logger)
  const abortReasons = new Map<string, 'cancelled' | 'lock-lost' | 'shutdown' | 'ceiling'>()
  const maxReportBytes = options.maxReportBytes ?? 5 * 1024 * 1024

  const active = new Set<string>()
  const abortJob = (id: string, reason: 'cancelled' | 'lock-lost' | 'shutdown' | 'ceiling') => {
    if (!active.has(id)) return
    if (!abortReasons.has(id)) abortReasons.set(id, reason)
    const found = worker.cancelJob(id, reason)
    logger.log('info', 'aborting mission', { id, reason, found })
  }

  const runJob = async (job: Job<FleetMissionSpec, FleetMissionResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<FleetMissionResult> => {
    const id = job.id ?? ''
    active.add(id)
    const spec = parseFleetMissionSpec(job.data, `job ${id}`)
    if ((await redis.exists(keys.cancelled(id))) === 1) throw new UnrecoverableError(`${CANCELLED_PREFIX} before it started`)

    const day = utcDay(now())
    if (options.maxTokensPerDay !== undefined) {
      const used = Number((await redis.get(keys.tokensOfDay(day))) ?? 0)
      if (used >= options.maxTokensPerDay) {
        const tomorrow = Date.parse(`${day}T00:00:00.000Z`) + 86_400_000
        await job.log(`[${workerId}] fleet token ceiling reached (${used} ≥ ${options.maxTokensPerDay} tokens on ${day}); waits until ${new Date(tomorrow).toISOString()}`)
        await job.moveToDelayed(tomorrow, token)
        throw new DelayedError()
      }
    }
    const batchCeiling = spec.batch === undefined ? undefined : Number((await redis.get(keys.batchCeiling(spec.batch))) ?? Number.NaN)
    const batchUsed = async () => (spec.batch === undefined ? 0 : Number((await redis.get(keys.tokensOfBatch(spec.batch))) ?? 0))
    if (batchCeiling !== undefined && Number.isFinite(batchCeiling) && (await batchUsed()) >= batchCeiling) {
      throw new UnrecoverableError(`batch ${spec.batch} reached its token ceiling (${batchCeiling}); not started`)
    }

    const controller = new AbortController()
    const onAbort = () => controller.abort()
    if (signal?.aborted) controller.abort()
    signal?.addEventListener('abort', onAbort, { once: true })
    const attempt = job.attemptsStarted
    const log = async (line: string) => {
      await job.log(`${new Date(now()).toISOString()} [${workerId}] ${line}`)
    }
    await log(`attempt ${attempt} started (repo ${spec.repo} at ${spec.ref})`)
    const context: FleetJobContext = {
      id,
      spec,
      attempt,
      signal: controller.signal,
      abortReason: () => abortReasons.get(id),
      queuedMs: now() - job.timestamp,
      async progress(progress) {
        await job.updateProgress({ ...progress })
        const overDay = options.maxTokensPerDay !== undefined && Number((await redis.get(keys.tokensOfDay(day))) ?? 0) + progress.tokens > options.maxTokensPerDay
        const overBatch = batchCeiling !== undefined && Number.isFinite(batchCeiling) && (await batchUsed()) + progress.tokens > batchCeiling
        if ((overDay || overBatch) && !controller.signal.aborted) {
          await log(`fleet token ceiling reached (${overDay ? 'per day' : `batch ${spec.batch}`}); stopping the mission`)
          abortJob(id, 'ceiling')
        }
      },
      log,
    }
    try {
      const outcome = await options.handler(context)
      const result = outcome.result
      await redis.set(keys.result(id), JSON.stringify(result), 'PX', KEEP_MS)
      if (outcome.reportHtml !== undefined && Buffer.byteLength(outcome.reportHtml) <= maxReportBytes) await redis.set(keys.report(id), outcome.reportHtml, 'PX', KEEP_MS)
      await redis.incrby(keys.tokensOfDay(day), result.tokens)
      await redis.pexpire(keys.tokensOfDay(day), 2 * 86_400_000)
      if (spec.batch !== undefined) {
        await redis.incrby(keys.tokensOfBatch(spec.batch), result.tokens)
        await redis.pexpire(keys.tokensOfBatch(spec.batch), KEEP_MS)
      }
      await log(`mission ${result.state}: ${result.reason} (${result.tokens} tokens, branch ${result.branch ?? 'not pushed'})`)
      const reason = abortReasons.get(id)
      if (reason === 'cancelled') throw new UnrecoverableError(`${CANCELLED_PREFIX}: mission ${result.state} (${result.reason})`)
      if (reason === 'ceiling') throw new UnrecoverableError(`fleet token ceiling reached: mission ${result.state} (${result.reason})`)
      if (reason === 'shutdown') {
        // A drained worker hands the job back as it found it: no attempt is used up.
        await log('worker shutting down: mission stopped, job back in the queue')
        await job.moveToWait(token)
        throw new WaitingError()
      }
      if (reason === 'lock-lost') throw new Error(`mission interrupted on ${workerId} (lock lost); another attempt will run it`)
      // A mission that ended on its own merits (stopped by a budget, failed on a 401) would end the same way again: no retry.
      if (result.state !== 'sealed') throw new UnrecoverableError(`mission ${result.state}: ${result.reason}`)
      return result
    } catch (error) {
      if (error instanceof UnrecoverableError || error instanceof DelayedError || error instanceof WaitingError) throw error
      const reason = abortReasons.get(id)
      if (reason === 'cancelled') throw new UnrecoverableError(`${CANCELLED_PREFIX}: ${errorMessage(error)}`)
      await log(`attempt ${attempt} failed: ${errorMessage(error)}`).catch(() => undefined)
      throw error
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }
  const processor = async (job: Job<FleetMissionSpec, FleetMissionResult>, token: string | undefined, signal: AbortSignal | undefined): Promise<FleetMissionResult> => {
    try {
      return await runJob(job, token, signal)
    } finally {
      abortReasons.delete(job.id ?? '')
      active.delete(job.id ?? '')
    }
  }

  const worker = new Worker<FleetMissionSpec, FleetMissionResult>(options.queueName ?? DEFAULT_QUEUE_NAME, processor, {
    connection: redis,
    ...(options.prefix !== undefined ? { prefix: options.prefix } : {}),
    name: workerId,
    concurrency: options.concurrency ?? 1,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
    autorun: false,
  })
  worker.on('lockRenewalFailed', (jobIds) => {
    // Another worker may take these jobs now: stop ours first, so one mission never runs twice at once.
    for (const id of jobIds) abortJob(id, 'lock-lost')
  })
  worker.on('error', (error) => logger.log('error', 'fleet worker error', { error: errorMessage(error) }))
  worker.on('failed', (job, error) => logger.log('info', 'fleet job failed', { id: job?.id, error: errorMessage(error) }))
  worker.on('completed', (job) => logger.log('info', 'fleet job completed', { id: job.id }))

  // Every worker hears every cancel; only the one running the job acts on it.
  subscriber.on('message', (_channel: string, id: string) => abortJob(id, 'cancelled'))
  const running = worker
  const ready = (async () => {
    await subscriber.subscribe(keys.cancelChannel)
    void running.run().catch((error: unknown) => logger.log('error', 'fleet worker stopped', { error: errorMessage(error) }))
    await running.waitUntilReady()
  })()

  return {
    id: workerId,
    ready,
    async close(closeOptions = {}) {
      await ready.catch(() => undefined)
      if (closeOptions.force === true) {
        // What a crash does: nothing is renewed any more, and the jobs' locks lapse.
        await running.close(true)
        await subscriber.quit().catch(() => undefined)
        redis.disconnect()
        return
      }
      for (const id of active) abortJob(id, 'shutdown')
      running.cancelAllJobs('shutdown')
      await running.close()
      await subscriber.quit().catch(() => undefined)
      redis.disconnect()
    },
  }
}
