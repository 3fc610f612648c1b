import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'
import { completionBody, streamFrames } from './chat-completion-frames'
import type { ScriptedReply } from './chat-completion-frames'
import { summarizeChatRequest } from './chat-request-summary'
import type { ChatRequestSummary } from './chat-request-summary'

/** Pauses of one response. Every pause ends early when the client disconnects. */
export interface ScriptedDelays {
  /** Before the status line and headers are sent (the client sees nothing). */
  beforeHeadersMs?: number
  /** After the headers, before the first SSE frame (streaming only). */
  beforeFirstChunkMs?: number
  /** Between two SSE frames (streaming only). */
  betweenChunksMs?: number
}

/** An HTTP error the scripted model answers with. */
export interface ScriptedHttpError {
  /** HTTP status, e.g. 429, 500, 401. */
  status: number
  /** Body: an object is sent as JSON, a string as is. Default: an OpenAI-style `{ error: { message } }`. */
  body?: unknown
  /** Extra response headers, e.g. `{ 'retry-after-ms': '1500' }` or `{ 'retry-after': '2' }`. */
  headers?: Record<string, string>
}

/** One scripted answer: a reply, an HTTP error, or a request that never gets an answer. */
export type ScriptedResponse =
  | (ScriptedReply & { delays?: ScriptedDelays; error?: undefined; hang?: undefined })
  | { error: ScriptedHttpError; delays?: Pick<ScriptedDelays, 'beforeHeadersMs'>; hang?: undefined }
  /** Keeps the request open, sending nothing, until the client disconnects or the server closes. */
  | { hang: true; error?: undefined }

/** A response, or a function of the request that returns one (e.g. to answer tool results). */
export type ScriptedResponder =
  | ScriptedResponse
  | ((request: ChatRequestSummary) => ScriptedResponse | Promise<ScriptedResponse>)

/** What a rule matches on. Every given field must match; an empty matcher matches every request. */
export interface ScriptedMatcher {
  /** Substring of, or pattern on, the system prompt text. */
  system?: string | RegExp
  /** Substring of, or pattern on, the last user message. */
  user?: string | RegExp
  /** Substring of, or pattern on, any message of the conversation (system, user, assistant, tool). */
  marker?: string | RegExp
  /** A tool with this name is offered to the model. */
  tool?: string
  /** Role of the last message: `user` (a fresh turn) or `tool` (the client sends tool results). */
  lastRole?: string
  /** Any other condition. */
  predicate?: (request: ChatRequestSummary) => boolean
}

export interface ScriptedRule {
  /** Name shown in the request log. Default `#<index>`. */
  name?: string
  /** Default: matches every request. */
  match?: ScriptedMatcher
  /**
   * One responder, or a sequence: each matching request consumes the next element and the
   * last one repeats (unless `once`). Give parallel sessions different markers so each gets its own script.
   */
  respond: ScriptedResponder | ScriptedResponder[]
  /** After the last response was used, the rule stops matching. */
  once?: boolean
}

/** One request as the scripted model saw it. */
export interface ScriptedModelRequest {
  /** 1-based, in arrival order. */
  number: number
  method: string
  path: string
  /** Epoch ms the request arrived. */
  receivedAt: number
  /** Epoch ms the response ended or the client went away; absent while in flight. */
  endedAt?: number
  /** Name of the matched rule; absent when no rule matched. */
  rule?: string
  /** Index of the response within the rule's sequence. */
  responseIndex?: number
  /** HTTP status sent (absent when the client left before the headers). */
  status?: number
  /** The client closed the connection before the response was complete. */
  closedEarly: boolean
  /** Set when the responder function threw; the client got a 500. */
  responderError?: string
  /** Summary of a chat-completions body (absent for other routes). */
  summary?: ChatRequestSummary
}

export interface StartScriptedModelOptions {
  /** Initial rules; first matching rule wins. */
  rules?: ScriptedRule[]
  /** Port to listen on (always on 127.0.0.1). Default `0`: any free port. */
  port?: number
  /** Model ids listed by `GET /v1/models`. Default `['fake-model']`. */
  models?: string[]
  /** Answer to requests no rule matches. Default: HTTP 400 naming the request (OpenCode fails fast on 400). */
  unmatched?: ScriptedResponse
}

