import {
  HOST_PORT_VERSION,
  OrchestratorError,
  errorMessage,
  type Clock,
  type HostError,
  type HostEvent,
  type HostMessage,
  type HostSession,
  type HostSessionStatus,
  type HostToast,
  type HostToolCall,
  type HostV1,
  type IdGenerator,
  type Logger,
  type PromptOptions,
} from '@opencode-orchestrator/core'

/** One thing an agent asks the host to do in its turn: the in-process stand-in for a model's tool call. */
export interface AgentAction {
  /** Name recorded on the tool call, e.g. `delegate`. */
  tool: string
  /** Recorded on the tool call, for whoever reads the session's messages. */
  input?: Record<string, unknown>
  /** Does the work (e.g. calls into the mission engine). Its result becomes the tool call's output; a throw marks the call `error`. */
  run: () => unknown
}

/** What an agent answers with, once per step of its turn. */
export interface AgentReply {
  /** Final text. A reply with text ends the turn once its actions have run. */
  text?: string
  /** Run in order. A reply with actions and no text is a `tool-calls` step: the agent is called again and finds the results in `history`. */
  actions?: AgentAction[]
}

export interface AgentInput {
  sessionId: string
  agent: string
  /** Text of the prompt that started this turn. */
  text: string
  /** Messages of the session so far, oldest first, including this turn's user message and earlier steps. */
  history: readonly HostMessage[]
  /** Aborted when the turn is aborted; pass it to whatever the agent waits on. */
  signal: AbortSignal
}

/** An agent is a plain async function: no model, no server. */
export type Agent = (input: AgentInput) => Promise<AgentReply>

export interface CreateInProcessHostOptions {
  /** Agents by name. Creating or prompting a session with another name fails, naming the known ones. */
  agents: Readonly<Record<string, Agent>>
  clock: Pick<Clock, 'now'>
  ids: IdGenerator
  /** Receives the host's own notes (summarize requests, failing listeners). Default: none. */
  logger?: Logger
  /** Receives toasts. Default: they go to `logger` at `info`. */
  onToast?: (toast: HostToast) => void
  /** Steps one turn may take before it fails (an agent that never answers with text). Default 20. */
  maxStepsPerTurn?: number
}

interface SessionState {
  session: HostSession
  agent?: string
  messages: HostMessage[]
  /** Prompts that arrived while a turn ran; the host runs them one after the other. */
  queue: PromptOptions[]
  /** The running turn, if any. */
  turn?: AbortController
  /** Settles once the queue is empty and the last idle was emitted. */
  draining?: Promise<void>
}

/** The error shape OpenCode reports for an aborted turn; the mission engine recognises it by `name`. */
const ABORTED: HostError = { name: 'MessageAbortedError', data: { message: 'The operation was aborted.' } }

/** Resolves like `promise`, or rejects as soon as `signal` aborts (the agent may ignore the signal; the turn ends anyway). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function outputOf(value: unknown): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/**
 * A {@link HostV1} that runs agents as async functions in this process. Event
 * order per turn follows OpenCode's: user `message-update`, `busy`, one
 * assistant `message-update` per step (`finish: 'tool-calls'` until the last,
 * `finish: 'stop'`), `idle`. An abort ends the turn with `MessageAbortedError`
 * (assistant message, `session-error`, `idle`).
 */
