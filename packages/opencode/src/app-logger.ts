import { createLogger, type Logger, type LogLevel } from '@opencode-orchestrator/core'
import type { OpencodeClient } from './opencode-host'

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 }

export interface CreateAppLoggerOptions {
  client: OpencodeClient
  directory: string
  /** Entries below this level are dropped. Default `info`. */
  level?: LogLevel
  /** Called when OpenCode refuses a log entry (so a broken log path is still visible). */
  onSinkError?: (error: unknown) => void
}

/** Structured logger that writes to OpenCode's own log through `app.log` (service `orchestrator`). */
export function createAppLogger({ client, directory, level = 'info', onSinkError }: CreateAppLoggerOptions): Logger {
  const minimum = RANK[level]
  return createLogger(({ level: entryLevel, message, fields }) => {
    if (RANK[entryLevel] < minimum) return
    client.app
      .log({ body: { service: 'orchestrator', level: entryLevel, message, extra: fields }, query: { directory } })
      .then((result) => {
        if (result.error !== undefined) onSinkError?.(result.error)
      })
      .catch((error: unknown) => onSinkError?.(error))
  })
}
