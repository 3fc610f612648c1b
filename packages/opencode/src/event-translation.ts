import type {
  HostError,
  HostEvent,
  HostMessage,
  HostPartUpdate,
  HostSession,
  HostSessionStatus,
  HostTodo,
  HostToolCall,
  TokenUsage,
} from '@opencode-orchestrator/core'

/*
 * Pure translation of OpenCode's bus events and message payloads into the core's
 * host vocabulary. Everything arrives as `unknown` and is read field by field:
 * the server's payloads drift between versions, and a malformed event must be
 * dropped, never crash the host process.
 */

type Json = Record<string, unknown>

const isRecord = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)

export function toHostSession(info: unknown): HostSession | undefined {
  if (!isRecord(info)) return undefined
  const id = str(info['id'])
  if (!id) return undefined
  const parentId = str(info['parentID'])
  const directory = str(info['directory'])
  return { id, title: str(info['title']) ?? '', ...(parentId ? { parentId } : {}), ...(directory ? { directory } : {}) }
}

export function toHostError(error: unknown): HostError | undefined {
  if (!isRecord(error)) return undefined
  const name = str(error['name'])
  if (!name) return undefined
  return isRecord(error['data']) ? { name, data: error['data'] } : { name }
}

export function toHostStatus(status: unknown): HostSessionStatus | undefined {
  if (!isRecord(status)) return undefined
  switch (status['type']) {
    case 'idle':
      return { type: 'idle' }
    case 'busy':
      return { type: 'busy' }
    case 'retry':
      return { type: 'retry', attempt: num(status['attempt']) ?? 0, message: str(status['message']) ?? '', nextAt: num(status['next']) ?? 0 }
    default:
      return undefined
  }
}

function toTokens(tokens: unknown): TokenUsage | undefined {
  if (!isRecord(tokens)) return undefined
  const cache = isRecord(tokens['cache']) ? tokens['cache'] : {}
  return {
    input: num(tokens['input']) ?? 0,
    output: num(tokens['output']) ?? 0,
    reasoning: num(tokens['reasoning']) ?? 0,
    cacheRead: num(cache['read']) ?? 0,
    cacheWrite: num(cache['write']) ?? 0,
  }
}

