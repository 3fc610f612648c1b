import { resolve } from 'node:path'
import type { PluginInput } from '@opencode-ai/plugin'
import {
  HOST_PORT_VERSION,
  OrchestratorError,
  errorMessage,
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
  /**
   * Told before the host first names another directory to OpenCode (a session created there, or
   * `warm`), and after `release`: OpenCode boots an instance for that directory and loads the
   * plugin again there, and that copy must find its owner (docs/decisions/088).
   */
  directories?: { claim(directory: string): void; unclaim(directory: string): void }
}

/** A `HostV1` whose events are fed in by the caller (the plugin's `event` hook, or an SSE stream in tests). */
export interface OpencodeHost extends HostV1 {
  /**
   * Hands one raw OpenCode bus event to the host's listeners. Events of sessions in another
   * directory arrive here too: OpenCode publishes them only to that directory's instance, whose
   * copy of the plugin forwards them (docs/decisions/088).
   */
  dispatch(event: unknown): void
  /** Directory a session runs in (its own, or the project's). */
  directoryOf(sessionId: string): string
}

/** Rules every session in another directory gets: OpenCode refuses its file tools' paths outside it (measured, docs/opencode-worktree-facts.md). */
export const CONFINED_SESSION_RULES: readonly PermissionRule[] = [{ permission: 'external_directory', pattern: '*', action: 'deny' }]

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
export function createOpencodeHost({ client, directory, logger, directories }: CreateOpencodeHostOptions): OpencodeHost {
  const listeners = new Set<(event: HostEvent) => void>()
  const main = resolve(directory)
  /** Sessions that run in another directory: every later call on them names it (OpenCode routes a call to the instance of its directory). */
  const sessionDirectories = new Map<string, string>()
  /** Other directories in use (sessions there, or warmed): `status()` asks each. */
  const claimed = new Set<string>()
  const claim = (path: string) => {
    if (path === main || claimed.has(path)) return
    claimed.add(path)
    directories?.claim(path)
  }
  const remember = (sessionId: string, path: string | undefined) => {
    if (path === undefined) return
    const absolute = resolve(path)
    if (absolute === main) return
    claim(absolute)
    sessionDirectories.set(sessionId, absolute)
  }
  const directoryOf = (sessionId: string) => sessionDirectories.get(sessionId) ?? main
  const query = { directory }
  const on = (sessionId: string) => ({ directory: directoryOf(sessionId) })

  return {
    version: HOST_PORT_VERSION,
    sessions: {
      async create(options) {
        // The server (1.18.33) also takes `agent` and `permission` here; the plugin's v1 client types lag behind it.
        const body: { parentID?: string; title: string; agent?: string; permission?: PermissionRule[] } = { title: options.title }
        if (options.parentId) body.parentID = options.parentId
        if (options.agent) body.agent = options.agent
        const target = options.directory === undefined ? main : resolve(options.directory)
        const rules = [...(options.permission ?? []), ...(target === main ? [] : CONFINED_SESSION_RULES)]
        if (rules.length > 0) body.permission = rules.map((rule) => ({ ...rule }))
        // Claimed before the call: OpenCode boots the directory's instance inside it, and the plugin copy loaded there looks for its owner.
        claim(target)
        const session = toHostSession(unwrap('session.create', await client.session.create({ body, query: { directory: target } })))
        if (!session) throw new OrchestratorError({ code: 'host-failed', message: 'OpenCode session.create returned no session id' })
        remember(session.id, target)
        return session.directory === undefined ? { ...session, directory: target } : session
      },
      async get(sessionId) {
        const result = await client.session.get({ path: { id: sessionId }, query: on(sessionId) })
        if (result.response?.status === 404) return undefined
        if (result.error !== undefined) {
          // OpenCode answers an unknown id with an error body; treat "not found" shapes as absent.
          const text = JSON.stringify(result.error)
          if (/notfound|not found/i.test(text)) return undefined
        }
        const session = toHostSession(unwrap('session.get', result))
        // After a restart the host learns a session's directory from OpenCode (sessions are stored per server, not per instance).
        if (session) remember(session.id, session.directory)
        return session
      },
      async children(sessionId) {
        const sessions = unwrap('session.children', await client.session.children({ path: { id: sessionId }, query: on(sessionId) }))
        const children = sessions.map(toHostSession).filter((session) => session !== undefined)
        for (const child of children) remember(child.id, child.directory)
        return children
      },
      async promptAsync(options) {
        const body: {
          parts: PromptTextPart[]
          agent?: string
          model?: { providerID: string; modelID: string }
        } = { parts: promptParts(options.text) }
        if (options.agent) body.agent = options.agent
        if (options.model) body.model = { providerID: options.model.providerId, modelID: options.model.modelId }
        const result = await client.session.promptAsync({ path: { id: options.sessionId }, body, query: on(options.sessionId) })
        if (result.error !== undefined) unwrap('session.promptAsync', result)
      },
      async abort(sessionId) {
        unwrap('session.abort', await client.session.abort({ path: { id: sessionId }, query: on(sessionId) }))
      },
      async delete(sessionId) {
        unwrap('session.delete', await client.session.delete({ path: { id: sessionId }, query: on(sessionId) }))
        sessionDirectories.delete(sessionId)
      },
      async messages(sessionId, options) {
        const list = unwrap(
          'session.messages',
          await client.session.messages({ path: { id: sessionId }, query: { ...on(sessionId), ...(options?.limit ? { limit: options.limit } : {}) } }),
        )
        const messages: HostMessage[] = []
        for (const entry of list) {
          const message = toHostMessage(entry.info, entry.parts)
          if (message) messages.push(message)
        }
        return messages
      },
      async todos(sessionId) {
        return toHostTodos(unwrap('session.todo', await client.session.todo({ path: { id: sessionId }, query: on(sessionId) })))
      },
      async status() {
        // Each instance knows only its own sessions' status: ask the project's and every other directory in use.
        const maps = await Promise.all(
          [main, ...claimed].map(async (path) => unwrap('session.status', await client.session.status({ query: { directory: path } })) as Record<string, unknown>),
        )
        const statuses: Record<string, HostSessionStatus> = {}
        for (const map of maps) {
          for (const [sessionId, value] of Object.entries(map)) {
            const status = toHostStatus(value)
            if (status) statuses[sessionId] = status
          }
        }
        return statuses
      },
      async summarize(sessionId, model) {
        const body = model ? { providerID: model.providerId, modelID: model.modelId } : undefined
        unwrap('session.summarize', await client.session.summarize({ path: { id: sessionId }, query: on(sessionId), ...(body ? { body } : {}) }))
      },
      async warm(path) {
        const target = resolve(path)
        if (target === main) return
        claim(target)
        const started = Date.now()
        try {
          // Measured on 1.18.33 (docs/opencode-worktree-facts.md): after these three, the first session there reaches the
          // model in ~90 ms instead of ~1.1 s; booting the instance alone (any call) saves almost nothing. The file search
          // builds the instance's file index, which the first prompt would otherwise wait for.
          const where = { query: { directory: target } }
          unwrap('tool.ids', await client.tool.ids(where))
          unwrap('config.providers', await client.config.providers(where))
          unwrap('find.files', await client.find.files({ query: { directory: target, query: 'README' } }))
          logger.log('debug', 'warmed the OpenCode instance of a directory', { directory: target, ms: Date.now() - started })
        } catch (error) {
          logger.log('warn', 'could not warm the OpenCode instance of a directory; its first session starts cold', { directory: target, error: errorMessage(error) })
        }
      },
      async release(path) {
        const target = resolve(path)
        if (target === main) return
        // Disposing the instance stops its watchers and writers before the folder goes (measured: nothing is written there afterwards).
        unwrap('instance.dispose', await client.instance.dispose({ query: { directory: target } }))
        for (const [sessionId, sessionDirectory] of sessionDirectories) if (sessionDirectory === target) sessionDirectories.delete(sessionId)
        if (claimed.delete(target)) directories?.unclaim(target)
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
    directoryOf,
    dispatch(raw) {
      const event = translateEvent(raw)
      if (!event) return
      if (event.type === 'session-create') remember(event.session.id, event.session.directory)
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
