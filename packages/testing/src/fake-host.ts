import { HOST_PORT_VERSION, OrchestratorError, createSequentialIds, systemClock } from '@opencode-orchestrator/core'
import type {
  Clock,
  CreateSessionOptions,
  HostError,
  HostEvent,
  HostMessage,
  HostPartUpdate,
  HostSession,
  HostSessionStatus,
  HostToast,
  HostTodo,
  HostToolCall,
  HostV1,
  IdGenerator,
  ModelRef,
  PromptOptions,
  TimerHandle,
  TokenUsage,
} from '@opencode-orchestrator/core'
import type {
  FakeBehaviour,
  FakeHostCall,
  FakePromptContext,
  FakePromptMatcher,
  FakeRetry,
  FakeRule,
  FakeStepBase,
  FakeSummarizeBehaviour,
  FakeToolStep,
  FakeTurn,
  FakeTurnRecord,
} from './fake-host-script'

export interface CreateFakeHostOptions {
  /** Time source for every scripted delay. Default: the system clock (so `vi.useFakeTimers()` drives it). */
  clock?: Clock
  /** Id source for sessions (`ses_`), messages (`msg_`) and tool calls (`call_`). Default: sequential ids. */
  ids?: IdGenerator
  /** Project directory reported on sessions. Default `/fake/project`. */
  directory?: string
  /** Model reported on assistant messages when a prompt names none. Default `fake/fake-model`. */
  defaultModel?: ModelRef
  /** Initial rules (first matching rule wins). */
  rules?: FakeRule[]
  /** Keep every emitted event in `host.events`. Turn off for long simulations. Default true. */
  recordEvents?: boolean
}

/**
 * A scriptable {@link HostV1} that behaves like OpenCode 1.18.33 as observed on a real server:
 *
 * - prompt: `message-update` (user) → `part-update` text → `session-status busy`;
 * - each tool step: `message-update` (assistant, open) → tool `pending` → (`todo-update`) → tool
 *   `running` → tool `completed`|`error` → `step-finish` (`tool-calls`) → `message-update`
 *   (completed, `finish: "tool-calls"`) twice → `session-status busy`;
 * - answer: `message-update` (open) → text → `step-finish` (`stop`) → `message-update` (completed,
 *   `finish: "stop"`) twice → `busy` → `idle`;
 * - error: `session-error` → `idle` → `message-update` (with `error`) → `idle`;
 * - abort: running tools end in `error`, then like an error with `MessageAbortedError`;
 * - a prompt to a busy session is queued: its user message at once, its answer after the current turn.
 */
export interface FakeHost extends HostV1 {
  /** Every call made through the host port, in order. */
  readonly calls: readonly FakeHostCall[]
  /** Every event emitted so far (unless `recordEvents: false`). */
  readonly events: readonly HostEvent[]
  /** Toasts shown so far. */
  readonly toasts: readonly HostToast[]
  /** Which rule answered which prompt. */
  readonly turns: readonly FakeTurnRecord[]
  /** Adds a rule (lower precedence than the existing ones). */
  script(rule: FakeRule): void
  /** Shorthand for `script({ match: { agent }, turn })`. */
  onAgent(agent: string, turn: FakeBehaviour | FakeBehaviour[]): void
  /** Makes `sessions.summarize` work. */
  onSummarize(behaviour: FakeSummarizeBehaviour): void
  /** A session that exists without the code under test creating it (e.g. the user's TUI session). */
  addSession(options: CreateSessionOptions): HostSession
  /** A person typing into a session: runs a scripted turn like `promptAsync`, but is not recorded in `calls`. */
  userPrompt(options: PromptOptions): void
  /** Replaces a session's todos and emits `todo-update`. */
  setTodos(sessionId: string, todos: HostTodo[]): void
  /** Delivers a raw event to the listeners (no state change). */
  emit(event: HostEvent): void
  /** Whether a session has a turn running. */
  isBusy(sessionId: string): boolean
}

interface RunningTurn {
  timers: Set<TimerHandle>
  assistant?: HostMessage
  runningTools: HostToolCall[]
  context: FakePromptContext
}

interface SessionState {
  session: HostSession
  agent?: string
  messages: HostMessage[]
  todos: HostTodo[]
  status: HostSessionStatus
  promptCount: number
  turn?: RunningTurn
  queue: Array<{ turn: FakeTurn; context: FakePromptContext }>
}

