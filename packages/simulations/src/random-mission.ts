import {
  OrchestratorError,
  isMissionFinal,
  type BudgetName,
  type HostError,
  type MissionBudgets,
  type MissionSnapshot,
  type MissionState,
  type Todo,
} from '@opencode-orchestrator/core'
import type { FakePromptContext, FakeToolStep, FakeTurn } from '@opencode-orchestrator/testing'
import { createMissionHarness, type CreateMissionHarnessOptions, type MissionHarness } from './create-mission-harness'
import { createSeededRandom } from './create-seeded-random'
import { makeTodo } from './make-todo'

/** How the Commander of a random mission behaves. */
export type CommanderProfile = 'diligent' | 'sloppy' | 'lazy' | 'quitter' | 'chaotic'

/** How one random mission ended, and every rule it broke. */
export interface RandomMissionResult {
  seed: number
  profile: CommanderProfile
  state: MissionState
  reason: string
  budget?: BudgetName
  /** Outcome bucket for the summary: `sealed`, `stagnation`, `iterations`, `user-stop`, `user-esc`, a budget name, … */
  category: string
  /** Broken invariants, each a sentence naming what and when. Empty for a good run. */
  violations: string[]
  tasks: number
  wakes: number
  continuations: number
  /** Simulated ms from the mission's start to its end. */
  durationMs: number
  /** Engines killed and replaced mid-mission (0 or 1). */
  restarts: number
  /** With `trace: true`: the mission's host and engine events, one line each, to debug a seed. */
  trace?: string[]
}

export interface StartRandomMissionOptions {
  /** Keep a readable timeline of host and engine events in the result. */
  trace?: boolean
}

/** One mission in flight, advanced one timer at a time by {@link runRandomMissions}. */
export interface RandomMissionRun {
  readonly seed: number
  /** False once the mission ended and its after-end watch is over (or it overran its horizon). */
  readonly running: boolean
  /** Checks the invariants that hold between events, then fires the next timer. Call after promise chains settled. */
  step(): void
  /** Final checks; call once `running` is false. */
  finish(): Promise<RandomMissionResult>
}

const USER_ESC = 'the root session was interrupted by the user'
const USER_STOP = 'stopped by the user (/stop)'
const CONTINUE_HEAD = /^\[orchestrator\] Mission continues/
const WAKE_HEAD = /^\[orchestrator\] \d+ delegated tasks? ended/
/** How long a mission is watched after it ended: nothing may be prompted in that time. */
const AFTER_END_WATCH_MS = 30 * 60_000

const SECOND = 1_000
const MINUTE = 60 * SECOND

/** Host errors in the shapes OpenCode really sends (the text lives in `data.message`). */
const HOST_ERRORS: readonly HostError[] = [
  { name: 'APIError', data: { message: 'Rate limit reached for requests', statusCode: 429, isRetryable: true, responseHeaders: { 'retry-after-ms': '2000' } } },
  { name: 'APIError', data: { message: 'Internal server error', statusCode: 500, isRetryable: true } },
  { name: 'APIError', data: { message: 'Bad request: invalid tool schema', statusCode: 400, isRetryable: false } },
  { name: 'ProviderAuthError', data: { providerID: 'fake', message: 'Incorrect API key provided' } },
  { name: 'MessageOutputLengthError', data: {} },
  { name: 'UnknownError', data: { message: 'socket hang up' } },
]

function categoryOf(mission: MissionSnapshot): string {
  if (mission.state === 'sealed') return 'sealed'
  if (mission.state === 'failed') return 'failed'
  const reason = mission.end?.reason ?? ''
  if (mission.end?.budget) return mission.end.budget
  if (reason === USER_STOP) return 'user-stop'
  if (reason === USER_ESC) return 'user-esc'
  if (/no todo progress/.test(reason)) return 'stagnation'
  if (/cancelled/.test(reason)) return 'cancelled-todos'
  return 'other'
}

const isLive = (status: string) => status === 'queued' || status === 'running'

/**
 * Starts one seeded random mission: a Commander with a random profile delegating planners,
 * workers and reviewers in random patterns, children that are fast, slow, failing or hanging,
 * random budgets, and a user who may write, press Esc or /stop at random moments.
 */
