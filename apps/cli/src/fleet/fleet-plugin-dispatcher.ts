import { OrchestratorError, type Logger, type TaskDispatcher } from '@opencode-orchestrator/core'
import { connectRedis, createRedisTaskDispatcher, fleetKeys } from '@opencode-orchestrator/fleet'
import type { Redis } from 'ioredis'

/** Environment the worker gives its OpenCode server, read by the fleet plugin. */
export const FLEET_ENV = {
  redisUrl: 'ORCHESTRATOR_FLEET_REDIS_URL',
  queueName: 'ORCHESTRATOR_FLEET_QUEUE',
  providerCaps: 'ORCHESTRATOR_FLEET_PROVIDER_CAPS',
  defaultModel: 'ORCHESTRATOR_FLEET_DEFAULT_MODEL',
} as const

/** The `ORCHESTRATOR_FLEET_*` variables for a worker's OpenCode server. */
export function fleetPluginEnvironment(options: { redisUrl: string; queueName: string | undefined; providerCaps: Record<string, number>; defaultModel: string | undefined }): Record<string, string> {
  return {
    [FLEET_ENV.redisUrl]: options.redisUrl,
    ...(options.queueName !== undefined ? { [FLEET_ENV.queueName]: options.queueName } : {}),
    [FLEET_ENV.providerCaps]: JSON.stringify(options.providerCaps),
    ...(options.defaultModel !== undefined ? { [FLEET_ENV.defaultModel]: options.defaultModel } : {}),
  }
}

/**
 * `wrapDispatcher` for the plugin: without fleet caps the local scheduler is
 * used as is; with them, every task also needs a fleet lease. One Redis
 * connection per plugin (shared by the server's instances), opened on first use.
 */
export function createFleetDispatcherWrapper(env: Record<string, string | undefined>): ((local: TaskDispatcher, context: { directory: string; logger: Logger }) => TaskDispatcher) | undefined {
  const redisUrl = env[FLEET_ENV.redisUrl]
  if (redisUrl === undefined) return undefined
  let caps: Record<string, number>
  try {
    caps = JSON.parse(env[FLEET_ENV.providerCaps] ?? '{}') as Record<string, number>
  } catch (error) {
    throw new OrchestratorError({ code: 'config-invalid', message: `${FLEET_ENV.providerCaps} is not JSON: ${String(error)}`, cause: error })
  }
  if (Object.keys(caps).length === 0) return undefined
  const [providerId, ...modelParts] = (env[FLEET_ENV.defaultModel] ?? '').split('/')
  const defaultModel = providerId && modelParts.length > 0 ? { providerId, modelId: modelParts.join('/') } : undefined
  let redis: Redis | undefined
  return (local, { logger }) => {
    redis ??= connectRedis(redisUrl, logger)
    return createRedisTaskDispatcher({
      redis,
      keyPrefix: fleetKeys({ ...(env[FLEET_ENV.queueName] !== undefined ? { queueName: env[FLEET_ENV.queueName] } : {}) }).leases,
      limits: { default: 0, agents: {}, providers: caps, models: {} },
      ...(defaultModel !== undefined ? { defaultModel } : {}),
      local,
      logger,
    })
  }
}
