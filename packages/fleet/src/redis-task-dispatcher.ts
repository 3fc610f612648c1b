import { OrchestratorError, createConcurrencyKeyResolver, errorMessage, type ConcurrencyLimits, type DispatchLease, type DispatchRequest, type DispatchTicket, type Logger, type ModelRef, type TaskDispatcher } from '@opencode-orchestrator/core'
import type { Redis } from 'ioredis'
import { Semaphore } from 'redis-semaphore'

export interface RedisTaskDispatcherOptions {
  /** An ioredis connection (its own: leases are refreshed on it). */
  redis: Redis
  /** Key prefix of the leases, shared by every worker of one fleet, e.g. `bull:orchestrator-fleet:fleet:lease`. */
  keyPrefix: string
  /** Fleet-wide limits by key (same shape and precedence as the plugin's `concurrency`; 0 = unlimited). */
  limits: Omit<ConcurrencyLimits, 'global'>
  /** The model a task runs on when it names none (the agent's or OpenCode's default), so provider limits apply to it. */
  defaultModel?: ModelRef
  /** This machine's own scheduler: asked first (local limits, priorities, fair share), then the fleet lease. */
  local?: TaskDispatcher
  /**
   * A lease lives this long without a refresh; a worker that dies frees its
   * slots after at most this. Refreshed every third of it. Default 15 s.
   */
  leaseMs?: number
  /** Poll interval while waiting for a slot. Default 50 ms. */
  retryIntervalMs?: number
  /** Give up waiting after this (`acquire-timeout`). Default 30 min. */
  acquireTimeoutMs?: number
  logger: Logger
}

/**
 * Core's `TaskDispatcher` port on Redis: the scheduler's keyed concurrency
 * (model > provider > agent > default) held across every worker of the fleet,
 * with `redis-semaphore` leases that expire when their holder dies.
 */
export function createRedisTaskDispatcher(options: RedisTaskDispatcherOptions): TaskDispatcher {
  const resolveKey = createConcurrencyKeyResolver(options.limits, 'fleet.concurrency')
  const leaseMs = options.leaseMs ?? 15_000
  const logger = options.logger.child({ component: 'fleet-dispatcher' })

  const acquireFleetSlot = async (request: DispatchRequest, signal: AbortSignal): Promise<DispatchLease> => {
    const model = request.model ?? options.defaultModel
    const { key, limit } = resolveKey({ agent: request.agent, ...(model !== undefined ? { model } : {}) })
    if (limit === 0) return { release() {} }
    const semaphore = new Semaphore(options.redis, `${options.keyPrefix}:${key}`, limit, {
      lockTimeout: leaseMs,
      refreshInterval: Math.max(100, Math.floor(leaseMs / 3)),
      retryInterval: options.retryIntervalMs ?? 50,
      acquireTimeout: options.acquireTimeoutMs ?? 30 * 60_000,
      identifier: `${request.missionId}:${request.taskId}`,
      onLockLost: (error) => logger.log('warn', 'fleet lease lost (Redis unreachable longer than the lease)', { key, taskId: request.taskId, error: errorMessage(error) }),
    })
    try {
      await semaphore.acquire(signal)
    } catch (error) {
      if (signal.aborted) throw new OrchestratorError({ code: 'task-cancelled', message: `task ${request.taskId} was cancelled while waiting for a fleet slot (${key})`, cause: error })
      throw new OrchestratorError({ code: 'acquire-timeout', message: `no fleet slot for ${key} (limit ${limit}) within the wait: ${errorMessage(error)}`, cause: error, details: { key, limit } })
    }
    logger.log('debug', 'fleet lease granted', { key, limit, taskId: request.taskId })
    let released = false
    return {
      release() {
        if (released) return
        released = true
        semaphore.release().catch((error: unknown) => logger.log('warn', 'fleet lease release failed; it expires on its own', { key, error: errorMessage(error) }))
      },
    }
  }

  return {
    request(request) {
      const abort = new AbortController()
      const localTicket: DispatchTicket | undefined = options.local?.request(request)
      let localLease: DispatchLease | undefined
      let fleetLease: DispatchLease | undefined
      let cancelled = false
      const granted = (async () => {
        localLease = localTicket === undefined ? undefined : await localTicket.granted
        if (cancelled) {
          localLease?.release()
          throw new OrchestratorError({ code: 'task-cancelled', message: `task ${request.taskId} was cancelled` })
        }
        try {
          fleetLease = await acquireFleetSlot(request, abort.signal)
        } catch (error) {
          localLease?.release()
          throw error
        }
        if (cancelled) {
          fleetLease.release()
          localLease?.release()
          throw new OrchestratorError({ code: 'task-cancelled', message: `task ${request.taskId} was cancelled` })
        }
        let released = false
        const lease: DispatchLease = {
          release() {
            if (released) return
            released = true
            fleetLease?.release()
            localLease?.release()
          },
        }
        return lease
      })()
      return {
        granted,
        cancel(reason) {
          cancelled = true
          abort.abort()
          localTicket?.cancel(reason)
          fleetLease?.release()
          localLease?.release()
        },
      }
    },
  }
}