export async function startRandomMission(seed: number, options: StartRandomMissionOptions = {}): Promise<RandomMissionRun> {
  const random = createSeededRandom(seed)
  const profile = random.weighted<CommanderProfile>({ diligent: 40, sloppy: 20, lazy: 12, quitter: 10, chaotic: 18 })
  const budgets: MissionBudgets = {
    maxIterations: random.int(2, 20),
    maxWallTimeMs: random.pick([30 * MINUTE, 2 * 60 * MINUTE, 4 * 60 * MINUTE]),
    maxChildSessions: random.pick([4, 10, 40]),
    maxDepth: random.pick([1, 2, 3]),
    maxBreadth: random.pick([2, 4, 8]),
    maxTokens: random.chance(0.15) ? random.int(20_000, 200_000) : 0,
    maxCostUsd: random.chance(0.1) ? random.pick([0.5, 2]) : 0,
  }
  // Some hosts drop a request now and then (connection reset): the engine must fail loudly, not hang.
  const hostFaultRate = random.chance(0.2) ? 0.02 : 0
  const hostFault = (what: string) => new OrchestratorError({ code: 'host-failed', message: `${what}: ECONNRESET (the host closed the connection)` })
  /** Prompts the host dropped: an attempted wake that failed loudly is not a lost one. */
  const droppedPrompts: Array<{ sessionId: string; text: string; at: number }> = []
  const harnessOptions: CreateMissionHarnessOptions = {
    recordEvents: false,
    wrapHost: (fake) => ({
      ...fake,
      sessions: {
        ...fake.sessions,
        promptAsync: (prompt) => {
          if (!random.chance(hostFaultRate)) return fake.sessions.promptAsync(prompt)
          droppedPrompts.push({ sessionId: prompt.sessionId, text: prompt.text, at: clock.now() })
          return Promise.reject(hostFault('promptAsync'))
        },
        create: (create) => (random.chance(hostFaultRate) ? Promise.reject(hostFault('session.create')) : fake.sessions.create(create)),
      },
    }),
    budgets,
    continuation: {
      cooldownMs: random.pick([0, 500, 2_000, 5_000]),
      stagnationTurns: random.int(2, 4),
      wakeMaxWaitMs: random.pick([10 * SECOND, 60 * SECOND]),
    },
  }
  let harness = createMissionHarness(harnessOptions)
  const { host, clock } = harness
  /** The engine in charge; a restart replaces it (and the harness) with one adopting the mission from the journal. */
  let engine = harness.engine
  /** Harnesses of engines that were disposed by a restart: their logs and listener errors still count. */
  const retired: MissionHarness[] = []
  const violations: string[] = []
  const violate = (text: string) => {
    if (violations.length < 20) violations.push(`${text} (at +${clock.now() - startedAt} ms)`)
  }
  const startedAt = clock.now()
  let missionId = ''
  let rootSessionId = ''
  const silentTasks = new Set<string>()
  const failureRate = { diligent: 0.05, sloppy: 0.25, lazy: 0.1, quitter: 0.1, chaotic: 0.2 }[profile]

  // ------------------------------------------------------------------ the model

  const mission = () => engine.getMission(missionId)
  /** Engine calls made by tools: a refusal (budget) or a mission that just ended is an answer, not a crash. */
  const tool = (work: () => void) => {
    try {
      work()
    } catch (error) {
      if (OrchestratorError.isInstance(error) && (error.code === 'limit-exceeded' || error.code === 'mission-ended')) return
      violate(`a tool call threw ${error instanceof Error ? error.message : String(error)}`)
    }
  }
  const setTodos = (todos: readonly Todo[]) => tool(() => void engine.setTodos(missionId, todos))
  const delegate = (sessionId: string, agent: string, todoIds: string[], notifyParent = true) =>
    tool(() => {
      const task = engine.delegate({ sessionId, agent, title: `${agent} ${todoIds.join(',') || 'plan'}`, prompt: `${agent}: ${todoIds.join(',')}`, todoIds, notifyParent })
      if (!notifyParent) silentTasks.add(task.id)
    })
  const plan = (count: number): Todo[] =>
    Array.from({ length: count }, (_, index) => makeTodo(`t${index + 1}`, { at: clock.now(), ...(index > 0 && random.chance(0.3) ? { dependsOn: [`t${index}`] } : {}) }))
  const update = (todos: readonly Todo[], ids: ReadonlySet<string>, change: (todo: Todo) => Todo) =>
    todos.map((todo) => (ids.has(todo.id) ? { ...change(todo), updatedAt: clock.now() } : todo))

  let commanderTurns = 0
  /** What the Commander does when one of its tool calls runs. */
  const command = (sessionId: string) => {
    const current = mission()
    if (!current || isMissionFinal(current.state)) return
    const { todos, tasks } = current
    if (todos.length === 0) {
      if (random.chance(0.5)) delegate(sessionId, 'planner', [])
      else setTodos(plan(random.int(1, 5)))
      return
    }
    const busy = new Set(tasks.filter((task) => isLive(task.status)).flatMap((task) => task.todoIds))
    const toReview = todos.filter((todo) => todo.status === 'done' && !todo.evidence && !busy.has(todo.id)).map((todo) => todo.id)
    const ready = todos.filter((todo) => (todo.status === 'pending' || todo.status === 'failed' || todo.status === 'blocked') && !busy.has(todo.id)).map((todo) => todo.id)
    if (profile === 'chaotic' && random.chance(0.25)) {
      const pick = random.pick(todos).id
      switch (random.int(0, 3)) {
        case 0: // fan out wider than the breadth budget allows
          for (let index = 0; index < budgets.maxBreadth + 1; index++) delegate(sessionId, 'worker', [pick])
          return
        case 1:
          return setTodos(update(todos, new Set([pick]), (todo) => ({ ...todo, status: 'cancelled' })))
        case 2:
          return setTodos(update(todos, new Set([pick]), (todo) => ({ ...todo, status: 'done' })))
        default:
          return setTodos(plan(random.int(1, 5)))
      }
    }
    if (profile === 'sloppy' && ready.length > 0 && random.chance(0.2)) {
      // Claims work as done without doing it or having it reviewed.
      return setTodos(update(todos, new Set([random.pick(ready)]), (todo) => ({ ...todo, status: 'done' })))
    }
    if (toReview.length > 0 && (ready.length === 0 || random.chance(0.5))) {
      return delegate(sessionId, 'reviewer', toReview.slice(0, random.int(1, toReview.length)))
    }
    if (ready.length > 0) {
      const chosen = ready.slice(0, random.int(1, Math.min(ready.length, 4)))
      setTodos(update(todos, new Set(chosen), (todo) => ({ ...todo, status: 'in_progress' })))
      for (const id of chosen) delegate(sessionId, 'worker', [id], !random.chance(0.08))
    }
  }

  const todosOfSession = (sessionId: string) => {
    const role = engine.sessionRole(sessionId)
    return new Set(mission()?.tasks.find((task) => task.id === role?.taskId)?.todoIds ?? [])
  }
  const work = (sessionId: string) => {
    const current = mission()
    if (!current || isMissionFinal(current.state)) return
    const ids = todosOfSession(sessionId)
    const failed = random.chance(failureRate)
    setTodos(update(current.todos, ids, (todo) => ({ ...todo, status: failed ? 'failed' : 'done', ...(failed ? { note: 'the tests fail' } : {}) })))
    // Now and then a worker hands part of its job to a helper (depth and child-session budgets).
    if (random.chance(0.08)) delegate(sessionId, 'helper', [...ids], random.chance(0.7))
  }
  const review = (sessionId: string) => {
    const current = mission()
    if (!current || isMissionFinal(current.state)) return
    const ids = todosOfSession(sessionId)
    const accept = random.chance(profile === 'sloppy' ? 0.6 : 0.85)
    setTodos(
      update(current.todos, ids, (todo) => {
        if (todo.status !== 'done') return todo
        if (!accept) return { ...todo, status: 'pending', note: 'sent back by the Reviewer' }
        return { ...todo, evidence: { summary: `ran the tests for ${todo.id}`, reviewerSessionId: sessionId, recordedAt: clock.now() } }
      }),
    )
  }
  const planTodos = () => {
    const current = mission()
    if (!current || isMissionFinal(current.state)) return
    if (current.todos.length === 0 || random.chance(0.2)) setTodos(plan(random.int(1, 5)))
  }
  const actions: Record<string, (sessionId: string) => void> = { sim_command: command, sim_work: work, sim_review: review, sim_plan: planTodos }
  host.subscribe((event) => {
    if (event.type !== 'part-update' || event.part.kind !== 'tool' || event.part.call.status !== 'running') return
    actions[event.part.call.tool]?.(event.part.sessionId)
  })

  const usage = (): Pick<FakeTurn, 'tokens' | 'cost'> => {
    const input = random.int(200, 6_000)
    const output = random.int(20, 900)
    return { tokens: { input, output, reasoning: 0 }, cost: (input + output * 4) * 2e-6 }
  }
  const step = (toolName: string, durationMs: number): FakeToolStep => ({
    tool: toolName,
    durationMs,
    toolDurationMs: random.int(0, 2_000),
    ...usage(),
    ...(random.chance(0.05) ? { transientIdleMs: random.int(1, 3_000) } : {}),
    ...(random.chance(0.04) ? { retries: [{ delayMs: random.int(500, 10_000) }] } : {}),
  })

  host.onAgent('commander', (): FakeTurn => {
    commanderTurns++
    const steps =
      profile === 'lazy'
        ? commanderTurns === 1 && random.chance(0.5)
          ? 1
          : 0
        : profile === 'quitter'
          ? commanderTurns <= 2
            ? 1
            : 0
          : profile === 'chaotic'
            ? random.int(0, 3)
            : random.int(1, 2)
    return {
      steps: Array.from({ length: steps }, () => step('sim_command', random.int(SECOND, 30 * SECOND))),
      durationMs: random.int(10, 20 * SECOND),
      reply: 'Commander: turn done',
      ...usage(),
      ...(random.chance(0.2) ? { order: 'idle-then-message' as const } : {}),
    }
  })

  /** A child's turn: its work step, then an answer, an error in the host's shape, or no end at all. */
  const childTurn = (toolName: string) => (prompt: FakePromptContext): FakeTurn => {
    const speed = random.weighted({ fast: 35, normal: 45, slow: 15, hang: 2 })
    const total = speed === 'fast' ? random.int(300, 1_000) : speed === 'normal' ? random.int(5 * SECOND, 60 * SECOND) : random.int(5 * MINUTE, 20 * MINUTE)
    const fails = random.chance(failureRate)
    const doesWork = !fails || random.chance(0.5)
    const workAt = random.int(0, Math.floor(total / 2))
    return {
      steps: doesWork && prompt.source === 'prompt' ? [step(toolName, workAt)] : [],
      durationMs: total - workAt,
      ...usage(),
      ...(speed === 'hang' ? { hang: true } : {}),
      ...(fails ? { error: random.pick(HOST_ERRORS) } : { reply: `${prompt.agent ?? 'child'} finished: ${prompt.text}` }),
      ...(random.chance(0.1) ? { order: 'idle-then-message' as const } : {}),
    }
  }
  host.onAgent('planner', childTurn('sim_plan'))
  host.onAgent('worker', childTurn('sim_work'))
  host.onAgent('reviewer', childTurn('sim_review'))
  host.onAgent('helper', childTurn('sim_noop'))

  // ------------------------------------------------------------------ the user

  const userActions: Array<{ at: number; what: string; callIndex: number }> = []
  /** Set while the user acts: the events of an Esc must reach an engine, not a restart in progress. */
  let userActing = false
  const userAt = (delayMs: number, what: string, action: () => void) => {
    clock.setTimeout(() => {
      const current = mission()
      if (!current || isMissionFinal(current.state)) return
      userActions.push({ at: clock.now(), what, callIndex: host.calls.length })
      userActing = true
      try {
        action()
      } finally {
        userActing = false
      }
    }, delayMs)
  }
  if (random.chance(0.15)) {
    userAt(random.int(SECOND, 20 * MINUTE), 'message', () => host.userPrompt({ sessionId: rootSessionId, text: 'Also keep the public API unchanged, please.' }))
  }
  if (random.chance(0.05)) {
    userAt(random.int(SECOND, 30 * MINUTE), 'esc', () => {
      // The FakeHost emits nothing for an abort that lands in a transient idle between two steps
      // (a turn is running but the status says idle); real OpenCode has no such idle. No event, no stop.
      if (host.isBusy(rootSessionId) && busy.get(rootSessionId)?.busy === false) userActions[userActions.length - 1]!.what = 'esc-unseen'
      void host.sessions.abort(rootSessionId).catch((error: unknown) => violate(`Esc failed: ${String(error)}`))
    })
  }
  if (random.chance(0.2)) {
    userAt(random.int(SECOND, 60 * MINUTE), 'stop', () => void engine.stopMission(missionId, { reason: USER_STOP }).catch((error: unknown) => violate(`stopMission rejected: ${String(error)}`)))
  }
  const resumeAfterPause = random.chance(0.6) ? random.int(10 * SECOND, 10 * MINUTE) : undefined

  // ------------------------------------------------------------------ observation

  /** Busy state of every session as the host reported it (and since when), and a copy taken when the mission ended. */
  const busy = new Map<string, { busy: boolean; since: number }>()
  let busyAtEnd: ReadonlyMap<string, { busy: boolean; since: number }> = new Map()
  host.subscribe((event) => {
    if (event.type !== 'session-status') return
    const now = event.status.type !== 'idle'
    if (busy.get(event.sessionId)?.busy !== now) busy.set(event.sessionId, { busy: now, since: clock.now() })
  })
  /** Every session on this host belongs to the mission (the root and its descendants). */
  const sessionIds = new Set<string>()
  host.subscribe((event) => {
    if (event.type === 'session-create') sessionIds.add(event.session.id)
  })
  let endCallIndex: number | undefined
  let endAt: number | undefined
  const observe = (bus: MissionHarness['bus']) => {
    bus.on('mission-transition', ({ to }) => {
      if (!isMissionFinal(to) || endCallIndex !== undefined) return
      endCallIndex = host.calls.length
      endAt = clock.now()
      busyAtEnd = new Map(busy)
    })
    bus.on('mission-seal', ({ todos }) => {
      const unverified = todos.filter((todo) => todo.status !== 'done' || !todo.evidence || todo.evidence.summary.trim() === '')
      if (todos.length === 0 || unverified.length > 0) violate(`sealed with unverified todos: ${JSON.stringify(unverified.map((todo) => `${todo.id}:${todo.status}`))} of ${todos.length}`)
    })
    if (options.trace) bus.onAny((name, payload) => trace.push(`+${String(clock.now() - startedAt).padStart(8)} bus ${name} ${JSON.stringify(payload).slice(0, 200)}`))
  }
  let pausedSince: number | undefined
  let dormantReported = false
  let endChecked = false
  const trace: string[] = []
  if (options.trace) {
    const at = () => `+${String(clock.now() - startedAt).padStart(8)}`
    host.subscribe((event) => {
      if (event.type === 'session-status') trace.push(`${at()} host ${event.sessionId} ${event.status.type}`)
      else if (event.type === 'message-update') {
        const { message } = event
        trace.push(`${at()} host ${message.sessionId} ${message.role} ${message.id} ${message.finish ?? ''}${message.error ? ` error ${message.error.name}` : ''} ${message.text.slice(0, 60).replaceAll('\n', ' ')}`)
      } else if (event.type === 'session-error') trace.push(`${at()} host ${event.sessionId} session-error ${event.error.name}`)
      else if (event.type === 'part-update' && event.part.kind === 'tool' && event.part.call.status === 'running') trace.push(`${at()} host ${event.part.sessionId} tool ${event.part.call.tool}`)
    })
  }
  observe(harness.bus)

  // Kill and resume at a random moment: the engine is disposed while a host event is being delivered
  // (its own checks may still be in flight) and a new engine adopts the mission from the journal.
  const restartAt = random.chance(0.25) ? startedAt + random.int(SECOND, 10 * MINUTE) : undefined
  let restarts = 0
  const restart = async () => {
    const old = harness
    await old.engine.dispose()
    retired.push(old)
    harness = createMissionHarness({ ...harnessOptions, clock, host, storage: old.storage })
    engine = harness.engine
    observe(harness.bus)
    if (options.trace) trace.push(`+${String(clock.now() - startedAt).padStart(8)} sim restart`)
    const report = await engine.start()
    if (!report.adopted.includes(missionId) && endAt === undefined) violate(`the restarted engine did not adopt the mission: ${JSON.stringify(report)}`)
  }
  host.subscribe((event) => {
    if (event.type !== 'session-status' || restartAt === undefined || restarts > 0 || clock.now() < restartAt || endAt !== undefined || userActing) return
    restarts++
    void restart().catch((error: unknown) => violate(`restart failed: ${String(error)}`))
  })

  const started = await harness.startMission({ budgets, goal: `random mission ${seed}` })
  missionId = started.missionId
  rootSessionId = started.rootSessionId
  const horizon = startedAt + budgets.maxWallTimeMs + MINUTE

  let running = true
  const run: RandomMissionRun = {
    seed,
    get running() {
      return running
    },
    step() {
      // Read the engine's state only when the mission is quiet: a snapshot per timer would dominate the run.
      if (endAt === undefined) {
        const quiet = [...sessionIds].every((sessionId) => !host.isBusy(sessionId)) && harness.engineTimerCount() <= 1
        if (!quiet) pausedSince = undefined
        else {
          const current = mission()!
          if (current.pausedReason !== undefined) {
            // Paused for the user: maybe they resume it after a while.
            if (pausedSince === undefined) {
              pausedSince = clock.now()
              if (resumeAfterPause !== undefined) {
                clock.setTimeout(() => {
                  const latest = mission()
                  if (latest && !isMissionFinal(latest.state) && latest.pausedReason !== undefined) {
                    userActions.push({ at: clock.now(), what: 'resume', callIndex: host.calls.length })
                    engine.resumeMission(missionId)
                  }
                }, resumeAfterPause)
              }
            }
          } else if (!dormantReported) {
            // Dormant: nothing running on the host, no engine timer but the wall clock, and not waiting for the user.
            dormantReported = true
            violate(`dormant in state ${current.state}: no turn running, no timer pending, not paused (todos ${current.todos.map((todo) => `${todo.id}:${todo.status}${todo.evidence ? '+' : ''}`).join(' ')})`)
          }
        }
      } else if (!endChecked) {
        // Checked after the end's promise chains settled: the aborts have been answered by now.
        endChecked = true
        const stillBusy = [...sessionIds].filter((sessionId) => host.isBusy(sessionId))
        if (stillBusy.length > 0) violate(`sessions still running after the mission ended: ${stillBusy.join(', ')}`)
      }
      const limit = endAt === undefined ? horizon : endAt + AFTER_END_WATCH_MS
      const due = clock.nextDueAt()
      if (due === undefined || due > limit) {
        running = false
        return
      }
      clock.runNext()
    },
    async finish() {
      const current = mission()!
      const calls = host.calls
      const prompts = harness.prompts()
      const rootPrompts = prompts.filter((prompt) => prompt.sessionId === rootSessionId)
      const continuations = rootPrompts.filter((prompt) => CONTINUE_HEAD.test(prompt.text))
      const wakes = prompts.filter((prompt) => WAKE_HEAD.test(prompt.text))

      if (!isMissionFinal(current.state)) violate(`did not end: still ${current.state} ${(horizon - startedAt) / MINUTE} min after the start`)
      const end = current.end
      if (end && end.at - current.createdAt > budgets.maxWallTimeMs) violate(`ended after ${end.at - current.createdAt} ms, beyond the wall-time budget of ${budgets.maxWallTimeMs} ms`)
      if (current.counters.iterations > budgets.maxIterations) violate(`${current.counters.iterations} iterations > cap ${budgets.maxIterations}`)
      if (continuations.length > budgets.maxIterations) violate(`${continuations.length} continuation prompts > cap ${budgets.maxIterations}`)
      // A continuation the host dropped was still sent (and failed the mission): it counts.
      const attempted = continuations.length + droppedPrompts.filter((prompt) => prompt.sessionId === rootSessionId && CONTINUE_HEAD.test(prompt.text)).length
      if (attempted !== current.counters.iterations) violate(`${attempted} continuation prompts sent but counters.iterations = ${current.counters.iterations}`)

      // Nothing is prompted once the mission ended, and nothing keeps running after a stop.
      if (endCallIndex !== undefined) {
        const late = calls.slice(endCallIndex).filter((call) => call.method === 'promptAsync')
        if (late.length > 0) violate(`${late.length} prompt(s) after the mission ended, first to ${late[0]!.method === 'promptAsync' ? late[0]!.args[0].sessionId : ''} at +${late[0]!.at - startedAt} ms`)
      }
      if (isMissionFinal(current.state)) {
        const stillBusy = current.sessions.filter((session) => host.isBusy(session.sessionId)).map((session) => session.sessionId)
        if (stillBusy.length > 0) violate(`sessions still running ${AFTER_END_WATCH_MS / MINUTE} min after the mission ${current.state}: ${stillBusy.join(', ')}`)
        const liveTasks = current.tasks.filter((task) => isLive(task.status))
        if (liveTasks.length > 0) violate(`tasks still live after the end: ${liveTasks.map((task) => task.id).join(', ')}`)
      }

      // A message from the user pauses the loop: no continuation until the mission is resumed.
      for (const continuation of continuations) {
        const last = userActions.filter((action) => (action.what === 'message' || action.what === 'resume') && action.callIndex <= continuation.callIndex).at(-1)
        if (last?.what === 'message') violate(`continuation at +${continuation.at - startedAt} ms after the user's message at +${last.at - startedAt} ms, without a resume`)
      }

      // The user's Esc and /stop end the mission at once, with their reason.
      const firstStop = userActions.find((action) => action.what === 'esc' || action.what === 'stop')
      if (firstStop && end) {
        const expected = firstStop.what === 'esc' ? USER_ESC : USER_STOP
        if (end.at !== firstStop.at || end.reason !== expected) violate(`the user's ${firstStop.what} at +${firstStop.at - startedAt} ms ended the mission at +${end.at - startedAt} ms with "${end.reason}"`)
      }

      // No wake lost: every finished, non-silent task was reported to its parent, unless the mission
      // ended while that wake still legitimately waited (a sibling still running, or the parent busy
      // for less than wakeMaxWaitMs).
      const ownEnd = (task: (typeof current.tasks)[number]) => task.error?.code === 'mission-ended'
      for (const task of current.tasks) {
        if (!isLive(task.status) && !ownEnd(task) && !silentTasks.has(task.id) && task.endedAt !== undefined) {
          const marker = `## ${task.id} ·`
          const reported = [...prompts, ...droppedPrompts].some((prompt) => prompt.sessionId === task.parentSessionId && prompt.text.includes(marker) && prompt.at >= task.endedAt!)
          if (reported) continue
          if (!end) {
            violate(`wake for ${task.id} (${task.status}) never sent`)
            continue
          }
          const siblings = current.tasks.filter((other) => other.parentSessionId === task.parentSessionId && other.id !== task.id)
          const siblingLiveAtEnd = siblings.some((other) => ownEnd(other) && (other.createdAt <= end.at))
          const dueAt = Math.max(task.endedAt, ...siblings.filter((other) => !ownEnd(other) && other.endedAt !== undefined && other.endedAt >= task.endedAt!).map((other) => other.endedAt!))
          // Busy at the end, or idle only since that very instant (the turn's last message ended the mission).
          const parent = busyAtEnd.get(task.parentSessionId)
          const parentBusy = parent !== undefined && (parent.busy || parent.since === end.at) && end.at - dueAt <= harness.continuation.wakeMaxWaitMs
          if (!siblingLiveAtEnd && !parentBusy) violate(`wake for ${task.id} (${task.status}, ended at +${task.endedAt - startedAt} ms) lost: the mission ended at +${end.at - startedAt} ms without reporting it`)
        }
      }

      // The journal holds what the engine holds.
      await harness.journal.flush()
      const journaled = JSON.parse((await harness.storage.read(`missions/${missionId}.json`)) ?? 'null') as MissionSnapshot | null
      const durable = (record: MissionSnapshot | null) => JSON.stringify(record && { state: record.state, todos: record.todos, tasks: record.tasks, counters: record.counters, end: record.end })
      if (durable(journaled) !== durable(current)) {
        const fields = (['state', 'todos', 'tasks', 'counters', 'end'] as const).filter((field) => JSON.stringify(journaled?.[field]) !== JSON.stringify(current[field]))
        violate(`the journal differs from the engine after a flush in ${fields.join(', ')}`)
      }

      // Injected host faults are logged as errors, as they must be; anything else is a finding.
      const harnesses = [...retired, harness]
      const errors = harnesses.flatMap((each) => each.logs).filter((entry) => entry.level === 'error' && !String(entry.fields['error']).includes('ECONNRESET'))
      if (errors.length > 0) violate(`error logs: ${errors.map((entry) => `${entry.message} ${JSON.stringify(entry.fields)}`).join('; ')}`)
      const listenerErrors = harnesses.flatMap((each) => each.listenerErrors)
      if (listenerErrors.length > 0) violate(`bus listener errors: ${listenerErrors.map(String).join('; ')}`)
      await harness.engine.dispose()

      return {
        seed,
        profile,
        state: current.state,
        reason: end?.reason ?? '',
        ...(end?.budget ? { budget: end.budget } : {}),
        category: categoryOf(current),
        violations,
        tasks: current.tasks.length,
        wakes: wakes.length,
        continuations: continuations.length,
        durationMs: (end?.at ?? clock.now()) - startedAt,
        restarts,
        ...(options.trace ? { trace } : {}),
      }
    },
  }
  return run
}