export interface ScriptedModel {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** `url + '/v1'`: what an OpenAI-compatible provider's `baseURL` needs. */
  readonly baseURL: string
  /** Every request so far, in arrival order. Entries are updated in place when responses end. */
  readonly requests: readonly ScriptedModelRequest[]
  /** Appends a rule (lower precedence than the existing ones). */
  addRule(rule: ScriptedRule): void
  /** Removes every rule, the request log and the sequence positions. */
  reset(): void
  /** Resolves with the first request (already logged or future) that satisfies `predicate`, once it has ended. */
  waitForRequest(
    predicate: (request: ScriptedModelRequest) => boolean,
    options?: { timeoutMs?: number },
  ): Promise<ScriptedModelRequest>
  /** Stops listening and cuts every open request. */
  close(): Promise<void>
}

interface RuleState {
  rule: ScriptedRule
  name: string
  used: number
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function matchesText(pattern: string | RegExp | undefined, text: string): boolean {
  if (pattern === undefined) return true
  return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text)
}

function matches(matcher: ScriptedMatcher | undefined, request: ChatRequestSummary): boolean {
  if (matcher === undefined) return true
  if (!matchesText(matcher.system, request.system)) return false
  if (!matchesText(matcher.user, request.lastUserMessage)) return false
  if (matcher.marker !== undefined && !matchesText(matcher.marker, JSON.stringify(request.body.messages ?? []))) {
    return false
  }
  if (matcher.tool !== undefined && !request.toolNames.includes(matcher.tool)) return false
  if (matcher.lastRole !== undefined && request.lastRole !== matcher.lastRole) return false
  return matcher.predicate === undefined || matcher.predicate(request)
}

/** Resolves after `ms`, or early with `false` when `signal` aborts. */
function pause(ms: number | undefined, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  if (ms === undefined || ms <= 0) return Promise.resolve(true)
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  response.writeHead(status, { 'content-type': 'application/json', ...headers })
  response.end(text)
}

/**
 * Starts an OpenAI-compatible model on 127.0.0.1 that answers from a script.
 *
 * @example
 * const model = await startScriptedModel({
 *   rules: [{ match: { user: 'hello' }, respond: { text: 'Hi there' } }],
 * })
 * // point a provider at model.baseURL, then:
 * await model.close()
 */
