const marker = Symbol.for('opencode-orchestrator.error')

/** Every error code the orchestrator raises. Codes are stable; messages may improve. */
export type OrchestratorErrorCode =
  | 'config-invalid'
  | 'limit-exceeded'
  | 'acquire-timeout'
  | 'task-cancelled'
  | 'task-not-found'
  | 'mission-not-found'
  | 'mission-ended'
  | 'journal-corrupt'
  | 'journal-version'
  | 'todo-invalid'
  | 'todo-cycle'
  | 'todo-unknown-dependency'
  | 'todo-markdown'
  | 'agent-unknown'
  | 'storage-failed'
  | 'host-failed'
  | 'permission-denied'
  | 'invalid-argument'
  | 'not-implemented'
  | 'disposed'
  | 'git-failed'

export interface OrchestratorErrorOptions {
  code: OrchestratorErrorCode
  message: string
  cause?: unknown
  /** Machine-readable details (the limit that was hit, the bad path, …). */
  details?: Record<string, unknown>
}

/**
 * The one error class of the project. Check with {@link OrchestratorError.isInstance}
 * rather than `instanceof`: it also recognises errors from another copy of the package.
 */
export class OrchestratorError extends Error {
  private readonly [marker] = true
  readonly code: OrchestratorErrorCode
  readonly details: Record<string, unknown>

  constructor({ code, message, cause, details }: OrchestratorErrorOptions) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'OrchestratorError'
    this.code = code
    this.details = details ?? {}
  }

  static isInstance(error: unknown): error is OrchestratorError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[marker] === true
  }

  /** True when `error` is an orchestrator error with the given code. */
  static hasCode(error: unknown, code: OrchestratorErrorCode): error is OrchestratorError {
    return OrchestratorError.isInstance(error) && error.code === code
  }
}

/** Text of any thrown value, for logs and notices. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error)
  } catch {
    return String(error)
  }
}