export interface RunRandomMissionsOptions extends StartRandomMissionOptions {
  seeds: readonly number[]
  /** Missions advanced side by side; each step of all of them shares one macrotask turn. Default 50. */
  concurrency?: number
}

/**
 * Runs missions side by side, one timer of each per round, and lets promise chains settle
 * between rounds. Missions share nothing but that rhythm, so every result depends on its seed only.
 */
export async function runRandomMissions({ seeds, concurrency = 50, ...options }: RunRandomMissionsOptions): Promise<RandomMissionResult[]> {
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  const results: RandomMissionResult[] = []
  for (let offset = 0; offset < seeds.length; offset += concurrency) {
    let active = await Promise.all(seeds.slice(offset, offset + concurrency).map((seed) => startRandomMission(seed, options)))
    while (active.length > 0) {
      await settle()
      for (const run of active) run.step()
      const done = active.filter((run) => !run.running)
      active = active.filter((run) => run.running)
      for (const run of done) results.push(await run.finish())
    }
  }
  return results.sort((a, b) => a.seed - b.seed)
}

/** `sealed 412 · stopped 501 (stagnation 230, iterations 31, …) · failed 87`. */
export function summarizeRandomMissions(results: readonly RandomMissionResult[]): string {
  const count = (predicate: (result: RandomMissionResult) => boolean) => results.filter(predicate).length
  const stopped = results.filter((result) => result.state === 'stopped')
  const byCategory = new Map<string, number>()
  for (const result of stopped) byCategory.set(result.category, (byCategory.get(result.category) ?? 0) + 1)
  const details = [...byCategory.entries()].sort((a, b) => b[1] - a[1]).map(([category, n]) => `${category} ${n}`).join(', ')
  const other = results.length - count((result) => result.state === 'sealed') - stopped.length - count((result) => result.state === 'failed')
  return [
    `sealed ${count((result) => result.state === 'sealed')}`,
    `stopped ${stopped.length} (${details})`,
    `failed ${count((result) => result.state === 'failed')}`,
    ...(other > 0 ? [`not ended ${other}`] : []),
  ].join(' · ')
}