interface Phase {
  delayMs: number
  run: () => void
}

const ABORTED: HostError = { name: 'MessageAbortedError', data: { message: 'Aborted' } }
const DEFAULT_STEP_MS = 10

const zeroTokens = (): TokenUsage => ({ input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 })

const copyMessage = (message: HostMessage): HostMessage => ({
  ...message,
  ...(message.tokens ? { tokens: { ...message.tokens } } : {}),
  toolCalls: message.toolCalls.map((call) => ({ ...call })),
})

function matchesPrompt(matcher: FakePromptMatcher | undefined, context: FakePromptContext): boolean {
  if (matcher === undefined) return true
  if (matcher.agent !== undefined && matcher.agent !== context.agent) return false
  if (matcher.sessionId !== undefined && matcher.sessionId !== context.session.id) return false
  if (matcher.parentId !== undefined && matcher.parentId !== context.session.parentId) return false
  if (matcher.text !== undefined) {
    const ok = typeof matcher.text === 'string' ? context.text.includes(matcher.text) : matcher.text.test(context.text)
    if (!ok) return false
  }
  return matcher.predicate === undefined || matcher.predicate(context)
}

/**
 * Creates a fake host. Everything asynchronous runs on the injected clock, so a fake clock
 * (`createFakeClock`) or `vi.useFakeTimers()` decides when turns progress.
 *
 * @example
 * const clock = createFakeClock()
 * const host = createFakeHost({ clock })
 * host.onAgent('worker', { durationMs: 500, reply: 'done' })
 * const session = await host.sessions.create({ title: 'child', agent: 'worker' })
 * await host.sessions.promptAsync({ sessionId: session.id, text: 'do it' })
 * clock.advance(500) // message-update (finish: stop) … session-status idle
 */
