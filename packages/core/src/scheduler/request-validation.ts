/** Checks of a scheduler request's fields, and the config path named in limit errors. */
import { OrchestratorError } from '../orchestrator-error'
import type { SchedulerRequest } from './scheduler-types'

/** Config path that sets the limit of a key, for error messages. */
export function configPathOfKey(key: string): string {
  const colon = key.indexOf(':')
  if (colon < 0) return 'concurrency.default'
  return `concurrency.${key.slice(0, colon)}s[${JSON.stringify(key.slice(colon + 1))}]`
}

export function invalid(field: string, value: unknown, expected: string): OrchestratorError {
  return new OrchestratorError({
    code: 'invalid-argument',
    message: `Scheduler request ${field}: got ${JSON.stringify(value)}, expected ${expected}.`,
    details: { field, value },
  })
}

export function validateRequest(request: SchedulerRequest): void {
  for (const field of ['taskId', 'missionId', 'parentSessionId', 'agent'] as const) {
    const value: unknown = request[field]
    if (typeof value !== 'string' || value.length === 0) throw invalid(field, value, 'a non-empty string')
  }
  if (!Number.isInteger(request.depth) || request.depth < 0) throw invalid('depth', request.depth, 'a whole number ≥ 0')
  if (request.priority !== undefined && !Number.isFinite(request.priority)) {
    throw invalid('priority', request.priority, 'a finite number')
  }
  if (request.acquireTimeoutMs !== undefined && (!Number.isInteger(request.acquireTimeoutMs) || request.acquireTimeoutMs < 0)) {
    throw invalid('acquireTimeoutMs', request.acquireTimeoutMs, 'a whole number of ms ≥ 0 (0 = wait forever)')
  }
}
