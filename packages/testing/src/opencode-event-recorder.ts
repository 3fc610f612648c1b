import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2'
import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'

/** One event as received from the server's SSE stream. */
export interface RecordedEvent {
  /** 0-based position in the recording. */
  index: number
  /** Epoch ms the event was received. */
  receivedAt: number
  /** Server run that sent it: 1 for the first start, 2 after the first restart, … */
  generation: number
  event: OpencodeEvent
}

export interface WaitForEventOptions {
  /** Only consider events at or after this index (see {@link EventRecorder.mark}). Default 0: past events count too. */
  since?: number
}

/** Records every event of one OpenCode project instance (`GET /event`), across server restarts. */
export interface EventRecorder {
  /** Every event so far, oldest first. */
  readonly all: readonly RecordedEvent[]
  /** Whether the SSE stream is open right now. */
  readonly connected: boolean
  /** Events of one type. */
  ofType<Type extends OpencodeEvent['type']>(type: Type): Array<Extract<OpencodeEvent, { type: Type }>>
  /** Current length of the recording: pass it as `since` to wait only for later events. */
  mark(): number
  /**
   * Resolves with the first recorded event (from `since`) that satisfies `predicate`, waiting for
   * it up to `timeoutMs` (default 30 s). The timeout error lists the last events seen.
   */
  waitFor(
    predicate: (event: OpencodeEvent, recorded: RecordedEvent) => boolean,
    timeoutMs?: number,
    options?: WaitForEventOptions,
  ): Promise<RecordedEvent>
  /** Forgets the events recorded so far (indexes keep counting). */
  clear(): void
}

/** The recorder plus the controls the server harness uses. */
export interface ControlledEventRecorder extends EventRecorder {
  /** Opens the stream; resolves when the server sent `server.connected`. */
  connect(options: { url: string; directory: string; generation: number; timeoutMs: number }): Promise<void>
  /** Closes the stream. */
  disconnect(): void
}

/** Splits an SSE byte stream into `data:` payloads. */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''))
        .join('\n')
      if (data.length > 0) yield data
    }
  }
}

/**
 * Creates an event recorder. It reads the SSE stream itself (rather than through the SDK's
 * retrying client) so a test controls exactly when it connects and disconnects.
 */
export function createEventRecorder(options: { onError?: (message: string) => void } = {}): ControlledEventRecorder {
  let events: RecordedEvent[] = []
  let nextIndex = 0
  let controller: AbortController | undefined
  let connected = false
  const waiters = new Set<(recorded: RecordedEvent) => void>()

  const record = (event: OpencodeEvent, generation: number) => {
    const recorded: RecordedEvent = { index: nextIndex++, receivedAt: Date.now(), generation, event }
    events.push(recorded)
    for (const waiter of [...waiters]) waiter(recorded)
  }

  const describeTail = () =>
    events
      .slice(-15)
      .map((recorded) => recorded.event.type)
      .join(', ')

  return {
    get all() {
      return events
    },
    get connected() {
      return connected
    },
    ofType(type) {
      return events.map((recorded) => recorded.event).filter((event) => event.type === type) as never
    },
    mark: () => nextIndex,
    waitFor(predicate, timeoutMs = 30_000, waitOptions = {}) {
      const since = waitOptions.since ?? 0
      const past = events.find((recorded) => recorded.index >= since && predicate(recorded.event, recorded))
      if (past !== undefined) return Promise.resolve(past)
      return new Promise((resolve, reject) => {
        const waiter = (recorded: RecordedEvent) => {
          if (recorded.index < since || !predicate(recorded.event, recorded)) return
          waiters.delete(waiter)
          clearTimeout(timer)
          resolve(recorded)
        }
        const timer = setTimeout(() => {
          waiters.delete(waiter)
          reject(
            new OrchestratorError({
              code: 'host-failed',
              message: `No matching OpenCode event within ${timeoutMs} ms (stream ${connected ? 'open' : 'closed'}; last events: ${describeTail() || 'none'})`,
            }),
          )
        }, timeoutMs)
        waiters.add(waiter)
      })
    },
    clear() {
      events = []
    },
    async connect({ url, directory, generation, timeoutMs }) {
      controller?.abort()
      const own = new AbortController()
      controller = own
      const open = () =>
        fetch(`${url}/event?directory=${encodeURIComponent(directory)}`, {
          headers: { accept: 'text/event-stream', 'x-opencode-directory': encodeURIComponent(directory) },
          signal: own.signal,
        })
      let response: Response
      try {
        response = await open()
      } catch (error) {
        // Right after a restart on the same port, Node's connection pool can hand out a socket of
        // the killed server (ECONNRESET); one fresh attempt gets a new connection.
        if (own.signal.aborted) throw error
        options.onError?.(`OpenCode event stream: first connect failed (${errorMessage((error as { cause?: unknown }).cause ?? error)}); retrying once`)
        await new Promise((resolve) => setTimeout(resolve, 100))
        response = await open()
      }
      if (!response.ok || response.body === null) {
        throw new OrchestratorError({
          code: 'host-failed',
          message: `OpenCode event stream ${url}/event answered HTTP ${response.status}`,
        })
      }
      const body = response.body
      let resolveConnected: () => void = () => {}
      const ready = new Promise<void>((resolve) => (resolveConnected = resolve))
      connected = true
      void (async () => {
        try {
          for await (const data of sseData(body)) {
            let event: OpencodeEvent
            try {
              event = JSON.parse(data) as OpencodeEvent
            } catch (error) {
              options.onError?.(`Unparseable OpenCode event: ${errorMessage(error)}: ${data.slice(0, 200)}`)
              continue
            }
            record(event, generation)
            if (event.type === 'server.connected') resolveConnected()
          }
        } catch (error) {
          // A stop or restart aborts the stream on purpose; anything else is worth a log line.
          if (!own.signal.aborted) options.onError?.(`OpenCode event stream failed: ${errorMessage(error)}`)
        } finally {
          if (controller === own) connected = false
        }
      })()
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        await Promise.race([
          ready,
          new Promise((_, reject) => {
            timer = setTimeout(
              () =>
                reject(
                  new OrchestratorError({
                    code: 'host-failed',
                    message: `OpenCode event stream sent no server.connected within ${timeoutMs} ms`,
                  }),
                ),
              timeoutMs,
            )
          }),
        ])
      } finally {
        clearTimeout(timer)
      }
    },
    disconnect() {
      controller?.abort()
      controller = undefined
      connected = false
    },
  }
}