export function createFakeHost(options: CreateFakeHostOptions = {}): FakeHost {
  const clock = options.clock ?? systemClock
  const ids = options.ids ?? createSequentialIds()
  const directory = options.directory ?? '/fake/project'
  const defaultModel = options.defaultModel ?? { providerId: 'fake', modelId: 'fake-model' }
  const recordEvents = options.recordEvents ?? true
  const rules: Array<{ rule: FakeRule; name: string; used: number }> = []
  const sessions = new Map<string, SessionState>()
  const listeners = new Set<(event: HostEvent) => void>()
  const calls: FakeHostCall[] = []
  const events: HostEvent[] = []
  const toasts: HostToast[] = []
  const turns: FakeTurnRecord[] = []
  let summarizeBehaviour: FakeSummarizeBehaviour | undefined

  const record = (call: FakeHostCall) => calls.push(call)

  const emit = (event: HostEvent) => {
    if (recordEvents) events.push(event)
    const errors: unknown[] = []
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch (error) {
        errors.push(error)
      }
    }
    // Every listener got the event; now make the failure loud (a fake must not hide bugs).
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} FakeHost listeners threw on ${event.type}`)
  }

  const stateOf = (sessionId: string, method: string): SessionState => {
    const state = sessions.get(sessionId)
    if (state === undefined) {
      throw new OrchestratorError({
        code: 'host-failed',
        message: `FakeHost.${method}: no session ${sessionId}. Create it first with host.sessions.create() or host.addSession().`,
        details: { sessionId },
      })
    }
    return state
  }

  const addRule = (rule: FakeRule) => {
    const behaviours = Array.isArray(rule.turn) ? rule.turn : [rule.turn]
    const name = rule.name ?? `#${rules.length}`
    if (behaviours.length === 0) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `FakeHost rule ${name}: turn is an empty array. Give at least one turn.`,
        details: { field: 'turn' },
      })
    }
    rules.push({ rule, name, used: 0 })
  }
  for (const rule of options.rules ?? []) addRule(rule)

  const pickTurn = (context: FakePromptContext): { turn: FakeTurn; rule: string } | undefined => {
    for (const entry of rules) {
      const behaviours = Array.isArray(entry.rule.turn) ? entry.rule.turn : [entry.rule.turn]
      if (entry.rule.once === true && entry.used >= behaviours.length) continue
      if (!matchesPrompt(entry.rule.match, context)) continue
      const behaviour = behaviours[Math.min(entry.used, behaviours.length - 1)]!
      entry.used++
      return { turn: typeof behaviour === 'function' ? behaviour(context) : behaviour, rule: entry.name }
    }
    return undefined
  }

  const createSession = (createOptions: CreateSessionOptions): HostSession => {
    if (createOptions.parentId !== undefined) stateOf(createOptions.parentId, 'sessions.create (parentId)')
    const session: HostSession = {
      id: ids.next('ses'),
      title: createOptions.title,
      directory: createOptions.directory ?? directory,
      ...(createOptions.parentId !== undefined ? { parentId: createOptions.parentId } : {}),
    }
    sessions.set(session.id, {
      session,
      ...(createOptions.agent !== undefined ? { agent: createOptions.agent } : {}),
      messages: [],
      todos: [],
      status: { type: 'idle' },
      promptCount: 0,
      queue: [],
    })
    emit({ type: 'session-create', session: { ...session } })
    return { ...session }
  }

  const setStatus = (state: SessionState, status: HostSessionStatus) => {
    state.status = status
    emit({ type: 'session-status', sessionId: state.session.id, status: { ...status } })
  }

  const emitMessage = (message: HostMessage) => emit({ type: 'message-update', message: copyMessage(message) })
  const emitPart = (part: HostPartUpdate) =>
    emit({ type: 'part-update', part: part.kind === 'tool' ? { ...part, call: { ...part.call } } : { ...part } })

  const setTodos = (state: SessionState, todos: HostTodo[]) => {
    state.todos = todos.map((todo) => ({ ...todo }))
    emit({ type: 'todo-update', sessionId: state.session.id, todos: todos.map((todo) => ({ ...todo })) })
  }

  const tokensOf = (step: FakeStepBase): TokenUsage => ({ ...zeroTokens(), ...step.tokens })

  const cancelTimers = (turn: RunningTurn) => {
    for (const handle of turn.timers) clock.clearTimeout(handle)
    turn.timers.clear()
  }

  /** Runs phases in order; a phase with a delay waits on the clock, zero-delay phases run at once. */
  const runPhases = (state: SessionState, turn: RunningTurn, phases: Phase[], from: number) => {
    for (let index = from; index < phases.length; index++) {
      if (state.turn !== turn) return
      const phase = phases[index]!
      if (phase.delayMs > 0) {
        const handle = clock.setTimeout(() => {
          turn.timers.delete(handle)
          if (state.turn !== turn) return
          phase.run()
          runPhases(state, turn, phases, index + 1)
        }, phase.delayMs)
        turn.timers.add(handle)
        return
      }
      phase.run()
    }
  }

  const beginAssistant = (state: SessionState, turn: RunningTurn) => {
    const message: HostMessage = {
      id: ids.next('msg'),
      sessionId: state.session.id,
      role: 'assistant',
      ...(turn.context.agent !== undefined ? { agent: turn.context.agent } : {}),
      createdAt: clock.now(),
      model: turn.context.model ?? defaultModel,
      tokens: zeroTokens(),
      cost: 0,
      text: '',
      toolCalls: [],
    }
    state.messages.push(message)
    turn.assistant = message
    emitMessage(message)
  }

  const retryPhases = (state: SessionState, retries: FakeRetry[] | undefined): Phase[] =>
    (retries ?? []).flatMap((retry, index) => [
      {
        delayMs: retry.afterMs ?? 0,
        run: () =>
          setStatus(state, {
            type: 'retry',
            attempt: index + 1,
            message: retry.message ?? 'Rate limit reached',
            nextAt: clock.now() + retry.delayMs,
          }),
      },
      { delayMs: retry.delayMs, run: () => setStatus(state, { type: 'busy' }) },
    ])

  const completeAssistant = (message: HostMessage, step: FakeStepBase, fields: Partial<HostMessage>) => {
    Object.assign(message, { completedAt: clock.now(), tokens: tokensOf(step), cost: step.cost ?? 0, ...fields })
  }

  /** Ends the running turn; starts the next queued prompt, if any, without going idle. */
  const endTurn = (state: SessionState, options: { idle: boolean }) => {
    state.turn = undefined
    const next = state.queue.shift()
    if (next !== undefined) {
      setStatus(state, { type: 'busy' })
      startTurn(state, next.turn, next.context, { immediate: true })
      return
    }
    if (options.idle) {
      setStatus(state, { type: 'busy' })
      setStatus(state, { type: 'idle' })
    }
  }

  const toolPhases = (state: SessionState, turn: RunningTurn, step: FakeToolStep): Phase[] => {
    let call: HostToolCall | undefined
    const phases: Phase[] = [{ delayMs: 0, run: () => beginAssistant(state, turn) }, ...retryPhases(state, step.retries)]
    phases.push({
      delayMs: step.durationMs ?? DEFAULT_STEP_MS,
      run: () => {
        const message = turn.assistant!
        call = { callId: ids.next('call'), tool: step.tool, status: 'pending', ...(step.input ? { input: { ...step.input } } : {}) }
        message.toolCalls.push(call)
        emitPart({ kind: 'tool', sessionId: state.session.id, messageId: message.id, call })
        if (step.todos !== undefined) {
          setTodos(state, step.todos.map((todo, index) => ({ ...todo, id: todo.id ?? String(index + 1) })))
        }
        Object.assign(call, { status: 'running', startedAt: clock.now() })
        turn.runningTools.push(call)
        emitPart({ kind: 'tool', sessionId: state.session.id, messageId: message.id, call })
      },
    })
    phases.push({
      delayMs: step.toolDurationMs ?? 0,
      run: () => {
        const message = turn.assistant!
        const done = call!
        turn.runningTools = turn.runningTools.filter((running) => running !== done)
        Object.assign(done, { status: step.error === undefined ? 'completed' : 'error', output: step.error ?? step.output ?? 'ok', endedAt: clock.now() })
        emitPart({ kind: 'tool', sessionId: state.session.id, messageId: message.id, call: done })
        emitPart({ kind: 'step-finish', sessionId: state.session.id, messageId: message.id, reason: 'tool-calls', tokens: tokensOf(step), cost: step.cost ?? 0 })
        completeAssistant(message, step, { finish: 'tool-calls' })
        emitMessage(message)
        emitMessage(message)
        setStatus(state, { type: 'busy' })
      },
    })
    if (step.transientIdleMs !== undefined) {
      phases.push({ delayMs: 0, run: () => setStatus(state, { type: 'idle' }) })
      phases.push({ delayMs: step.transientIdleMs, run: () => setStatus(state, { type: 'busy' }) })
    }
    return phases
  }

  const finalPhases = (state: SessionState, turn: RunningTurn, script: FakeTurn): Phase[] => {
    const phases: Phase[] = [{ delayMs: 0, run: () => beginAssistant(state, turn) }, ...retryPhases(state, script.retries)]
    if (script.hang === true) return phases
    phases.push({
      delayMs: script.durationMs ?? DEFAULT_STEP_MS,
      run: () => {
        const message = turn.assistant!
        const sessionId = state.session.id
        if (script.error !== undefined) {
          // OpenCode's loop ends on an error: prompts queued behind it stay unanswered. The turn is
          // over before the events go out, so a listener may prompt again from the first idle.
          state.queue = []
          state.turn = undefined
          completeAssistant(message, script, { error: script.error })
          emit({ type: 'session-error', sessionId, error: script.error })
          setStatus(state, { type: 'idle' })
          emitMessage(message)
          if (state.turn === undefined) setStatus(state, { type: 'idle' })
          return
        }
        if (script.reply !== undefined && script.reply.length > 0) {
          message.text = script.reply
          emitPart({ kind: 'text', sessionId, messageId: message.id, text: script.reply, partId: ids.next('prt') })
        }
        const finish = script.finish ?? 'stop'
        emitPart({ kind: 'step-finish', sessionId, messageId: message.id, reason: finish, tokens: tokensOf(script), cost: script.cost ?? 0 })
        completeAssistant(message, script, { finish })
        if (script.order === 'idle-then-message') {
          setStatus(state, { type: 'idle' })
          emitMessage(message)
          emitMessage(message)
          endTurn(state, { idle: false })
          if (state.turn === undefined) setStatus(state, { type: 'idle' })
          return
        }
        emitMessage(message)
        emitMessage(message)
        endTurn(state, { idle: true })
      },
    })
    return phases
  }

  const startTurn = (state: SessionState, script: FakeTurn, context: FakePromptContext, start: { immediate: boolean }) => {
    const turn: RunningTurn = { timers: new Set(), runningTools: [], context }
    state.turn = turn
    const phases = [...(script.steps ?? []).flatMap((step) => toolPhases(state, turn, step)), ...finalPhases(state, turn, script)]
    if (start.immediate) {
      runPhases(state, turn, phases, 0)
      return
    }
    // promptAsync returns before the host starts working, as with a real server.
    const handle = clock.setTimeout(() => {
      turn.timers.delete(handle)
      runPhases(state, turn, phases, 0)
    }, 0)
    turn.timers.add(handle)
  }

  const prompt = (promptOptions: PromptOptions, source: 'prompt' | 'user') => {
    const state = stateOf(promptOptions.sessionId, source === 'prompt' ? 'sessions.promptAsync' : 'userPrompt')
    const agent = promptOptions.agent ?? state.agent
    const context: FakePromptContext = {
      session: { ...state.session },
      ...(agent !== undefined ? { agent } : {}),
      text: promptOptions.text,
      ...(promptOptions.model !== undefined ? { model: promptOptions.model } : {}),
      source,
      promptNumber: state.promptCount + 1,
    }
    const picked = pickTurn(context)
    if (picked === undefined) {
      throw new OrchestratorError({
        code: 'not-implemented',
        message: `FakeHost: no behaviour scripted for a prompt to session ${state.session.id} (agent ${agent ?? 'none'}, text ${JSON.stringify(promptOptions.text.slice(0, 120))}). Script one, e.g. host.onAgent('${agent ?? 'worker'}', { reply: '…' }).`,
        details: { sessionId: state.session.id, agent, text: promptOptions.text },
      })
    }
    state.promptCount++
    turns.push({ sessionId: state.session.id, text: promptOptions.text, ...(agent !== undefined ? { agent } : {}), source, rule: picked.rule, at: clock.now() })
    const user: HostMessage = {
      id: ids.next('msg'),
      sessionId: state.session.id,
      role: 'user',
      ...(agent !== undefined ? { agent } : {}),
      createdAt: clock.now(),
      text: promptOptions.text,
      toolCalls: [],
    }
    state.messages.push(user)
    emitMessage(user)
    emitPart({ kind: 'text', sessionId: state.session.id, messageId: user.id, text: promptOptions.text, partId: ids.next('prt') })
    if (state.turn !== undefined) {
      state.queue.push({ turn: picked.turn, context })
      return
    }
    setStatus(state, { type: 'busy' })
    startTurn(state, picked.turn, context, { immediate: false })
  }

  const abortTurn = (state: SessionState) => {
    const turn = state.turn
    if (turn === undefined) {
      // OpenCode 1.18.33 answers an abort of an idle session with a lone idle status.
      setStatus(state, { type: 'idle' })
      return
    }
    cancelTimers(turn)
    state.queue = []
    const sessionId = state.session.id
    const message = turn.assistant
    for (const call of turn.runningTools) {
      Object.assign(call, { status: 'error', output: 'Tool execution aborted', endedAt: clock.now() })
      if (message !== undefined) emitPart({ kind: 'tool', sessionId, messageId: message.id, call })
    }
    turn.runningTools = []
    state.turn = undefined
    if (message !== undefined && message.completedAt === undefined) {
      Object.assign(message, { completedAt: clock.now(), error: ABORTED })
      emit({ type: 'session-error', sessionId, error: ABORTED })
      setStatus(state, { type: 'idle' })
      emitMessage(message)
      if (state.turn === undefined) setStatus(state, { type: 'idle' })
      return
    }
    if (state.status.type !== 'idle') setStatus(state, { type: 'idle' })
  }

  const removeSession = (state: SessionState) => {
    for (const child of [...sessions.values()].filter((candidate) => candidate.session.parentId === state.session.id)) {
      removeSession(child)
    }
    if (state.turn !== undefined) cancelTimers(state.turn)
    state.turn = undefined
    state.queue = []
    sessions.delete(state.session.id)
    emit({ type: 'session-delete', sessionId: state.session.id })
  }

  const host: FakeHost = {
    version: HOST_PORT_VERSION,
    calls,
    events,
    toasts,
    turns,
    sessions: {
      async create(createOptions) {
        record({ method: 'create', args: [createOptions], at: clock.now() })
        return createSession(createOptions)
      },
      async get(sessionId) {
        record({ method: 'get', args: [sessionId], at: clock.now() })
        const state = sessions.get(sessionId)
        return state === undefined ? undefined : { ...state.session }
      },
      async children(sessionId) {
        record({ method: 'children', args: [sessionId], at: clock.now() })
        stateOf(sessionId, 'sessions.children')
        return [...sessions.values()].filter((state) => state.session.parentId === sessionId).map((state) => ({ ...state.session }))
      },
      async promptAsync(promptOptions) {
        record({ method: 'promptAsync', args: [promptOptions], at: clock.now() })
        prompt(promptOptions, 'prompt')
      },
      async abort(sessionId) {
        record({ method: 'abort', args: [sessionId], at: clock.now() })
        abortTurn(stateOf(sessionId, 'sessions.abort'))
      },
      async delete(sessionId) {
        record({ method: 'delete', args: [sessionId], at: clock.now() })
        removeSession(stateOf(sessionId, 'sessions.delete'))
      },
      async messages(sessionId, messageOptions) {
        record({ method: 'messages', args: messageOptions === undefined ? [sessionId] : [sessionId, messageOptions], at: clock.now() })
        const all = stateOf(sessionId, 'sessions.messages').messages.map(copyMessage)
        return messageOptions?.limit === undefined ? all : all.slice(Math.max(0, all.length - messageOptions.limit))
      },
      async todos(sessionId) {
        record({ method: 'todos', args: [sessionId], at: clock.now() })
        return stateOf(sessionId, 'sessions.todos').todos.map((todo) => ({ ...todo }))
      },
      async status() {
        record({ method: 'status', args: [], at: clock.now() })
        const result: Record<string, HostSessionStatus> = {}
        for (const [id, state] of sessions) if (state.status.type !== 'idle') result[id] = { ...state.status }
        return result
      },
      summarize(sessionId, model) {
        record({ method: 'summarize', args: model === undefined ? [sessionId] : [sessionId, model], at: clock.now() })
        const state = stateOf(sessionId, 'sessions.summarize')
        const behaviour = summarizeBehaviour
        if (behaviour === undefined) {
          return Promise.reject(
            new OrchestratorError({
              code: 'not-implemented',
              message: `FakeHost: sessions.summarize(${sessionId}) was not scripted. Call host.onSummarize({ durationMs }) first.`,
              details: { sessionId },
            }),
          )
        }
        setStatus(state, { type: 'busy' })
        return new Promise<void>((resolve, reject) => {
          clock.setTimeout(() => {
            if (!sessions.has(sessionId)) {
              reject(new OrchestratorError({ code: 'host-failed', message: `FakeHost: session ${sessionId} was deleted during summarize` }))
              return
            }
            if (behaviour.error !== undefined) {
              emit({ type: 'session-error', sessionId, error: behaviour.error })
              setStatus(state, { type: 'idle' })
              reject(new OrchestratorError({ code: 'host-failed', message: `Summarize of ${sessionId} failed: ${behaviour.error.name}`, details: { error: behaviour.error } }))
              return
            }
            emit({ type: 'session-compact', sessionId })
            setStatus(state, { type: 'idle' })
            resolve()
          }, behaviour.durationMs ?? DEFAULT_STEP_MS)
        })
      },
      async warm(folder) {
        record({ method: 'warm', args: [folder], at: clock.now() })
      },
      async release(folder) {
        record({ method: 'release', args: [folder], at: clock.now() })
      },
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async toast(toast) {
      record({ method: 'toast', args: [toast], at: clock.now() })
      toasts.push({ ...toast })
    },
    script: addRule,
    onAgent: (agent, turn) => addRule({ name: `agent:${agent}`, match: { agent }, turn }),
    onSummarize(behaviour) {
      summarizeBehaviour = behaviour
    },
    addSession: createSession,
    userPrompt: (promptOptions) => prompt(promptOptions, 'user'),
    setTodos: (sessionId, todos) => setTodos(stateOf(sessionId, 'setTodos'), todos),
    emit,
    isBusy: (sessionId) => sessions.get(sessionId)?.turn !== undefined,
  }
  return host
}
