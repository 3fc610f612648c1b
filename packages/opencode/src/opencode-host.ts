import type { PluginInput } from '@opencode-ai/plugin'
import {
  HOST_PORT_VERSION,
  OrchestratorError,
  type HostEvent,
  type HostMessage,
  type HostSessionStatus,
  type HostV1,
  type Logger,
  type PermissionRule,
} from '@opencode-orchestrator/core'
import { toHostMessage, toHostSession, toHostStatus, toHostTodos, translateEvent } from './event-translation'
import { promptParts, type PromptTextPart } from './prompt-parts'

/** The v1 SDK client OpenCode hands to plugins. */
export type OpencodeClient = PluginInput['client']

export interface CreateOpencodeHostOptions {
  client: OpencodeClient
  /** Project directory; sent with every call so a multi-project server routes it right. */
  directory: string
  logger: Logger
}

/** A `HostV1` whose events are fed in by the caller (the plugin's `event` hook, or an SSE stream in tests). */
export interface OpencodeHost extends HostV1 {
  /** Hands one raw OpenCode bus event to the host's listeners. */
  dispatch(event: unknown): void
}

interface SdkResult<T> {
  data?: T
  error?: unknown
  response?: { status: number }
}

function unwrap<T>(operation: string, result: SdkResult<T>): T {
  if (result.error !== undefined || result.data === undefined) {
    const status = result.response?.status
    const detail = result.error === undefined ? 'no data' : JSON.stringify(result.error)
    throw new OrchestratorError({
      code: 'host-failed',
      message: `OpenCode ${operation} failed${status ? ` (HTTP ${status})` : ''}: ${detail.slice(0, 300)}`,
      details: { operation, status },
      cause: result.error,
    })
  }
  return result.data
}

/** Implements the core's host port on OpenCode's plugin client. */
export function createOpencodeHost({ client, directory, logger }: CreateOpencodeHostOptions): OpencodeHost {
  const listeners = new Set<(event: HostEvent) => void>()
  const query = { directory }

  return {
    version: HOST_PORT_VERSION,
    sessions: {
      async create(options) {
        // The server (1.18.33) also takes `agent` and `permission` here; the plugin's v1 client types lag behind it.
        const body: { parentID?: string; title: string; agent?: string; permission?: PermissionRule[] } = { title: options.title }
        if (options.parentId) body.parentID = options.parentId
        if (options.agent) body.agent = options.agent
        if (options.permission && options.permission.length > 0) body.permission = options.permission.map((rule) => ({ ...rule }))
        const session = toHostSession(unwrap('session.create', await client.session.create({ body, query })))
        if (!session) throw new OrchestratorError({ code: 'host-failed', message: 'OpenCode session.create returned no session id' })
        return session
      },
      async get(sessionId) {
        const result = await client.session.get({ path: { id: sessionId }, query })
        if (result.response?.status === 404) return undefined
        if (result.error !== undefined) {
          // OpenCode answers an unknown id with an error body; treat "not found" shapes as absent.
          const text = JSON.stringify(result.error)
          if (/notfound|not found/i.test(text)) return undefined
        }
        return toHostSession(unwrap('session.get', result))
      },
      async children(sessionId) {
        const sessions = unwrap('session.children', await client.session.children({ path: { id: sessionId }, query }))
        return sessions.map(toHostSession).filter((session) => session !== undefined)
      },
      async promptAsync(options) {
        const body: {
          parts: PromptTextPart[]
          agent?: string
          model?: { providerID: string; modelID: string }
        } = { parts: promptParts(options.text) }
        if (options.agent) body.agent = options.agent
        if (options.model) body.model = { providerID: options.model.providerId, modelID: options.model.modelId }
        const result = await client.session.promptAsync({ path: { id: options.sessionId }, body, query })
        if (result.error !== undefined) unwrap('session.promptAsync', result)
      },
      async abort(sessionId) {
        unwrap('session.abort', await client.session.abort({ path: { id: sessionId }, query }))
      },
      async delete(sessionId) {
        unwrap('session.delete', await client.session.delete({ path: { id: sessionId }, query }))
      },
      async messages(sessionId, options) {
        const list = unwrap(
          'session.messages',
          await client.session.messages({ path: { id: sessionId }, query: { ...query, ...(options?.limit ? { limit: options.limit } : {}) } }),
        )
        const messages: HostMessage[] = []
        for (const entry of list) {
          const message = toHostMessage(entry.info, entry.parts)
          if (message) messages.push(message)
        }
        return messages
      },
      async todos(sessionId) {
        return toHostTodos(unwrap('session.todo', await client.session.todo({ path: { id: sessionId }, query })))
      },
      async status() {
        const map = unwrap('session.status', await client.session.status({ query })) as Record<string, unknown>
        const statuses: Record<string, HostSessionStatus> = {}
        for (const [sessionId, value] of Object.entries(map)) {
          const status = toHostStatus(value)
          if (status) statuses[sessionId] = status
        }
        return statuses
      },
      async summarize(sessionId, model) {
        const body = model ? { providerID: model.providerId, modelID: model.modelId } : undefined
        unwrap('session.summarize', await client.session.summarize({ path: { id: sessionId }, query, ...(body ? { body } : {}) }))
      },
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async toast(toast) {
      unwrap(
        'tui.showToast',
        await client.tui.showToast({
          body: { message: toast.message, variant: toast.variant, ...(toast.title ? { title: toast.title } : {}), ...(toast.durationMs ? { duration: toast.durationMs } : {}) },
          query,
        }),
      )
    },
    dispatch(raw) {
      const event = translateEvent(raw)
      if (!event) return
      for (const listener of listeners) {
        try {
          listener(event)
        } catch (error) {
          logger.log('error', 'host event listener failed', { event: event.type, error: error instanceof Error ? error.message : String(error) })
        }
      }
    },
  }
}
