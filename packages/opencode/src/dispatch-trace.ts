import { appendFile } from 'node:fs/promises'
import { errorMessage, type Clock, type HostV1, type Logger, type TaskDispatcher } from '@opencode-orchestrator/core'

/** One step of a delegation on its way to the child's first turn, as seen by the plugin. */
export type DispatchTraceEntry =
  | { at: number; step: 'request' | 'grant'; taskId: string }
  | { at: number; step: 'create-start'; title: string; parentId?: string }
  | { at: number; step: 'create-end'; title: string; sessionId?: string; error?: string }
  | { at: number; step: 'prompt-start' | 'prompt-end'; sessionId: string; error?: string }

export interface DispatchTrace {
  /** The host with `sessions.create` and `sessions.promptAsync` timed; everything else untouched. */
  traceHost(host: HostV1): HostV1
  /** The dispatcher with each request and its grant timed. */
  traceDispatcher(dispatcher: TaskDispatcher): TaskDispatcher
  /** Writes what is buffered. */
  flush(): Promise<void>
}

export interface CreateDispatchTraceOptions {
  /** JSONL file the entries are appended to. */
  file: string
  clock: Clock
  logger: Logger
  /** How long entries are buffered before they are written, in ms. Default 250. */
  flushEveryMs?: number
}

/**
 * Opt-in timing of the dispatch hot path (env `OPENCODE_ORCHESTRATOR_TRACE=<file>`),
 * for the benchmarks' per-child timeline: scheduler request → grant →
 * `session.create` sent/answered → `promptAsync` sent/answered. Entries are
 * buffered and appended off the hot path; without the variable nothing is wrapped.
 */
export function createDispatchTrace({ file, clock, logger, flushEveryMs = 250 }: CreateDispatchTraceOptions): DispatchTrace {
  let buffer: string[] = []
  let timer: ReturnType<Clock['setTimeout']> | undefined
  let writing: Promise<void> = Promise.resolve()

  const flush = (): Promise<void> => {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    if (buffer.length === 0) return writing
    const text = buffer.join('')
    buffer = []
    writing = writing.then(() =>
      appendFile(file, text).catch((error: unknown) => logger.log('error', 'could not write the dispatch trace', { file, error: errorMessage(error) })),
    )
    return writing
  }
  const record = (entry: DispatchTraceEntry) => {
    buffer.push(`${JSON.stringify(entry)}\n`)
    timer ??= clock.setTimeout(() => void flush(), flushEveryMs)
  }

  return {
    traceHost(host) {
      return {
        ...host,
        sessions: {
          ...host.sessions,
          async create(options) {
            record({ at: clock.now(), step: 'create-start', title: options.title, ...(options.parentId ? { parentId: options.parentId } : {}) })
            try {
              const session = await host.sessions.create(options)
              record({ at: clock.now(), step: 'create-end', title: options.title, sessionId: session.id })
              return session
            } catch (error) {
              record({ at: clock.now(), step: 'create-end', title: options.title, error: errorMessage(error) })
              throw error
            }
          },
          async promptAsync(options) {
            record({ at: clock.now(), step: 'prompt-start', sessionId: options.sessionId })
            try {
              await host.sessions.promptAsync(options)
              record({ at: clock.now(), step: 'prompt-end', sessionId: options.sessionId })
            } catch (error) {
              record({ at: clock.now(), step: 'prompt-end', sessionId: options.sessionId, error: errorMessage(error) })
              throw error
            }
          },
        },
      }
    },
    traceDispatcher(dispatcher) {
      return {
        request(request) {
          record({ at: clock.now(), step: 'request', taskId: request.taskId })
          const ticket = dispatcher.request(request)
          return {
            granted: ticket.granted.then((lease) => {
              record({ at: clock.now(), step: 'grant', taskId: request.taskId })
              return lease
            }),
            cancel: (reason) => ticket.cancel(reason),
          }
        },
      }
    },
    flush,
  }
}
