import type { HostError, HostEvent, HostMessage, HostSessionStatus, HostV1 } from '@opencode-orchestrator/core'
import type { OpencodeServer } from '@opencode-orchestrator/testing'

/*
 * A deliberately small HostV1 over the harness's v2 SDK client, for the recovery e2e tests.
 * The production host (with full event translation) lives in the OpenCode adapter.
 */

type Json = Record<string, unknown>
const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const text = (value: unknown) => (typeof value === 'string' ? value : undefined)

function toMessage(info: unknown, parts: unknown[] = []): HostMessage | undefined {
  if (!isRecord(info) || (info.role !== 'user' && info.role !== 'assistant')) return undefined
  const time = isRecord(info.time) ? info.time : {}
  const modelInfo = isRecord(info.model) ? info.model : info
  const providerId = text(info.providerID) ?? text(modelInfo.providerID)
  const modelId = text(info.modelID) ?? text(modelInfo.modelID)
  const error = isRecord(info.error) && typeof info.error.name === 'string' ? (info.error as unknown as HostError) : undefined
  return {
    id: String(info.id),
    sessionId: String(info.sessionID),
    role: info.role,
    createdAt: Number(time.created ?? 0),
    ...(typeof time.completed === 'number' ? { completedAt: time.completed } : {}),
    ...(typeof info.finish === 'string' ? { finish: info.finish } : {}),
    ...(error ? { error } : {}),
    ...(providerId && modelId ? { model: { providerId, modelId } } : {}),
    text: parts
      .filter((part): part is Json => isRecord(part) && part.type === 'text')
      .map((part) => String(part.text))
      .join(''),
    toolCalls: [],
  }
}

function toStatus(status: unknown): HostSessionStatus | undefined {
  if (!isRecord(status)) return undefined
  if (status.type === 'retry') return { type: 'retry', attempt: Number(status.attempt), message: String(status.message), nextAt: Number(status.next) }
  return status.type === 'busy' ? { type: 'busy' } : status.type === 'idle' ? { type: 'idle' } : undefined
}

function toHostEvent(event: { type: string; properties: unknown }): HostEvent | undefined {
  const properties = isRecord(event.properties) ? event.properties : {}
  const sessionId = text(properties.sessionID)
  switch (event.type) {
    case 'session.status': {
      const status = toStatus(properties.status)
      return sessionId && status ? { type: 'session-status', sessionId, status } : undefined
    }
    case 'session.error':
      return { type: 'session-error', error: properties.error as HostError, ...(sessionId ? { sessionId } : {}) }
    case 'session.compacted':
      return sessionId ? { type: 'session-compact', sessionId } : undefined
    case 'message.updated': {
      const message = toMessage(properties.info)
      return message ? { type: 'message-update', message } : undefined
    }
    default:
      return undefined
  }
}

/** A HostV1 over the harness's SDK client; events come from the harness's recorder. Call `stop()` when done. */
export function createTestHost(server: OpencodeServer) {
  const client = server.client
  const listeners = new Set<(event: HostEvent) => void>()
  let delivered = server.events.mark()
  const pump = setInterval(() => {
    const all = server.events.all
    const offset = all[0]?.index ?? 0
    for (const recorded of all.slice(Math.max(0, delivered - offset))) {
      delivered = recorded.index + 1
      const event = toHostEvent(recorded.event)
      if (event) for (const listener of [...listeners]) listener(event)
    }
  }, 10)
  const prompts: string[] = []
  const notImplemented = (name: string) => async () => {
    throw new Error(`test host: ${name} is not needed here`)
  }
  const host: HostV1 = {
    version: 1,
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    toast: notImplemented('toast'),
    sessions: {
      create: notImplemented('create'),
      get: notImplemented('get'),
      children: notImplemented('children'),
      abort: notImplemented('abort'),
      delete: notImplemented('delete'),
      todos: notImplemented('todos'),
      async promptAsync(options) {
        prompts.push(options.sessionId)
        const result = await client.session.promptAsync({
          sessionID: options.sessionId,
          parts: [{ type: 'text', text: options.text }],
          ...(options.agent ? { agent: options.agent } : {}),
          ...(options.model ? { model: { providerID: options.model.providerId, modelID: options.model.modelId } } : {}),
        })
        if (result.error !== undefined) throw new Error(`promptAsync failed: ${JSON.stringify(result.error)}`)
      },
      async messages(sessionId) {
        const result = await client.session.messages({ sessionID: sessionId })
        return (result.data ?? []).map((message) => toMessage(message.info, message.parts)).filter((message) => message !== undefined)
      },
      async status() {
        const result = await client.session.status()
        const statuses: Record<string, HostSessionStatus> = {}
        for (const [id, status] of Object.entries(result.data ?? {})) {
          const parsed = toStatus(status)
          if (parsed) statuses[id] = parsed
        }
        return statuses
      },
      async summarize(sessionId, model) {
        await client.session.summarize({ sessionID: sessionId, ...(model ? { providerID: model.providerId, modelID: model.modelId } : {}) })
      },
    },
  }
  return { host, prompts, stop: () => clearInterval(pump) }
}

