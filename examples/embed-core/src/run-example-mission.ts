import {
  createEventBus,
  createLogger,
  createMemoryStorage,
  createMissionEngine,
  createMissionJournal,
  createRandomIds,
  defaultConfig,
  errorMessage,
  isMissionFinal,
  missionEngineSettings,
  systemClock,
  type Clock,
  type HostV1,
  type IdGenerator,
  type Logger,
  type MissionEngine,
  type MissionSnapshot,
  type OrchestratorEventName,
  type OrchestratorEvents,
} from '@opencode-orchestrator/core'
import { applyTodoUpdate, createTodoList, decideContinuation, isSealable } from '@opencode-orchestrator/todo-engine'
import { createInProcessHost, type Agent } from './in-process-host'

export const EXAMPLE_GOAL = 'Build a REST API with authentication'

export interface RunExampleMissionOptions {
  /** Every event of the core event bus, as it happens. */
  onEvent?: <Name extends OrchestratorEventName>(name: Name, payload: OrchestratorEvents[Name]) => void
  /** Default: a logger that drops everything. */
  logger?: Logger
  /** Default `systemClock`; a fake clock works too, as long as the caller advances it. */
  clock?: Clock
  /** Default `createRandomIds(clock)`. */
  ids?: IdGenerator
  /** How long each Worker works, in ms. Default 20. */
  workerDelayMs?: number
  /** Calls `engine.stopMission` as soon as both Workers are in their turn (the `/stop` of this host). */
  stopWhileWorkersRun?: boolean
  /** Gives up (and stops the mission) after this long, in ms. Default 10 000. */
  timeoutMs?: number
}

export interface ExampleMissionResult {
  /** The mission as it ended. */
  mission: MissionSnapshot
  /** Names of the core bus events in order. */
  events: OrchestratorEventName[]
  /** Most Worker tasks running at the same time. */
  maxConcurrentWorkers: number
  /** Sessions whose turn was running when the mission was stopped (empty unless `stopWhileWorkersRun`). */
  inFlightAtStop: string[]
  /** Worker turns that saw their AbortSignal fire. */
  abortedWorkerTurns: string[]
  /** Files of the mission journal after the run (the journal is written on every transition). */
  journal: Record<string, string>
  host: HostV1
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new Error('aborted'))
    const onAbort = () => {
      clock.clearTimeout(handle)
      reject(new Error('aborted'))
    }
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * The four roles as plain functions. They reach the engine only through its
 * public API (`delegate`, `setTodos`, `missionForSession`, `sessionRole`,
 * `getTask`) and check todo changes with todo-engine, like the real tools do.
 */
function createAgents(context: { engine: () => MissionEngine; clock: Clock; workerDelayMs: number; onWorkerTurn: (sessionId: string, signal: AbortSignal) => void }): Record<string, Agent> {
  const { clock } = context
  const missionOf = (sessionId: string) => {
    const mission = context.engine().missionForSession(sessionId)
    if (!mission) throw new Error(`session ${sessionId} belongs to no mission`)
    return mission
  }
  const taskOf = (sessionId: string) => {
    const taskId = context.engine().sessionRole(sessionId)?.taskId
    const task = taskId === undefined ? undefined : context.engine().getTask(taskId)
    if (!task) throw new Error(`session ${sessionId} runs no task`)
    return task
  }
  /** Applies one status change the way `orchestrator_todo_update` does: permissions and transitions checked by todo-engine. */
  const updateTodo = (sessionId: string, agent: string, update: Parameters<typeof applyTodoUpdate>[1]) => {
    const mission = missionOf(sessionId)
    const list = applyTodoUpdate(createTodoList({ clock, todos: mission.todos }), update, { agent, sessionId })
    context.engine().setTodos(mission.id, list.toArray())
    return `${update.id} → ${update.status}`
  }
  const delegate = (sessionId: string, agent: string, title: string, todoIds: string[]) => ({
    tool: 'delegate',
    input: { agent, title, todoIds },
    run: () => context.engine().delegate({ sessionId, agent, title, prompt: `${title} (todos: ${todoIds.join(', ') || 'none'})`, todoIds }).id,
  })

  return {
    /** Decides from the mission's state alone, so every wake or continuation lands on the right next step. */
    async commander({ sessionId }) {
      const mission = missionOf(sessionId)
      const list = createTodoList({ clock, todos: mission.todos })
      if (list.size === 0) return { text: 'Asked the Planner for a plan.', actions: [delegate(sessionId, 'planner', 'Plan the mission', [])] }
      const ready = list.ready()
      if (ready.length > 0) {
        return { text: `Delegated ${ready.map((todo) => todo.id).join(', ')} to Workers in parallel.`, actions: ready.map((todo) => delegate(sessionId, 'worker', todo.title, [todo.id])) }
      }
      const toReview = list.todos.filter((todo) => todo.status === 'in_progress').map((todo) => todo.id)
      if (toReview.length > 0) return { text: `Asked the Reviewer to verify ${toReview.join(', ')}.`, actions: [delegate(sessionId, 'reviewer', 'Verify the finished work', toReview)] }
      return { text: isSealable(list.todos) ? 'Every todo is verified.' : 'Nothing can be done right now.' }
    },
    async planner({ sessionId }) {
      const mission = missionOf(sessionId)
      const plan = [{ title: 'Add the user store and the /login route' }, { title: 'Add token authentication middleware' }]
      return {
        text: `Planned ${plan.length} independent todos for: ${mission.goal}`,
        actions: [
          {
            tool: 'todo-write',
            input: { todos: plan },
            run: () => {
              const list = createTodoList({ clock, todos: mission.todos }).add(plan)
              context.engine().setTodos(mission.id, list.toArray())
              return list.todos.map((todo) => todo.id)
            },
          },
        ],
      }
    },
    /** Two steps: claim the todo (a `tool-calls` step), then work and report. */
    async worker({ sessionId, history, signal }) {
      const task = taskOf(sessionId)
      if (history.at(-1)?.role === 'user') {
        return { actions: task.todoIds.map((id) => ({ tool: 'todo-update', input: { id, status: 'in_progress' }, run: () => updateTodo(sessionId, 'worker', { id, status: 'in_progress' }) })) }
      }
      context.onWorkerTurn(sessionId, signal)
      await sleep(clock, context.workerDelayMs, signal)
      return { text: `Implemented ${task.todoIds.join(', ')}: "${task.title}"; unit tests pass.` }
    },
    async reviewer({ sessionId }) {
      const task = taskOf(sessionId)
      const mission = missionOf(sessionId)
      const actions = task.todoIds.map((id) => {
        const work = mission.tasks.find((candidate) => candidate.agent === 'worker' && candidate.todoIds.includes(id) && candidate.status === 'completed')
        const evidence = work ? `read ${work.id}'s report and re-ran the checks it names: pass` : 'no Worker report found'
        return { tool: 'todo-update', input: { id, status: 'done', evidence }, run: () => updateTodo(sessionId, 'reviewer', { id, status: 'done', evidence }) }
      })
      return { text: `Verified ${task.todoIds.join(', ')}.`, actions }
    },
  }
}