function toToolCall(part: Json): HostToolCall | undefined {
  const callId = str(part['callID'])
  const tool = str(part['tool'])
  const state = isRecord(part['state']) ? part['state'] : undefined
  const status = str(state?.['status'])
  if (!callId || !tool || !state || !(status === 'pending' || status === 'running' || status === 'completed' || status === 'error')) return undefined
  const time = isRecord(state['time']) ? state['time'] : {}
  const output = status === 'completed' ? str(state['output']) : status === 'error' ? str(state['error']) : undefined
  const startedAt = num(time['start'])
  const endedAt = num(time['end'])
  return {
    callId,
    tool,
    status,
    ...(isRecord(state['input']) ? { input: state['input'] } : {}),
    ...(output !== undefined ? { output } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(endedAt !== undefined ? { endedAt } : {}),
  }
}

/** A message as OpenCode returns it from `session.messages` (`{ info, parts }`) or announces it (`info` only). */
export function toHostMessage(info: unknown, parts: readonly unknown[] = []): HostMessage | undefined {
  if (!isRecord(info)) return undefined
  const id = str(info['id'])
  const sessionId = str(info['sessionID'])
  const role = info['role']
  if (!id || !sessionId || (role !== 'user' && role !== 'assistant')) return undefined
  const time = isRecord(info['time']) ? info['time'] : {}
  const texts: string[] = []
  const toolCalls: HostToolCall[] = []
  for (const part of parts) {
    if (!isRecord(part)) continue
    if (part['type'] === 'text' && part['ignored'] !== true) {
      const text = str(part['text'])
      if (text) texts.push(text)
    } else if (part['type'] === 'tool') {
      const call = toToolCall(part)
      if (call) toolCalls.push(call)
    }
  }
  const error = toHostError(info['error'])
  const completedAt = num(time['completed'])
  const finish = str(info['finish'])
  const tokens = toTokens(info['tokens'])
  const cost = num(info['cost'])
  const providerId = str(info['providerID']) ?? (isRecord(info['model']) ? str(info['model']['providerID']) : undefined)
  const modelId = str(info['modelID']) ?? (isRecord(info['model']) ? str(info['model']['modelID']) : undefined)
  const agent = str(info['agent']) ?? str(info['mode'])
  return {
    id,
    sessionId,
    role,
    createdAt: num(time['created']) ?? 0,
    text: texts.join('\n'),
    toolCalls,
    ...(agent ? { agent } : {}),
    ...(completedAt !== undefined ? { completedAt } : {}),
    ...(finish ? { finish } : {}),
    ...(error ? { error } : {}),
    ...(providerId && modelId ? { model: { providerId, modelId } } : {}),
    ...(role === 'assistant' && tokens ? { tokens } : {}),
    ...(role === 'assistant' && cost !== undefined ? { cost } : {}),
  }
}

function toPartUpdate(part: unknown): HostPartUpdate | undefined {
  if (!isRecord(part)) return undefined
  const sessionId = str(part['sessionID'])
  const messageId = str(part['messageID'])
  if (!sessionId || !messageId) return undefined
  switch (part['type']) {
    case 'tool': {
      const call = toToolCall(part)
      return call ? { kind: 'tool', sessionId, messageId, call } : undefined
    }
    case 'step-finish': {
      const tokens = toTokens(part['tokens'])
      const cost = num(part['cost'])
      return { kind: 'step-finish', sessionId, messageId, reason: str(part['reason']) ?? '', ...(tokens ? { tokens } : {}), ...(cost !== undefined ? { cost } : {}) }
    }
    case 'text': {
      const text = str(part['text'])
      // Ignored parts never reach the model or the message's text (see toHostMessage).
      if (text === undefined || part['ignored'] === true) return undefined
      const partId = str(part['id'])
      return { kind: 'text', sessionId, messageId, text, ...(partId ? { partId } : {}) }
    }
    default:
      return undefined
  }
}

function toTodos(todos: unknown): HostTodo[] {
  if (!Array.isArray(todos)) return []
  const result: HostTodo[] = []
  for (const todo of todos) {
    if (!isRecord(todo)) continue
    const content = str(todo['content'])
    const status = str(todo['status'])
    if (content === undefined || status === undefined) continue
    const priority = str(todo['priority'])
    result.push({ id: str(todo['id']) ?? content, content, status, ...(priority ? { priority } : {}) })
  }
  return result
}

/**
 * Translates one OpenCode bus event. Returns `undefined` for events the
 * orchestrator does not act on (deltas, heartbeats, LSP, …) and for malformed ones.
 */
export function translateEvent(event: unknown): HostEvent | undefined {
  if (!isRecord(event)) return undefined
  const properties = isRecord(event['properties']) ? event['properties'] : {}
  switch (event['type']) {
    case 'session.status': {
      const sessionId = str(properties['sessionID'])
      const status = toHostStatus(properties['status'])
      return sessionId && status ? { type: 'session-status', sessionId, status } : undefined
    }
    case 'session.error': {
      const error = toHostError(properties['error']) ?? { name: 'UnknownError', data: { message: 'OpenCode reported an error without details' } }
      const sessionId = str(properties['sessionID'])
      return { type: 'session-error', error, ...(sessionId ? { sessionId } : {}) }
    }
    case 'session.created': {
      const session = toHostSession(properties['info'])
      return session ? { type: 'session-create', session } : undefined
    }
    case 'session.deleted': {
      const session = toHostSession(properties['info'])
      return session ? { type: 'session-delete', sessionId: session.id } : undefined
    }
    case 'session.compacted': {
      const sessionId = str(properties['sessionID'])
      return sessionId ? { type: 'session-compact', sessionId } : undefined
    }
    case 'message.updated': {
      const message = toHostMessage(properties['info'])
      return message ? { type: 'message-update', message } : undefined
    }
    case 'message.part.updated': {
      const part = toPartUpdate(properties['part'])
      return part ? { type: 'part-update', part } : undefined
    }
    case 'todo.updated': {
      const sessionId = str(properties['sessionID'])
      return sessionId ? { type: 'todo-update', sessionId, todos: toTodos(properties['todos']) } : undefined
    }
    case 'command.executed': {
      const sessionId = str(properties['sessionID'])
      const command = str(properties['name'])
      return sessionId && command ? { type: 'command-execute', sessionId, command, arguments: str(properties['arguments']) ?? '' } : undefined
    }
    default:
      return undefined
  }
}

export { toTodos as toHostTodos }