export function createInProcessHost(options: CreateInProcessHostOptions): HostV1 {
  const { agents, clock, ids, logger } = options
  const maxSteps = options.maxStepsPerTurn ?? 20
  const sessions = new Map<string, SessionState>()
  const listeners = new Set<(event: HostEvent) => void>()

  const emit = (event: HostEvent) => {
    for (const listener of listeners) {
      try {
        listener(event)
      } catch (error) {
        logger?.log('error', 'host event listener failed', { event: event.type, error: errorMessage(error) })
      }
    }
  }
  const emitMessage = (message: HostMessage) => emit({ type: 'message-update', message: structuredClone(message) })
  const setStatus = (sessionId: string, status: HostSessionStatus) => emit({ type: 'session-status', sessionId, status })

  const requireSession = (sessionId: string): SessionState => {
    const state = sessions.get(sessionId)
    if (!state) throw new OrchestratorError({ code: 'invalid-argument', message: `No session '${sessionId}' in the in-process host.`, details: { sessionId } })
    return state
  }
  const requireAgent = (name: string | undefined): string => {
    if (name !== undefined && agents[name]) return name
    const known = Object.keys(agents).join(', ')
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `The in-process host has no agent '${String(name)}'; pass one of: ${known}.`,
      details: { field: 'agent', value: name, known },
    })
  }

  /** One turn: the agent is called until a reply carries text, or the turn is aborted or fails. */
  const runTurn = async (state: SessionState, prompt: PromptOptions) => {
    const sessionId = state.session.id
    const agentName = requireAgent(prompt.agent ?? state.agent)
    const controller = new AbortController()
    state.turn = controller
    const user: HostMessage = { id: ids.next('msg'), sessionId, role: 'user', agent: agentName, createdAt: clock.now(), text: prompt.text, toolCalls: [] }
    state.messages.push(user)
    emitMessage(user)
    setStatus(sessionId, { type: 'busy' })
    let current: HostMessage | undefined
    try {
      for (let step = 1; ; step++) {
        if (step > maxSteps) throw new Error(`agent '${agentName}' took ${maxSteps} steps without answering with text`)
        const input: AgentInput = { sessionId, agent: agentName, text: prompt.text, history: structuredClone(state.messages), signal: controller.signal }
        const reply = await untilAborted(agents[agentName]!(input), controller.signal)
        current = { id: ids.next('msg'), sessionId, role: 'assistant', agent: agentName, createdAt: clock.now(), text: reply.text ?? '', toolCalls: [] }
        state.messages.push(current)
        for (const action of reply.actions ?? []) {
          if (controller.signal.aborted) throw new Error('aborted')
          const call: HostToolCall = { callId: ids.next('call'), tool: action.tool, status: 'running', startedAt: clock.now(), ...(action.input ? { input: action.input } : {}) }
          try {
            const output = outputOf(await action.run())
            Object.assign(call, { status: 'completed', ...(output !== undefined ? { output } : {}) })
          } catch (error) {
            // Like a model's failing tool call: recorded, and the agent sees it on its next step.
            Object.assign(call, { status: 'error', output: errorMessage(error) })
          }
          call.endedAt = clock.now()
          current.toolCalls.push(call)
          emit({ type: 'part-update', part: { kind: 'tool', sessionId, messageId: current.id, call: { ...call } } })
        }
        if (controller.signal.aborted) throw new Error('aborted')
        current.completedAt = clock.now()
        current.finish = reply.text === undefined ? 'tool-calls' : 'stop'
        emitMessage(current)
        if (current.finish === 'stop') break
        current = undefined
      }
    } catch (error) {
      const hostError: HostError = controller.signal.aborted ? ABORTED : { name: 'UnknownError', data: { message: errorMessage(error) } }
      if (!current) {
        current = { id: ids.next('msg'), sessionId, role: 'assistant', agent: agentName, createdAt: clock.now(), text: '', toolCalls: [] }
        state.messages.push(current)
      }
      Object.assign(current, { error: hostError, completedAt: clock.now() })
      emitMessage(current)
      emit({ type: 'session-error', sessionId, error: hostError })
    }
    state.turn = undefined
    setStatus(sessionId, { type: 'idle' })
  }

  /** Runs queued prompts one turn at a time. `promptAsync` returns before the first one starts. */
  const drain = (state: SessionState) => {
    if (state.draining) return
    state.draining = (async () => {
      await Promise.resolve()
      for (let prompt = state.queue.shift(); prompt && sessions.has(state.session.id); prompt = state.queue.shift()) {
        await runTurn(state, prompt)
      }
      state.draining = undefined
    })()
  }

  const abort = async (sessionId: string) => {
    const state = requireSession(sessionId)
    state.queue.length = 0
    // Aborting an idle session changes nothing and emits nothing.
    state.turn?.abort()
    await state.draining
  }

  const remove = async (sessionId: string): Promise<void> => {
    const state = sessions.get(sessionId)
    if (!state) return
    for (const child of [...sessions.values()].filter((candidate) => candidate.session.parentId === sessionId)) await remove(child.session.id)
    await abort(sessionId)
    sessions.delete(sessionId)
    emit({ type: 'session-delete', sessionId })
  }

  return {
    version: HOST_PORT_VERSION,
    sessions: {
      async create({ parentId, title, agent }) {
        if (parentId !== undefined) requireSession(parentId)
        if (agent !== undefined) requireAgent(agent)
        const session: HostSession = { id: ids.next('ses'), title, ...(parentId !== undefined ? { parentId } : {}) }
        sessions.set(session.id, { session, ...(agent !== undefined ? { agent } : {}), messages: [], queue: [] })
        emit({ type: 'session-create', session: { ...session } })
        return { ...session }
      },
      get: async (sessionId) => {
        const state = sessions.get(sessionId)
        return state ? { ...state.session } : undefined
      },
      children: async (sessionId) => [...sessions.values()].filter((state) => state.session.parentId === sessionId).map((state) => ({ ...state.session })),
      async promptAsync(prompt) {
        const state = requireSession(prompt.sessionId)
        requireAgent(prompt.agent ?? state.agent)
        state.queue.push({ ...prompt })
        drain(state)
      },
      abort,
      delete: remove,
      async messages(sessionId, { limit } = {}) {
        const { messages } = requireSession(sessionId)
        return structuredClone(limit === undefined ? messages : messages.slice(-limit))
      },
      // The mission's todos live in the engine; this host has no todo tool of its own.
      async todos(sessionId) {
        requireSession(sessionId)
        return []
      },
      async status() {
        const busy: Record<string, HostSessionStatus> = {}
        for (const [sessionId, state] of sessions) if (state.turn) busy[sessionId] = { type: 'busy' }
        return busy
      },
      async summarize(sessionId) {
        requireSession(sessionId)
        logger?.log('info', 'summarize requested: the in-process host keeps whole histories, nothing to compact', { sessionId })
      },
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async toast(toast) {
      if (options.onToast) options.onToast(toast)
      else logger?.log('info', `toast: ${toast.message}`, { ...toast })
    },
  }
}