/**
 * Wires the core's mission engine to the in-process host and runs one mission
 * to its end: sealed, or stopped when `stopWhileWorkersRun` is set.
 */
export async function runExampleMission(options: RunExampleMissionOptions = {}): Promise<ExampleMissionResult> {
  const clock = options.clock ?? systemClock
  const ids = options.ids ?? createRandomIds(clock)
  const logger = options.logger ?? createLogger(() => {})
  const config = defaultConfig()

  const workerTurns = new Map<string, AbortSignal>()
  let stopping: Promise<void> | undefined
  const inFlightAtStop: string[] = []

  const agents = createAgents({
    engine: () => engine,
    clock,
    workerDelayMs: options.workerDelayMs ?? 20,
    onWorkerTurn: (sessionId, signal) => {
      workerTurns.set(sessionId, signal)
      if (!options.stopWhileWorkersRun || workerTurns.size < 2 || stopping) return
      // Stop from outside the turn, as a user's /stop would.
      clock.setTimeout(() => {
        stopping = (async () => {
          inFlightAtStop.push(...Object.keys(await host.sessions.status()))
          await engine.stopMission(mission.id, { reason: 'stopped by the embedding program while the Workers ran' })
        })()
      }, 0)
    },
  })
  const host = createInProcessHost({ agents, clock, ids, logger: logger.child({ component: 'host' }) })
  const bus = createEventBus<OrchestratorEvents>({
    onListenerError: (error, eventName) => logger.log('error', 'event listener failed', { event: eventName, error: errorMessage(error) }),
  })
  const storage = createMemoryStorage()
  const engine = createMissionEngine({
    host,
    bus,
    clock,
    ids,
    logger: logger.child({ component: 'engine' }),
    journal: createMissionJournal({ storage, clock, logger }),
    policy: decideContinuation,
    ...missionEngineSettings(config),
  })

  const events: OrchestratorEventName[] = []
  let liveWorkers = 0
  let maxConcurrentWorkers = 0
  bus.onAny((name, payload) => {
    events.push(name)
    options.onEvent?.(name, payload)
  })
  bus.on('task-start', ({ task }) => {
    if (task.agent === 'worker') maxConcurrentWorkers = Math.max(maxConcurrentWorkers, ++liveWorkers)
  })
  bus.on('task-end', ({ task }) => {
    if (task.agent === 'worker' && task.startedAt !== undefined) liveWorkers--
  })
  const ended = new Promise<void>((resolve) => {
    for (const name of ['mission-seal', 'mission-stop', 'mission-fail'] as const) bus.on(name, () => resolve())
  })

  await engine.start()
  const root = await host.sessions.create({ title: EXAMPLE_GOAL, agent: 'commander' })
  const mission = engine.startMission({ rootSessionId: root.id, goal: EXAMPLE_GOAL, kickoff: `Mission: ${EXAMPLE_GOAL}` })

  let timer: unknown
  const timedOut = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, options.timeoutMs ?? 10_000)
  })
  await Promise.race([ended, timedOut])
  clock.clearTimeout(timer)
  if (!isMissionFinal(engine.getMission(mission.id)!.state)) {
    await engine.stopMission(mission.id, { reason: `the example did not finish within ${options.timeoutMs ?? 10_000} ms`, outcome: 'failed' })
  }
  await stopping
  await engine.dispose()

  return {
    mission: engine.getMission(mission.id)!,
    events,
    maxConcurrentWorkers,
    inFlightAtStop,
    abortedWorkerTurns: [...workerTurns].filter(([, signal]) => signal.aborted).map(([sessionId]) => sessionId),
    journal: storage.files(),
    host,
  }
}