export async function startScriptedModel(options: StartScriptedModelOptions = {}): Promise<ScriptedModel> {
  const rules: RuleState[] = []
  const requests: ScriptedModelRequest[] = []
  // In-flight requests: their abort switch and a promise that settles once their response closed.
  const inFlight = new Map<AbortController, Promise<void>>()
  const waiters = new Set<() => void>()
  const models = options.models ?? ['fake-model']
  let requestCounter = 0

  const addRule = (rule: ScriptedRule) => {
    const responders = Array.isArray(rule.respond) ? rule.respond : [rule.respond]
    if (responders.length === 0) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Scripted rule ${rule.name ?? `#${rules.length}`}: respond is an empty array. Give at least one response.`,
        details: { field: 'respond' },
      })
    }
    rules.push({ rule, name: rule.name ?? `#${rules.length}`, used: 0 })
  }
  for (const rule of options.rules ?? []) addRule(rule)

  const notify = () => {
    for (const waiter of [...waiters]) waiter()
  }

  /** Picks the rule and the responder for a request, consuming one step of a sequence. */
  const pick = (summary: ChatRequestSummary) => {
    for (const state of rules) {
      const responders = Array.isArray(state.rule.respond) ? state.rule.respond : [state.rule.respond]
      if (state.rule.once === true && state.used >= responders.length) continue
      if (!matches(state.rule.match, summary)) continue
      const index = Math.min(state.used, responders.length - 1)
      state.used++
      return { state, index, responder: responders[index]! }
    }
    return undefined
  }

  const respond = async (
    entry: ScriptedModelRequest,
    summary: ChatRequestSummary,
    scripted: ScriptedResponse,
    response: ServerResponse,
    signal: AbortSignal,
  ) => {
    if (scripted.hang === true) {
      await untilAborted(signal)
      return
    }
    if (!(await pause(scripted.delays?.beforeHeadersMs, signal))) return
    if (scripted.error !== undefined) {
      const { status, body, headers } = scripted.error
      entry.status = status
      sendJson(response, status, body ?? { error: { message: `Scripted error ${status}`, type: 'scripted_error', code: status } }, headers)
      return
    }
    const context = {
      id: `chatcmpl-${entry.number}`,
      model: summary.model || (models[0] ?? 'fake-model'),
      created: Math.floor(entry.receivedAt / 1000),
      requestNumber: entry.number,
    }
    if (!summary.stream) {
      entry.status = 200
      sendJson(response, 200, completionBody(scripted, context))
      return
    }
    entry.status = 200
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    response.flushHeaders()
    if (!(await pause(scripted.delays?.beforeFirstChunkMs, signal))) return
    const frames = streamFrames(scripted, context)
    for (const [index, frame] of frames.entries()) {
      if (index > 0 && !(await pause(scripted.delays?.betweenChunksMs, signal))) return
      response.write(`data: ${JSON.stringify(frame)}\n\n`)
    }
    if (!(await pause(scripted.delays?.betweenChunksMs, signal))) return
    response.end('data: [DONE]\n\n')
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const controller = new AbortController()
    let responseClosed: () => void = () => undefined
    inFlight.set(controller, new Promise<void>((resolve) => (responseClosed = resolve)))
    const path = (request.url ?? '/').split('?')[0] ?? '/'
    const entry: ScriptedModelRequest = {
      number: ++requestCounter,
      method: request.method ?? 'GET',
      path,
      receivedAt: Date.now(),
      closedEarly: false,
    }
    requests.push(entry)
    // `close` on the response fires both after a normal end and when the client goes away;
    // only the latter leaves the response unfinished.
    response.on('close', () => {
      if (!response.writableFinished) {
        entry.closedEarly = true
        controller.abort()
      }
      entry.endedAt ??= Date.now()
      inFlight.delete(controller)
      responseClosed()
      notify()
    })
    try {
      if (request.method === 'GET' && (path === '/v1/models' || path === '/models')) {
        entry.status = 200
        sendJson(response, 200, {
          object: 'list',
          data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'scripted' })),
        })
        return
      }
      if (request.method !== 'POST' || !(path === '/v1/chat/completions' || path === '/chat/completions')) {
        entry.status = 404
        sendJson(response, 404, { error: { message: `Scripted model has no route ${request.method} ${path}` } })
        return
      }
      const text = await readBody(request)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch (error) {
        entry.status = 400
        sendJson(response, 400, { error: { message: `Request body is not JSON: ${errorMessage(error)}` } })
        return
      }
      if (!isRecord(body)) {
        entry.status = 400
        sendJson(response, 400, { error: { message: 'Request body must be a JSON object' } })
        return
      }
      const summary = summarizeChatRequest(body)
      entry.summary = summary
      const picked = pick(summary)
      let scripted: ScriptedResponse
      if (picked === undefined) {
        scripted = options.unmatched ?? {
          error: {
            status: 400,
            body: {
              error: {
                message: `Scripted model: no rule matched request #${entry.number} (last user message: ${JSON.stringify(summary.lastUserMessage.slice(0, 200))}, last role: ${summary.lastRole})`,
                type: 'invalid_request_error',
              },
            },
          },
        }
      } else {
        entry.rule = picked.state.name
        entry.responseIndex = picked.index
        try {
          scripted = typeof picked.responder === 'function' ? await picked.responder(summary) : picked.responder
        } catch (error) {
          entry.responderError = errorMessage(error)
          entry.status = 500
          // 500 would make OpenCode retry for a long time; 400 makes the broken script visible at once.
          sendJson(response, 400, { error: { message: `Scripted responder of rule ${picked.state.name} threw: ${entry.responderError}` } })
          entry.status = 400
          return
        }
      }
      await respond(entry, summary, scripted, response, controller.signal)
    } finally {
      if (!controller.signal.aborted && !response.writableEnded) response.end()
    }
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // Only reachable on a bug in the handler itself: make it loud in the test output.
      console.error('[scripted-model] request handler failed:', error)
      if (!response.headersSent) sendJson(response, 500, { error: { message: errorMessage(error) } })
      else response.destroy()
    })
  })
  // Keep-alive sockets would otherwise hold close() open.
  server.keepAliveTimeout = 1_000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}`
  let closed = false

  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    addRule,
    reset() {
      rules.length = 0
      requests.length = 0
    },
    waitForRequest(predicate, waitOptions) {
      const timeoutMs = waitOptions?.timeoutMs ?? 30_000
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = requests.find((request) => request.endedAt !== undefined && predicate(request))
          if (found === undefined) return false
          waiters.delete(check)
          clearTimeout(timer)
          resolve(found)
          return true
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new OrchestratorError({
              code: 'host-failed',
              message: `Scripted model: no matching request ended within ${timeoutMs} ms (${requests.length} requests so far: ${requests
                .map((request) => `#${request.number} ${request.rule ?? 'unmatched'}`)
                .join(', ')})`,
            }),
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async close() {
      if (closed) return
      closed = true
      const pending = [...inFlight.values()]
      for (const controller of inFlight.keys()) controller.abort()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      // The log is final once every cut response has recorded its end.
      await Promise.all(pending)
    },
  }
}
