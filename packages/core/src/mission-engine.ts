import type { ContinuationDecision, ContinuationPolicy } from './continuation'
import type { EventBus } from './event-bus'
import type { BudgetName, MissionState, OrchestratorEvents } from './events'
import type { HostEvent, HostMessage, HostV1, ModelRef } from './host'
import {
  MISSION_JOURNAL_VERSION,
  isMissionFinal,
  type MissionBudgets,
  type MissionRecord,
  type MissionSession,
  type MissionSnapshot,
} from './mission'
import type { JournalProblem, MissionJournal } from './mission-journal'
import { defaultMissionPrompts, type MissionPrompts } from './mission-prompts'
import { OrchestratorError, errorMessage } from './orchestrator-error'
import type { Clock, IdGenerator, Logger, TimerHandle } from './ports'
import { isTaskFinal, type Task, type TaskStatus } from './task'
import { createUnlimitedDispatcher, type DispatchLease, type DispatchTicket, type TaskDispatcher } from './task-dispatcher'
import type { Todo } from './todo'
import { describeEnd } from './words/describe-mission'

/** Loop settings of the mission engine. */
export interface ContinuationSettings {
  /** Idle turns in a row without todo progress before the mission stops. Default 3. */
  stagnationTurns: number
  /** Minimum ms between two continuations. Default 2000. */
  cooldownMs: number
  /** Longest a wake waits for a busy parent before it is sent anyway (the host queues it). Default 60 000. */
  wakeMaxWaitMs: number
}

export interface CreateMissionEngineOptions {
  host: HostV1
  bus: EventBus<OrchestratorEvents>
  clock: Clock
  ids: IdGenerator
  journal: MissionJournal
  logger: Logger
  /** Decides what happens when the root session ends a turn (todo-engine's `decideContinuation`). */
  policy: ContinuationPolicy
  /** Default budgets of new missions. */
  budgets: MissionBudgets
  continuation: ContinuationSettings
  /** Grants child-session slots (the scheduler). Default: unlimited. */
  dispatcher?: TaskDispatcher
  prompts?: MissionPrompts
  /** Background commands still running for a mission (they hold the loop like running tasks). */
  backgroundCount?: (missionId: string) => number
  /** Agent of the root session. Default `commander`. */
  rootAgent?: string
  /** Ended missions kept in memory for status queries. Default 20. */
  retainEndedMissions?: number
  /** Receives the tasks of an ended mission when it leaves memory (e.g. the task store's archive). */
  onTaskArchive?: (task: Task) => void
}

export interface StartMissionOptions {
  rootSessionId: string
  goal: string
  /** Model the user pinned; recovery never replaces it. */
  pinnedModel?: ModelRef
  /** Overrides of the default budgets for this mission. */
  budgets?: Partial<MissionBudgets>
  /** Text to send to the root session now. Omit when the host already sends the first prompt (a `/task` command). */
  kickoff?: string
  /** The host is about to deliver a user message that starts the mission (the command text): do not treat it as the user steering. */
  expectUserMessage?: boolean
}

export interface DelegateOptions {
  /** Session that delegates (the Commander's, or a child's). */
  sessionId: string
  agent: string
  title: string
  prompt: string
  todoIds?: string[]
  priority?: number
  model?: ModelRef
  /** Wake the parent with the result when the task ends. Default true; false when the caller waits for it. */
  notifyParent?: boolean
}

export interface StopMissionOptions {
  reason: string
  /** `failed` for fatal errors; default `stopped`. */
  outcome?: 'stopped' | 'failed'
  budget?: BudgetName
  /** Who stopped it: `user` (a command, Esc; the default) or `orchestrator` (its own rule, e.g. a loop breaker). Carried on `mission-stop`. */
  by?: 'user' | 'orchestrator'
  /**
   * The session whose error ends the mission (e.g. a Worker whose provider rejected the API key):
   * its task is recorded as failed with this error, not as cancelled by the stop.
   */
  cause?: { sessionId: string; error: { code: string; message: string } }
}

export interface ResumeReport {
  adopted: string[]
  stale: string[]
  problems: JournalProblem[]
}

export interface MissionEngineStartOptions {
  /**
   * Called for each mission adopted from the journal, before the engine prompts any of its sessions
   * again: a line written here into the root session lands before the resume prompt, never inside the
   * resumed turn. A rejection is logged and the mission resumes all the same.
   */
  onAdopt?: (mission: MissionSnapshot) => Promise<void>
}

export interface MissionEngine {
  /** Subscribes to the host and adopts journaled missions. Call once. */
  start(options?: MissionEngineStartOptions): Promise<ResumeReport>
  startMission(options: StartMissionOptions): MissionSnapshot
  /** Queues a child task and returns at once; the child starts when a slot is free. */
  delegate(options: DelegateOptions): Task
  /**
   * Resolves with the tasks once all of them have ended (or the mission ended). When the mission ended
   * stopped or failed, only after the aborts of its sessions were sent: a caller waiting inside a turn
   * (the Commander's delegate call) must not get a result its turn could still answer with a model step.
   */
  waitForTasks(taskIds: readonly string[]): Promise<Task[]>
  /**
   * The caller that would have received this task's result in-process (a delegate call, `notifyParent:
   * false`) is gone, e.g. OpenCode aborted the call while the mission goes on: the task's end wakes its
   * parent session like any other. A no-op for an ended task.
   */
  wakeParentOnEnd(taskId: string): void
  cancelTask(taskId: string, reason: string): Promise<void>
  /** Ends a mission at once: queued work dropped, every descendant session aborted. */
  stopMission(missionId: string, options: StopMissionOptions): Promise<void>
  /** Clears a pause (the user wrote to the Commander, or {@link pauseMission}) and lets the loop continue. */
  resumeMission(missionId: string): void
  /**
   * The next user message in this mission's root session is the host adapter's own note (e.g. "resumed
   * after a restart"), not the user taking over: it does not pause the loop. A no-op outside a running mission.
   */
  expectOwnRootMessage(missionId: string): void
  /**
   * Holds the mission: no continuation, wake or seal until {@link resumeMission} (e.g. `/task`
   * without text), for a failure the mission cannot run through, such as a journal that cannot
   * be written. Running work finishes its turn; `missionStateOf` reports the hold so tools can
   * refuse new work. A no-op for an ended mission or one already held for the same reason.
   */
  pauseMission(missionId: string, reason: string): void
  /** Re-evaluates the loop after outside work ended (e.g. a background command); a no-op while the root is busy. */
  recheck(missionId: string): void
  /** Replaces the mission's todos (validated by the caller, e.g. todo-engine). */
  setTodos(missionId: string, todos: readonly Todo[]): MissionSnapshot
  getMission(missionId: string): MissionSnapshot | undefined
  /** The mission a session belongs to (root or any descendant). */
  missionForSession(sessionId: string): MissionSnapshot | undefined
  /** Role of a session inside its mission. */
  sessionRole(sessionId: string): MissionSession | undefined
  /**
   * The state of the mission a session belongs to, without copying the mission record:
   * for hot paths (the guard runs on every tool call) where `missionForSession` is too dear.
   */
  missionStateOf(sessionId: string): { missionId: string; state: MissionState; endReason?: string; heldReason?: string } | undefined
  listMissions(): MissionSnapshot[]
  getTask(taskId: string): Task | undefined
  /** Stops listening, clears timers and waits for the journal. Missions stay journaled for the next start. */
  dispose(): Promise<void>
}

/** Per-session tracking, for every session of every live mission. */
interface SessionTrack {
  missionId: string
  busy: boolean
  /** Bumped on every busy status and every prompt we send: results of older checks are discarded. */
  activity: number
  /** A prompt we sent has not shown up as busy yet. */
  promptInFlight: boolean
  /**
   * A message or an error arrived since the session's last idle. The host repeats the idle after
   * an error and after a turn whose idle came before its final message; only an idle with nothing
   * in between (OpenCode's answer to an abort of an idle session) is the user's Esc.
   */
  stirredSinceIdle: boolean
  /**
   * The session's latest assistant message as its events told it. When they show a finished
   * turn by the time the idle arrives (OpenCode sends the final text and the completed message
   * before the idle), the idle is decided at once; otherwise the messages are read from the host.
   */
  lastTurn?: { messageId: string; createdAt: number; completedAt?: number; finish?: string; failed: boolean; texts: Map<string, string> }
  /** Last tokens/cost seen per assistant message, to add deltas only. */
  usage: Map<string, { tokens: number; cost: number }>
  seenUserMessages: Set<string>
}

interface MissionRuntime {
  record: MissionRecord
  tickets: Map<string, DispatchTicket>
  leases: Map<string, DispatchLease>
  silentTasks: Set<string>
  timers: Set<TimerHandle>
  wakeTimers: Map<string, TimerHandle>
  cooldownTimer?: TimerHandle
  wallTimer?: TimerHandle
  /** Prompts we sent to the root whose user message has not arrived yet. */
  syntheticRootMessages: number
  userMessage: boolean
  /** Set by `pauseMission`: nothing moves the mission on until it is resumed. */
  heldReason?: string
  lastEvaluatedTurnId?: string
  /**
   * What the root's latest turn answered. Only a turn that answered a continuation counts toward
   * stagnation: a turn answering a wake or the user's `/task` was not the loop asking for progress,
   * and whether the wake's news landed in that turn or the one before depended on the model's speed.
   */
  rootTurnAnswers?: 'continuation' | 'other'
  /** Progress key when the last continuation was sent (not journaled: after a restart the policy goes by the turn counter). */
  progressKeyAtContinuation?: string
  /** Settles once the aborts sent by a stop have been answered. */
  abortsDone?: Promise<void>
  /** Sessions the host deleted: a stop does not abort them (the host would only answer "no such session"). */
  goneSessions: Set<string>
}

const LIVE: ReadonlySet<TaskStatus> = new Set(['queued', 'running'])
const MESSAGE_WINDOW = 6

/** Records what an assistant message update says about the session's latest turn. */
/**
 * A child session's title: the task's title (the Commander names the todo there), then the role in
 * the form OpenCode's TUI reads for its own subagents (`@worker subagent`), so a child view's footer
 * says "Worker (1 of 3)" instead of "Subagent (1 of 3)" (verified on 1.18.33).
 */
function childSessionTitle(task: Pick<Task, 'agent' | 'title'>): string {
  return `${task.title} (@${task.agent} subagent)`
}

function noteAssistantMessage(entry: SessionTrack, message: HostMessage): void {
  const current = entry.lastTurn
  if (current?.messageId !== message.id) {
    // OpenCode repeats updates: one of an older message must not replace the latest turn.
    if (current !== undefined && message.createdAt < current.createdAt) return
    entry.lastTurn = { messageId: message.id, createdAt: message.createdAt, failed: false, texts: new Map() }
  }
  const turn = entry.lastTurn!
  turn.failed = message.error !== undefined
  if (message.completedAt !== undefined) turn.completedAt = message.completedAt
  if (message.finish !== undefined) turn.finish = message.finish
}

/**
 * The session's latest turn as a message, when its events show it finished cleanly with text;
 * otherwise undefined (the caller then reads the messages from the host).
 */
function finishedTurnOf(entry: SessionTrack, sessionId: string): HostMessage | undefined {
  const turn = entry.lastTurn
  if (turn === undefined || turn.failed || turn.completedAt === undefined || turn.texts.size === 0) return undefined
  const message: HostMessage = {
    id: turn.messageId,
    sessionId,
    role: 'assistant',
    createdAt: turn.createdAt,
    completedAt: turn.completedAt,
    text: [...turn.texts.values()].filter((text) => text.length > 0).join('\n'),
    toolCalls: [],
    ...(turn.finish === undefined ? {} : { finish: turn.finish }),
  }
  return isTurnFinished(message) ? message : undefined
}

/** Latest assistant message of a list, oldest-first. */
function lastAssistant(messages: readonly HostMessage[]): HostMessage | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index]
    if (message?.role === 'assistant') return message
  }
  return undefined
}

/** A turn has finished when its last assistant message completed for a reason other than calling tools. */
function isTurnFinished(message: HostMessage | undefined): message is HostMessage {
  return message !== undefined && message.error === undefined && message.completedAt !== undefined && message.finish !== undefined && message.finish !== 'tool-calls'
}

function progressKeyOf(record: MissionRecord): string {
  const todos = record.todos.map((todo) => `${todo.id}:${todo.status}:${todo.evidence ? 1 : 0}`).join('|')
  const ended = record.tasks.filter((task) => isTaskFinal(task)).length
  return `${todos}#${ended}`
}

function hostErrorText(error: { name: string; data?: Readonly<Record<string, unknown>> }): string {
  const message = error.data?.['message']
  return typeof message === 'string' && message.length > 0 ? `${error.name}: ${message}` : error.name
}

/**
 * The mission state machine. One engine serves every mission of a host; each
 * mission is keyed by its root session and driven by host events only.
 */
export function createMissionEngine(options: CreateMissionEngineOptions): MissionEngine {
  const { host, bus, clock, ids, journal, logger, policy } = options
  const prompts = options.prompts ?? defaultMissionPrompts
  const dispatcher = options.dispatcher ?? createUnlimitedDispatcher()
  const rootAgent = options.rootAgent ?? 'commander'
  const retainEnded = options.retainEndedMissions ?? 20

  const missions = new Map<string, MissionRuntime>()
  const missionBySession = new Map<string, string>()
  const tracks = new Map<string, SessionTrack>()
  const recovering = new Map<string, string>()
  /** Recovery gave up while the session was still busy: the idle that follows fails the task with this reason. */
  const gaveUp = new Map<string, string>()
  const waiters = new Set<{ taskIds: readonly string[]; resolve: (tasks: Task[]) => void }>()
  const unsubscribers: Array<() => void> = []
  /**
   * Mission and task ids found in the journal at start. A deterministic generator starts again
   * at `task_1` after a restart; handing such an id out again overwrote an adopted task (its
   * wake and result went to the wrong task) or a whole mission's journal file.
   */
  const journaledIds = new Set<string>()
  let started = false
  let disposed = false

  // ---------------------------------------------------------------- helpers

  const runtimeForSession = (sessionId: string): MissionRuntime | undefined => {
    const missionId = missionBySession.get(sessionId)
    return missionId === undefined ? undefined : missions.get(missionId)
  }
  const sessionOf = (runtime: MissionRuntime, sessionId: string) =>
    runtime.record.sessions.find((session) => session.sessionId === sessionId)
  const taskOf = (runtime: MissionRuntime, taskId: string) => runtime.record.tasks.find((task) => task.id === taskId)
  const liveTasks = (runtime: MissionRuntime) => runtime.record.tasks.filter((task) => LIVE.has(task.status))
  // After dispose nothing may act: a check still in flight, or a host event delivered to the
  // listener list it was emitted to, would prompt sessions and overwrite the journal of the
  // engine that adopted the mission (a restart in the same process).
  const isStale = (runtime: MissionRuntime, generation: number) =>
    disposed || runtime.record.generation !== generation || isMissionFinal(runtime.record.state) || missions.get(runtime.record.id) !== runtime

  const persist = (runtime: MissionRuntime) => {
    if (disposed) return
    runtime.record.updatedAt = clock.now()
    journal.save(runtime.record)
  }

  const track = (runtime: MissionRuntime, sessionId: string): SessionTrack => {
    let entry = tracks.get(sessionId)
    if (!entry) {
      entry = { missionId: runtime.record.id, busy: false, activity: 0, promptInFlight: false, stirredSinceIdle: false, usage: new Map(), seenUserMessages: new Set() }
      tracks.set(sessionId, entry)
    }
    missionBySession.set(sessionId, runtime.record.id)
    return entry
  }

  const schedule = (runtime: MissionRuntime, ms: number, action: () => void): TimerHandle => {
    const generation = runtime.record.generation
    const handle = clock.setTimeout(() => {
      runtime.timers.delete(handle)
      if (isStale(runtime, generation)) return
      action()
    }, ms)
    runtime.timers.add(handle)
    return handle
  }

  const cancelTimer = (runtime: MissionRuntime, handle: TimerHandle | undefined) => {
    if (handle === undefined) return
    clock.clearTimeout(handle)
    runtime.timers.delete(handle)
  }

  /** Fire-and-forget with the error logged (never swallowed). */
  const background = (what: string, fields: Record<string, unknown>, work: () => Promise<void>) => {
    work().catch((error: unknown) => logger.log('error', `${what} failed`, { ...fields, error: errorMessage(error) }))
  }

  const deriveState = (runtime: MissionRuntime): MissionState => {
    const { record } = runtime
    if (isMissionFinal(record.state)) return record.state
    const live = liveTasks(runtime)
    if (live.some((task) => task.status === 'queued')) return 'dispatching'
    if (live.some((task) => task.agent === 'reviewer')) return 'reviewing'
    if (live.length > 0) return 'waiting'
    if (record.todos.length === 0) return 'planning'
    return record.state === 'planning' ? 'dispatching' : record.state
  }

  const refreshState = (runtime: MissionRuntime, reason?: string) => {
    const next = deriveState(runtime)
    const previous = runtime.record.state
    if (next !== previous) {
      runtime.record.state = next
      bus.emit('mission-transition', { missionId: runtime.record.id, from: previous, to: next, ...(reason ? { reason } : {}) })
    }
    persist(runtime)
  }

  const settleWaiters = () => {
    for (const waiter of waiters) {
      const tasks = waiter.taskIds.map((id) => findTask(id)).filter((task): task is Task => task !== undefined)
      const done = tasks.every((task) => isTaskFinal(task) || isMissionFinal(missions.get(task.missionId)?.record.state ?? 'stopped'))
      if (done) {
        waiters.delete(waiter)
        const ended = tasks.map((task) => ({ ...task }))
        // A mission that ended stopped or failed cuts its sessions' turns, the waiting caller's too (a
        // Commander whose delegate call waits). Answering first would hand that turn one more model step
        // after the end: the answer goes out once the aborts were sent.
        const cutting = [...new Set(tasks.map((task) => missions.get(task.missionId)))].flatMap((runtime) =>
          runtime && (runtime.record.state === 'stopped' || runtime.record.state === 'failed') && runtime.abortsDone ? [runtime.abortsDone] : [],
        )
        if (cutting.length === 0) waiter.resolve(ended)
        else void Promise.all(cutting).then(() => waiter.resolve(ended))
      }
    }
  }

  const findTask = (taskId: string): Task | undefined => {
    for (const runtime of missions.values()) {
      const task = taskOf(runtime, taskId)
      if (task) return task
    }
    return undefined
  }

  const snapshot = (runtime: MissionRuntime): MissionSnapshot => structuredClone(runtime.record)

  const freshId = (prefix: 'mission' | 'task'): string => {
    const inUse = (id: string) => journaledIds.has(id) || (prefix === 'mission' ? missions.has(id) : findTask(id) !== undefined)
    for (let attempt = 0; attempt < 1_000; attempt++) {
      const id = ids.next(prefix)
      if (!inUse(id)) return id
    }
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `The id generator returned 1000 ${prefix} ids in a row that are already in use. Give the mission engine a generator of unique ids (createRandomIds).`,
      details: { prefix },
    })
  }

  // ------------------------------------------------------------ prompting

  const promptSession = (runtime: MissionRuntime, sessionId: string, text: string, agent?: string) => {
    if (disposed) return
    const entry = track(runtime, sessionId)
    entry.activity++
    entry.promptInFlight = true
    if (sessionId === runtime.record.rootSessionId) {
      runtime.syntheticRootMessages++
      runtime.rootTurnAnswers = 'other' // a continuation sets its own kind right after this
    }
    const generation = runtime.record.generation
    background('prompt', { missionId: runtime.record.id, sessionId }, async () => {
      try {
        await host.sessions.promptAsync({ sessionId, text, ...(agent ? { agent } : {}) })
      } catch (error) {
        entry.promptInFlight = false
        if (sessionId === runtime.record.rootSessionId) runtime.syntheticRootMessages = Math.max(0, runtime.syntheticRootMessages - 1)
        if (!isStale(runtime, generation)) {
          if (sessionId === runtime.record.rootSessionId) finish(runtime, 'failed', `could not prompt the root session: ${errorMessage(error)}`)
          else {
            // The child never got its work: its task would stay "running" with no turn and hold the mission forever.
            const role = sessionOf(runtime, sessionId)
            const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
            if (task && !isTaskFinal(task)) endTask(runtime, task, 'failed', { error: { code: 'host-failed', message: `could not prompt the ${task.agent} session: ${errorMessage(error)}` } })
            else recheckRoot(runtime)
          }
        }
        throw error
      }
    })
  }

  // ------------------------------------------------------------ task lifecycle

  const endTask = (runtime: MissionRuntime, task: Task, status: 'completed' | 'failed' | 'cancelled', detail: { result?: string; error?: { code: string; message: string } }) => {
    if (isTaskFinal(task)) return
    task.status = status
    task.endedAt = clock.now()
    if (detail.result !== undefined) task.result = detail.result
    if (detail.error) task.error = detail.error
    runtime.tickets.get(task.id)?.cancel('task ended')
    runtime.tickets.delete(task.id)
    runtime.leases.get(task.id)?.release()
    runtime.leases.delete(task.id)
    bus.emit('task-end', { task: { ...task } })
    const silent = runtime.silentTasks.has(task.id)
    if (!isMissionFinal(runtime.record.state) && !silent) {
      const queue = (runtime.record.pendingWakes[task.parentSessionId] ??= [])
      queue.push(task.id)
    }
    runtime.silentTasks.delete(task.id)
    refreshState(runtime)
    settleWaiters()
    if (isMissionFinal(runtime.record.state)) return
    maybeWake(runtime, task.parentSessionId)
    // No wake reaches the root for a silent task or a grandchild: if that was the work the idle
    // root waited for, nothing else would ever evaluate the mission again.
    if (silent || task.parentSessionId !== runtime.record.rootSessionId) recheckRoot(runtime)
  }

  /** Evaluates the mission again if the root is idle (it waited for work that just ended). */
  const recheckRoot = (runtime: MissionRuntime) => {
    if (isMissionFinal(runtime.record.state)) return
    const root = tracks.get(runtime.record.rootSessionId)
    if (root && (root.busy || root.promptInFlight)) return
    checkRoot(runtime)
  }

  const dispatch = (runtime: MissionRuntime, task: Task) => {
    const generation = runtime.record.generation
    let ticket: DispatchTicket
    try {
      ticket = dispatcher.request({
        taskId: task.id,
        missionId: task.missionId,
        agent: task.agent,
        priority: task.priority,
        depth: task.depth,
        parentSessionId: task.parentSessionId,
        ...(task.model ? { model: task.model } : {}),
      })
    } catch (error) {
      const code = OrchestratorError.isInstance(error) ? error.code : 'host-failed'
      endTask(runtime, task, 'failed', { error: { code, message: errorMessage(error) } })
      return
    }
    runtime.tickets.set(task.id, ticket)
    ticket.granted.then(
      (lease) => {
        runtime.tickets.delete(task.id)
        if (isStale(runtime, generation) || isTaskFinal(task)) {
          lease.release()
          return
        }
        runtime.leases.set(task.id, lease)
        background('task start', { missionId: task.missionId, taskId: task.id }, () => startChild(runtime, task, generation))
      },
      (error: unknown) => {
        runtime.tickets.delete(task.id)
        // A dispose withdraws queued requests; the journal keeps the task queued for the next start.
        if (disposed || isTaskFinal(task) || isStale(runtime, generation)) return
        const code = OrchestratorError.isInstance(error) ? error.code : 'host-failed'
        endTask(runtime, task, 'failed', { error: { code, message: errorMessage(error) } })
      },
    )
  }

  const startChild = async (runtime: MissionRuntime, task: Task, generation: number) => {
    let sessionId: string
    try {
      const session = await host.sessions.create({ parentId: task.parentSessionId, title: childSessionTitle(task), agent: task.agent })
      sessionId = session.id
    } catch (error) {
      if (!isTaskFinal(task)) endTask(runtime, task, 'failed', { error: { code: 'host-failed', message: `could not create the child session: ${errorMessage(error)}` } })
      return
    }
    if (isStale(runtime, generation) || isTaskFinal(task)) {
      runtime.leases.get(task.id)?.release()
      runtime.leases.delete(task.id)
      return
    }
    const parent = sessionOf(runtime, task.parentSessionId)
    runtime.record.sessions.push({ sessionId, agent: task.agent, depth: (parent?.depth ?? 0) + 1, taskId: task.id, parentSessionId: task.parentSessionId })
    track(runtime, sessionId)
    task.sessionId = sessionId
    task.status = 'running'
    task.startedAt = clock.now()
    bus.emit('task-start', { task: { ...task } })
    refreshState(runtime)
    promptSession(runtime, sessionId, task.prompt, task.agent)
  }

  /** Reads the child's last messages after an idle and decides whether its task is done. */
  const checkChild = (runtime: MissionRuntime, sessionId: string, options: { adopting?: boolean } = {}) => {
    const role = sessionOf(runtime, sessionId)
    const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
    const entry = tracks.get(sessionId)
    if (!task || !entry) return
    const settle = (last: HostMessage | undefined) => {
      if (isTaskFinal(task)) {
        // A late result after a cancel is recorded, never acted upon.
        if (isTurnFinished(last) && task.result === undefined) {
          task.result = last.text
          persist(runtime)
        }
        // The session's extra turn (e.g. answering a grandchild's wake) may have been the last work in flight.
        if (isTurnFinished(last)) recheckRoot(runtime)
        return
      }
      if (isMissionFinal(runtime.record.state)) return
      if (last?.error) {
        if (recovering.has(sessionId)) return
        if (last.error.name === 'MessageAbortedError') {
          if (options.adopting) return promptSession(runtime, sessionId, prompts.resume({ mission: snapshot(runtime), sessionId, agent: task.agent, task }), task.agent)
          return endTask(runtime, task, 'cancelled', { error: { code: 'aborted', message: 'the session was aborted' } })
        }
        return endTask(runtime, task, 'failed', { error: { code: last.error.name, message: hostErrorText(last.error) } })
      }
      // Recovery holds the session (it asks a cut answer to go on, or its own compaction's summary just
      // ended): that turn is not the task's result; the recovery's end or the next idle settles it.
      if (recovering.has(sessionId)) return
      const gaveUpReason = gaveUp.get(sessionId)
      if (gaveUpReason !== undefined) {
        gaveUp.delete(sessionId)
        return endTask(runtime, task, 'failed', { error: { code: 'recovery-gave-up', message: gaveUpReason } })
      }
      if (isTurnFinished(last)) return endTask(runtime, task, 'completed', { result: last.text })
      // Idle without a finished turn: a transient idle between steps, or (after a restart) an interrupted turn.
      if (options.adopting) promptSession(runtime, sessionId, prompts.resume({ mission: snapshot(runtime), sessionId, agent: task.agent, task }), task.agent)
    }
    const known = options.adopting ? undefined : finishedTurnOf(entry, sessionId)
    if (known) return settle(known)
    const activity = entry.activity
    background('child check', { missionId: runtime.record.id, sessionId }, async () => {
      const messages = await host.sessions.messages(sessionId, { limit: MESSAGE_WINDOW })
      if (disposed || entry.activity !== activity || entry.busy) return
      settle(lastAssistant(messages))
    })
  }

  // ------------------------------------------------------------ wakes


  const maybeWake = (runtime: MissionRuntime, parentSessionId: string) => {
    // A held mission keeps its wakes (journaled) until it is resumed.
    if (runtime.heldReason !== undefined) return
    const pending = runtime.record.pendingWakes[parentSessionId]
    if (!pending || pending.length === 0) return
    if (liveTasks(runtime).some((task) => task.parentSessionId === parentSessionId)) return
    const parent = tracks.get(parentSessionId)
    if (parent && (parent.busy || parent.promptInFlight)) {
      if (!runtime.wakeTimers.has(parentSessionId)) {
        const handle = schedule(runtime, options.continuation.wakeMaxWaitMs, () => {
          runtime.wakeTimers.delete(parentSessionId)
          logger.log('warn', 'parent stayed busy; sending the wake anyway (the host queues it)', { missionId: runtime.record.id, sessionId: parentSessionId })
          sendWake(runtime, parentSessionId)
        })
        runtime.wakeTimers.set(parentSessionId, handle)
      }
      return
    }
    sendWake(runtime, parentSessionId)
  }

  const sendWake = (runtime: MissionRuntime, parentSessionId: string) => {
    if (runtime.heldReason !== undefined) return
    const taskIds = runtime.record.pendingWakes[parentSessionId] ?? []
    delete runtime.record.pendingWakes[parentSessionId]
    cancelTimer(runtime, runtime.wakeTimers.get(parentSessionId))
    runtime.wakeTimers.delete(parentSessionId)
    if (taskIds.length === 0) return
    const tasks = taskIds.map((id) => taskOf(runtime, id)).filter((task): task is Task => task !== undefined)
    persist(runtime)
    bus.emit('mission-wake', { missionId: runtime.record.id, sessionId: parentSessionId, taskIds })
    const parentRole = sessionOf(runtime, parentSessionId)
    promptSession(runtime, parentSessionId, prompts.wake({ mission: snapshot(runtime), tasks }), parentRole?.agent)
  }

  // ------------------------------------------------------------ continuation

  /** What the continuation policy says about the mission right now (the root is idle). */
  const decide = (runtime: MissionRuntime): ContinuationDecision => {
    const { record } = runtime
    const live = liveTasks(runtime)
    return policy({
      state: record.state,
      todos: record.todos,
      now: clock.now(),
      limits: { maxIterations: record.budgets.maxIterations, stagnationTurns: options.continuation.stagnationTurns, cooldownMs: options.continuation.cooldownMs },
      counters: {
        iterations: record.counters.iterations,
        idleTurnsWithoutProgress: record.counters.idleTurnsWithoutProgress,
        ...(record.counters.lastContinuationAt !== undefined ? { lastContinuationAt: record.counters.lastContinuationAt } : {}),
      },
      activity: {
        runningTasks: live.filter((task) => task.status === 'running').length,
        queuedTasks: live.filter((task) => task.status === 'queued').length,
        runningBackground: options.backgroundCount?.(record.id) ?? 0,
        endedTasks: record.tasks.length - live.length,
        rootBusy: false,
      },
      recent: {
        userMessage: runtime.userMessage,
        cancelled: false,
        ...(runtime.progressKeyAtContinuation !== undefined ? { progress: progressKeyOf(record) !== runtime.progressKeyAtContinuation } : {}),
      },
    })
  }

  const evaluate = (runtime: MissionRuntime, turnId: string | undefined) => {
    const { record } = runtime
    if (isMissionFinal(record.state) || runtime.heldReason !== undefined) return
    const root = track(runtime, record.rootSessionId)
    if (root.busy || root.promptInFlight) return
    if (turnId !== undefined && turnId !== runtime.lastEvaluatedTurnId) {
      runtime.lastEvaluatedTurnId = turnId
      const key = progressKeyOf(record)
      if (key === record.progressKey) {
        if (runtime.rootTurnAnswers === 'continuation') record.counters.idleTurnsWithoutProgress++
      } else {
        record.counters.idleTurnsWithoutProgress = 0
        record.progressKey = key
      }
    }
    const decision = decide(runtime)
    logger.log('debug', 'continuation decision', { missionId: record.id, decision })
    switch (decision.type) {
      case 'continue': {
        const text = prompts.continuation({ mission: snapshot(runtime), reason: decision.reason })
        record.counters.iterations++
        record.counters.lastContinuationAt = clock.now()
        runtime.progressKeyAtContinuation = progressKeyOf(record)
        runtime.userMessage = false
        delete record.pausedReason
        persist(runtime)
        bus.emit('mission-continue', { missionId: record.id, iteration: record.counters.iterations, reason: decision.reason })
        promptSession(runtime, record.rootSessionId, text, rootAgent)
        runtime.rootTurnAnswers = 'continuation'
        return
      }
      case 'wait': {
        if (decision.retryInMs !== undefined) {
          cancelTimer(runtime, runtime.cooldownTimer)
          runtime.cooldownTimer = schedule(runtime, Math.max(0, decision.retryInMs), () => {
            runtime.cooldownTimer = undefined
            evaluate(runtime, undefined)
          })
        } else if (runtime.userMessage && record.pausedReason !== decision.reason) {
          record.pausedReason = decision.reason
          persist(runtime)
        }
        return
      }
      case 'seal':
        return finish(runtime, 'sealed', decision.reason)
      case 'stop': {
        if (record.counters.iterations >= record.budgets.maxIterations) {
          // Like every other budget, the cap announces itself before the mission stops.
          bus.emit('budget-exceed', { missionId: record.id, budget: 'iterations', limit: record.budgets.maxIterations, value: record.counters.iterations })
          return finish(runtime, 'stopped', decision.reason, 'iterations', 'orchestrator')
        }
        return finish(runtime, 'stopped', decision.reason, undefined, 'orchestrator')
      }
    }
  }

  /** The root went idle: read its last turn, then wake or evaluate. */
  const checkRoot = (runtime: MissionRuntime, options: { adopting?: boolean } = {}) => {
    const { record } = runtime
    const entry = track(runtime, record.rootSessionId)
    const settle = (last: HostMessage | undefined) => {
      if (last?.error) {
        if (recovering.has(record.rootSessionId)) return
        if (options.adopting) return promptSession(runtime, record.rootSessionId, prompts.resume({ mission: snapshot(runtime), sessionId: record.rootSessionId, agent: rootAgent }), rootAgent)
        return // aborts and fatal errors are handled from the session-error event
      }
      if (!isTurnFinished(last)) {
        if (options.adopting) promptSession(runtime, record.rootSessionId, prompts.resume({ mission: snapshot(runtime), sessionId: record.rootSessionId, agent: rootAgent }), rootAgent)
        return
      }
      const pending = record.pendingWakes[record.rootSessionId]
      if (pending && pending.length > 0 && !liveTasks(runtime).some((task) => task.parentSessionId === record.rootSessionId)) {
        // Count the turn before waking, so a wake never hides a turn without progress.
        evaluateTurnOnly(runtime, last.id)
        return sendWake(runtime, record.rootSessionId)
      }
      evaluate(runtime, last.id)
    }
    const known = options.adopting ? undefined : finishedTurnOf(entry, record.rootSessionId)
    if (known) return settle(known)
    const activity = entry.activity
    const generation = record.generation
    background('root check', { missionId: record.id }, async () => {
      const messages = await host.sessions.messages(record.rootSessionId, { limit: MESSAGE_WINDOW })
      if (isStale(runtime, generation) || entry.activity !== activity || entry.busy) return
      settle(lastAssistant(messages))
    })
  }

  const evaluateTurnOnly = (runtime: MissionRuntime, turnId: string) => {
    if (turnId === runtime.lastEvaluatedTurnId) return
    runtime.lastEvaluatedTurnId = turnId
    const key = progressKeyOf(runtime.record)
    if (key !== runtime.record.progressKey) {
      runtime.record.counters.idleTurnsWithoutProgress = 0
      runtime.record.progressKey = key
    }
  }

  // ------------------------------------------------------------ ending

  const finish = (runtime: MissionRuntime, state: 'sealed' | 'stopped' | 'failed', reason: string, budget?: BudgetName, by: 'user' | 'orchestrator' = 'orchestrator') => {
    const { record } = runtime
    if (isMissionFinal(record.state)) return
    const previous = record.state
    record.generation++
    record.state = state
    record.end = { at: clock.now(), reason, ...(budget ? { budget } : {}) }
    delete record.pausedReason
    record.pendingWakes = {}
    for (const handle of runtime.timers) clock.clearTimeout(handle)
    runtime.timers.clear()
    runtime.wakeTimers.clear()
    runtime.cooldownTimer = undefined
    runtime.wallTimer = undefined
    const toAbort: string[] = []
    for (const task of liveTasks(runtime)) {
      if (task.sessionId) toAbort.push(task.sessionId)
      task.status = 'cancelled'
      task.endedAt = clock.now()
      task.error = { code: 'mission-ended', message: `mission ${describeEnd(state, reason)}` }
      runtime.tickets.get(task.id)?.cancel('mission ended')
      runtime.leases.get(task.id)?.release()
      bus.emit('task-end', { task: { ...task } })
    }
    // A session whose task already ended can still be in a turn the engine started (answering a
    // grandchild's wake): it belongs to the mission and stops with it.
    for (const session of record.sessions) {
      const entry = tracks.get(session.sessionId)
      if (session.sessionId === record.rootSessionId || !entry || !(entry.busy || entry.promptInFlight)) continue
      if (!toAbort.includes(session.sessionId)) toAbort.push(session.sessionId)
    }
    runtime.tickets.clear()
    runtime.leases.clear()
    runtime.silentTasks.clear()
    bus.emit('mission-transition', { missionId: record.id, from: previous, to: state, reason })
    if (state === 'sealed') bus.emit('mission-seal', { missionId: record.id, todos: structuredClone(record.todos) })
    else if (state === 'stopped') bus.emit('mission-stop', { missionId: record.id, reason, ...(budget ? { budget } : {}), by })
    else bus.emit('mission-fail', { missionId: record.id, reason })
    persist(runtime)
    // Cut every in-flight model call: children first, then the root's own turn. A seal cuts the
    // children too (their tasks are cancelled; a leftover worker must not touch verified work, nor
    // spend more), but not the root, whose finished turn is what sealed the mission.
    const targets = state === 'sealed' ? toAbort : [...toAbort, record.rootSessionId]
    const aborts = targets.filter((sessionId) => !runtime.goneSessions.has(sessionId)).map((sessionId) =>
      host.sessions.abort(sessionId).catch((error: unknown) => logger.log('error', 'abort failed', { missionId: record.id, sessionId, error: errorMessage(error) })),
    )
    runtime.abortsDone = Promise.all(aborts).then(() => undefined)
    settleWaiters()
    evictEnded()
  }

  const evictEnded = () => {
    const ended = [...missions.values()].filter((runtime) => isMissionFinal(runtime.record.state))
    if (ended.length <= retainEnded) return
    ended.sort((a, b) => (a.record.end?.at ?? 0) - (b.record.end?.at ?? 0))
    for (const runtime of ended.slice(0, ended.length - retainEnded)) {
      missions.delete(runtime.record.id)
      for (const session of runtime.record.sessions) {
        missionBySession.delete(session.sessionId)
        tracks.delete(session.sessionId)
        recovering.delete(session.sessionId)
        gaveUp.delete(session.sessionId)
      }
      missionBySession.delete(runtime.record.rootSessionId)
      tracks.delete(runtime.record.rootSessionId)
      for (const task of runtime.record.tasks) options.onTaskArchive?.(task)
    }
  }

  // ------------------------------------------------------------ host events

  const onHostEvent = (event: HostEvent) => {
    if (disposed) return
    switch (event.type) {
      case 'session-status': {
        const runtime = runtimeForSession(event.sessionId)
        const entry = tracks.get(event.sessionId)
        if (!runtime || !entry) return
        if (event.status.type === 'idle') {
          const stirred = entry.stirredSinceIdle
          entry.stirredSinceIdle = false
          if (!entry.busy && !entry.promptInFlight) {
            // OpenCode answers an abort of an idle session with a lone idle (verified on 1.18.33);
            // after an error, or an idle sent before the turn's last message, the idle repeats by itself.
            if (event.sessionId === runtime.record.rootSessionId && !stirred && !isMissionFinal(runtime.record.state)) {
              void stopMission(runtime.record.id, { reason: 'the root session was interrupted by the user' })
            }
            return
          }
          entry.busy = false
          entry.promptInFlight = false
          if (event.sessionId === runtime.record.rootSessionId) {
            if (!isMissionFinal(runtime.record.state)) checkRoot(runtime)
          } else {
            checkChild(runtime, event.sessionId)
            if (!isMissionFinal(runtime.record.state)) maybeWake(runtime, event.sessionId)
          }
        } else {
          entry.busy = true
          entry.promptInFlight = false
          entry.activity++
        }
        return
      }
      case 'message-update': {
        const { message } = event
        const runtime = runtimeForSession(message.sessionId)
        const entry = tracks.get(message.sessionId)
        if (!runtime || !entry) return
        entry.stirredSinceIdle = true
        if (message.role === 'user') {
          if (message.sessionId !== runtime.record.rootSessionId || entry.seenUserMessages.has(message.id)) return
          entry.seenUserMessages.add(message.id)
          if (runtime.syntheticRootMessages > 0) runtime.syntheticRootMessages--
          else if (!isMissionFinal(runtime.record.state)) {
            runtime.userMessage = true
            runtime.rootTurnAnswers = 'other'
            // Journaled at once, so a restart does not forget that the user took over.
            runtime.record.pausedReason = 'you wrote to the mission session; it carries on once you resume it'
            persist(runtime)
            logger.log('info', 'the user wrote to the root session; the loop pauses after this turn', { missionId: runtime.record.id })
          }
          return
        }
        noteAssistantMessage(entry, message)
        if (message.tokens || message.cost !== undefined) accountUsage(runtime, entry, message)
        return
      }
      case 'part-update': {
        const { part } = event
        if (part.kind !== 'text') return
        const entry = tracks.get(part.sessionId)
        // Only parts of the turn already announced: a user message's text, or a part seen before its
        // message, leaves the turn without text and the idle falls back to reading the host.
        if (!entry || entry.lastTurn?.messageId !== part.messageId) return
        entry.lastTurn.texts.set(part.partId ?? '', part.text)
        return
      }
      case 'session-error': {
        if (event.sessionId === undefined) return
        const errored = tracks.get(event.sessionId)
        if (errored) errored.stirredSinceIdle = true
        const runtime = runtimeForSession(event.sessionId)
        if (!runtime || isMissionFinal(runtime.record.state)) return
        if (event.error.name !== 'MessageAbortedError') return
        if (event.sessionId === runtime.record.rootSessionId) {
          void stopMission(runtime.record.id, { reason: 'the root session was interrupted by the user' })
          return
        }
        // The engine aborts a child only after its task or the mission has ended, so an abort of a
        // child whose task still runs came from outside: the user pressed Esc while viewing it.
        const role = sessionOf(runtime, event.sessionId)
        const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
        if (task && !isTaskFinal(task) && !recovering.has(event.sessionId)) {
          void stopMission(runtime.record.id, { reason: `the ${task.agent} session "${task.title}" was interrupted by the user` })
        }
        return
      }
      case 'session-delete': {
        const runtime = runtimeForSession(event.sessionId)
        runtime?.goneSessions.add(event.sessionId)
        if (!runtime || isMissionFinal(runtime.record.state)) return
        if (event.sessionId === runtime.record.rootSessionId) {
          void stopMission(runtime.record.id, { reason: 'the root session was deleted' })
          return
        }
        const role = sessionOf(runtime, event.sessionId)
        const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
        if (task && !isTaskFinal(task)) endTask(runtime, task, 'cancelled', { error: { code: 'session-deleted', message: 'the child session was deleted' } })
        return
      }
      default:
        return
    }
  }

  const accountUsage = (runtime: MissionRuntime, entry: SessionTrack, message: HostMessage) => {
    const tokens = message.tokens ? message.tokens.input + message.tokens.output + message.tokens.reasoning : 0
    const cost = message.cost ?? 0
    const previous = entry.usage.get(message.id) ?? { tokens: 0, cost: 0 }
    if (previous.tokens === tokens && previous.cost === cost) return
    entry.usage.set(message.id, { tokens, cost })
    const { record } = runtime
    record.counters.tokens += tokens - previous.tokens
    record.counters.costUsd += cost - previous.cost
    // Journaled at once: after a restart the token and cost budgets go on from what was really spent.
    persist(runtime)
    if (isMissionFinal(record.state)) return
    if (record.budgets.maxTokens > 0 && record.counters.tokens > record.budgets.maxTokens) {
      exceed(runtime, 'tokens', record.budgets.maxTokens, record.counters.tokens)
    } else if (record.budgets.maxCostUsd > 0 && record.counters.costUsd > record.budgets.maxCostUsd) {
      exceed(runtime, 'cost', record.budgets.maxCostUsd, record.counters.costUsd)
    }
  }

  const BUDGET_TEXT: Record<BudgetName, string> = {
    iterations: 'iteration budget (budgets.maxIterations)',
    wallTime: 'wall-time budget (budgets.maxWallTimeMinutes)',
    childSessions: 'child-session budget (budgets.maxChildSessions)',
    depth: 'depth budget (budgets.maxDepth)',
    breadth: 'breadth budget (budgets.maxBreadth)',
    tokens: 'token budget (budgets.maxTokens)',
    cost: 'cost budget (budgets.maxCostUsd)',
  }

  const exceed = (runtime: MissionRuntime, budget: BudgetName, limit: number, value: number): string => {
    // The wall-time budget is configured in minutes and fires exactly at its limit: say so in minutes.
    const minutes = (ms: number) => `${Number((ms / 60_000).toFixed(1))} min`
    const detail = budget === 'wallTime' ? `the mission ran ${minutes(value)} (limit ${minutes(limit)})` : `${Number.isInteger(value) ? value : value.toFixed(4)} > ${limit}`
    const reason = `${BUDGET_TEXT[budget]} exhausted: ${detail}`
    bus.emit('budget-exceed', { missionId: runtime.record.id, budget, limit, value })
    finish(runtime, 'stopped', reason, budget, 'orchestrator')
    return reason
  }

  const onRecoveryStart = ({ sessionId, action }: OrchestratorEvents['recovery-start']) => {
    if (runtimeForSession(sessionId)) recovering.set(sessionId, action)
  }

  const onRecoveryEnd = ({ sessionId, outcome, reason }: OrchestratorEvents['recovery-end']) => {
    recovering.delete(sessionId)
    const runtime = runtimeForSession(sessionId)
    if (!runtime || isMissionFinal(runtime.record.state)) return
    const entry = tracks.get(sessionId)
    if (outcome !== 'gave-up') {
      // An idle seen while recovery held the session was not settled: settle it now unless work goes on.
      if (sessionId !== runtime.record.rootSessionId && entry && !entry.busy && !entry.promptInFlight) checkChild(runtime, sessionId)
      return
    }
    if (sessionId === runtime.record.rootSessionId) {
      finish(runtime, 'failed', `recovery gave up on the root session: ${reason}`)
      return
    }
    const role = sessionOf(runtime, sessionId)
    const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
    if (!task || isTaskFinal(task)) return
    if (entry?.busy) gaveUp.set(sessionId, reason)
    else endTask(runtime, task, 'failed', { error: { code: 'recovery-gave-up', message: reason } })
  }

  // ------------------------------------------------------------ adoption

  const adopt = async (record: MissionRecord, onAdopt: MissionEngineStartOptions['onAdopt']): Promise<'adopted' | 'stale' | 'ended'> => {
    if (isMissionFinal(record.state)) {
      missions.set(record.id, newRuntime(record))
      return 'ended'
    }
    const root = await host.sessions.get(record.rootSessionId)
    const runtime = newRuntime(record)
    missions.set(record.id, runtime)
    if (!root) {
      // The host deletes a session's children with it; ask rather than abort sessions that are gone.
      runtime.goneSessions.add(record.rootSessionId)
      for (const task of liveTasks(runtime)) {
        if (task.sessionId && !(await host.sessions.get(task.sessionId))) runtime.goneSessions.add(task.sessionId)
      }
      finish(runtime, 'stopped', 'stale: its root session no longer exists on the host')
      return 'stale'
    }
    track(runtime, record.rootSessionId)
    const statuses = await host.sessions.status()
    for (const session of record.sessions) {
      const entry = track(runtime, session.sessionId)
      entry.busy = (statuses[session.sessionId]?.type ?? 'idle') !== 'idle'
    }
    const rootEntry = track(runtime, record.rootSessionId)
    rootEntry.busy = (statuses[record.rootSessionId]?.type ?? 'idle') !== 'idle'
    runtime.lastEvaluatedTurnId = undefined
    // A mission the user paused stays paused across a restart.
    runtime.userMessage = record.pausedReason !== undefined
    if (onAdopt) {
      await onAdopt(snapshot(runtime)).catch((error: unknown) =>
        logger.log('error', 'the adoption hook failed; the mission resumes all the same', { missionId: record.id, error: errorMessage(error) }),
      )
    }
    armWallTimer(runtime)
    for (const task of record.tasks) {
      if (task.status === 'queued') dispatch(runtime, task)
      else if (task.status === 'running' && task.sessionId) {
        const entry = tracks.get(task.sessionId)
        if (entry && !entry.busy) checkChild(runtime, task.sessionId, { adopting: true })
      }
    }
    // Wakes journaled for child sessions (a grandchild ended while its parent worked): the idle that
    // would have sent them may have come while no engine listened, and wake timers are not journaled.
    for (const parentSessionId of Object.keys(record.pendingWakes)) {
      if (parentSessionId !== record.rootSessionId) maybeWake(runtime, parentSessionId)
    }
    if (!rootEntry.busy && !liveTasks(runtime).some((task) => task.parentSessionId === record.rootSessionId)) {
      const pending = record.pendingWakes[record.rootSessionId]
      if (pending && pending.length > 0) sendWake(runtime, record.rootSessionId)
      else checkRoot(runtime, { adopting: true })
    } else maybeWake(runtime, record.rootSessionId) // re-arms the bound on how long a busy root keeps its wake waiting
    logger.log('info', 'mission adopted after restart', { missionId: record.id, state: record.state })
    return 'adopted'
  }

  const newRuntime = (record: MissionRecord): MissionRuntime => ({
    record,
    tickets: new Map(),
    leases: new Map(),
    silentTasks: new Set(),
    timers: new Set(),
    wakeTimers: new Map(),
    syntheticRootMessages: 0,
    userMessage: false,
    goneSessions: new Set(),
  })

  const armWallTimer = (runtime: MissionRuntime) => {
    const { record } = runtime
    if (!(record.budgets.maxWallTimeMs > 0) || !Number.isFinite(record.budgets.maxWallTimeMs)) return
    const remaining = record.createdAt + record.budgets.maxWallTimeMs - clock.now()
    runtime.wallTimer = schedule(runtime, Math.max(0, remaining), () => {
      exceed(runtime, 'wallTime', record.budgets.maxWallTimeMs, clock.now() - record.createdAt)
    })
  }

  // ------------------------------------------------------------ public API

  /** A disposed engine journals nothing more: a change made through it would be lost without a word. */
  const requireLive = () => {
    if (disposed) throw new OrchestratorError({ code: 'disposed', message: 'The mission engine was disposed (OpenCode is shutting down or restarting); the change was not made. Try again once it is back.' })
  }

  const requireMission = (missionId: string): MissionRuntime => {
    requireLive()
    const runtime = missions.get(missionId)
    if (!runtime) throw new OrchestratorError({ code: 'mission-not-found', message: `No mission with id '${missionId}'.`, details: { missionId } })
    return runtime
  }

  const stopMission = async (missionId: string, stop: StopMissionOptions) => {
    const runtime = requireMission(missionId)
    if (isMissionFinal(runtime.record.state)) return
    if (stop.cause) failCause(runtime, stop.cause)
    finish(runtime, stop.outcome ?? 'stopped', stop.reason, stop.budget, stop.by ?? 'user')
    await runtime.abortsDone
  }

  /** Records the task of the session that ended the mission as failed; no wake (the mission is ending). */
  const failCause = (runtime: MissionRuntime, cause: NonNullable<StopMissionOptions['cause']>) => {
    const task = runtime.record.tasks.find((item) => item.sessionId === cause.sessionId && LIVE.has(item.status))
    if (!task) return
    task.status = 'failed'
    task.endedAt = clock.now()
    task.error = { ...cause.error }
    runtime.tickets.get(task.id)?.cancel('task failed')
    runtime.tickets.delete(task.id)
    runtime.leases.get(task.id)?.release()
    runtime.leases.delete(task.id)
    runtime.silentTasks.delete(task.id)
    bus.emit('task-end', { task: { ...task } })
  }

  return {
    async start(options = {}) {
      if (started) throw new OrchestratorError({ code: 'invalid-argument', message: 'The mission engine was already started.' })
      started = true
      unsubscribers.push(host.subscribe(onHostEvent))
      unsubscribers.push(bus.on('recovery-start', onRecoveryStart))
      unsubscribers.push(bus.on('recovery-end', onRecoveryEnd))
      const { records, problems } = await journal.loadAll()
      for (const record of records) {
        journaledIds.add(record.id)
        for (const task of record.tasks) journaledIds.add(task.id)
      }
      const report: ResumeReport = { adopted: [], stale: [], problems }
      for (const record of records) {
        try {
          const outcome = await adopt(record, options.onAdopt)
          if (outcome === 'adopted') report.adopted.push(record.id)
          if (outcome === 'stale') report.stale.push(record.id)
        } catch (error) {
          logger.log('error', 'could not adopt mission', { missionId: record.id, error: errorMessage(error) })
          report.stale.push(record.id)
        }
      }
      evictEnded()
      return report
    },

    startMission(start) {
      if (!started) {
        // Nothing would listen to the host: the mission would sit in planning forever.
        throw new OrchestratorError({ code: 'invalid-argument', message: 'Call start() on the mission engine before startMission(): it subscribes to the host and adopts journaled missions.' })
      }
      const existing = runtimeForSession(start.rootSessionId)
      if (existing && !isMissionFinal(existing.record.state)) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: `A mission (${existing.record.id}) is already running in this session; stop it before starting another one.`,
          details: { missionId: existing.record.id },
        })
      }
      const now = clock.now()
      const record: MissionRecord = {
        version: MISSION_JOURNAL_VERSION,
        id: freshId('mission'),
        rootSessionId: start.rootSessionId,
        goal: start.goal,
        state: 'planning',
        createdAt: now,
        updatedAt: now,
        generation: 0,
        budgets: { ...options.budgets, ...start.budgets },
        counters: { iterations: 0, idleTurnsWithoutProgress: 0, childSessions: 0, tokens: 0, costUsd: 0 },
        progressKey: '',
        todos: [],
        tasks: [],
        sessions: [{ sessionId: start.rootSessionId, agent: rootAgent, depth: 0 }],
        pendingWakes: {},
        ...(start.pinnedModel ? { pinnedModel: start.pinnedModel } : {}),
      }
      if (existing) missions.delete(existing.record.id)
      const runtime = newRuntime(record)
      missions.set(record.id, runtime)
      const root = track(runtime, start.rootSessionId)
      root.seenUserMessages.clear()
      record.progressKey = progressKeyOf(record)
      armWallTimer(runtime)
      persist(runtime)
      bus.emit('mission-start', { missionId: record.id, rootSessionId: start.rootSessionId, goal: start.goal })
      if (start.expectUserMessage) {
        runtime.syntheticRootMessages++
        root.promptInFlight = true
      }
      if (start.kickoff !== undefined) promptSession(runtime, start.rootSessionId, start.kickoff, rootAgent)
      return snapshot(runtime)
    },

    delegate(request) {
      requireLive()
      const runtime = runtimeForSession(request.sessionId)
      if (!runtime) {
        throw new OrchestratorError({ code: 'mission-not-found', message: `Session ${request.sessionId} is not part of a mission; only sessions of a running mission can delegate.`, details: { sessionId: request.sessionId } })
      }
      const { record } = runtime
      if (isMissionFinal(record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `The mission has ended (${describeEnd(record.state, record.end?.reason ?? '')}); no new work is accepted.`, details: { missionId: record.id } })
      }
      const parent = sessionOf(runtime, request.sessionId)
      const depth = (parent?.depth ?? 0) + 1
      const liveChildren = liveTasks(runtime).filter((task) => task.parentSessionId === request.sessionId).length
      const refuse = (budget: BudgetName, limit: number, value: number): never => {
        const reason = exceed(runtime, budget, limit, value)
        throw new OrchestratorError({ code: 'limit-exceeded', message: `Refused: ${reason}. The mission has stopped.`, details: { limit: budget, max: limit, value } })
      }
      if (depth > record.budgets.maxDepth) refuse('depth', record.budgets.maxDepth, depth)
      if (liveChildren + 1 > record.budgets.maxBreadth) refuse('breadth', record.budgets.maxBreadth, liveChildren + 1)
      if (record.counters.childSessions + 1 > record.budgets.maxChildSessions) refuse('childSessions', record.budgets.maxChildSessions, record.counters.childSessions + 1)
      record.counters.childSessions++
      const task: Task = {
        id: freshId('task'),
        missionId: record.id,
        agent: request.agent,
        title: request.title,
        prompt: request.prompt,
        todoIds: [...(request.todoIds ?? [])],
        status: 'queued',
        priority: request.priority ?? 0,
        parentSessionId: request.sessionId,
        depth,
        createdAt: clock.now(),
        ...(request.model ? { model: request.model } : {}),
      }
      record.tasks.push(task)
      if (request.notifyParent === false) runtime.silentTasks.add(task.id)
      bus.emit('task-queue', { task: { ...task } })
      refreshState(runtime)
      dispatch(runtime, task)
      return { ...task }
    },

    waitForTasks(taskIds) {
      return new Promise((resolve) => {
        waiters.add({ taskIds, resolve })
        settleWaiters()
      })
    },

    async cancelTask(taskId, reason) {
      const task = findTask(taskId)
      if (!task) throw new OrchestratorError({ code: 'task-not-found', message: `No task with id '${taskId}'.`, details: { taskId } })
      const runtime = requireMission(task.missionId)
      if (isTaskFinal(task)) return
      const sessionId = task.sessionId
      endTask(runtime, task, 'cancelled', { error: { code: 'task-cancelled', message: reason } })
      if (sessionId) await host.sessions.abort(sessionId)
    },

    stopMission,

    expectOwnRootMessage(missionId) {
      const runtime = missions.get(missionId)
      if (runtime && !isMissionFinal(runtime.record.state)) runtime.syntheticRootMessages++
    },

    wakeParentOnEnd(taskId) {
      const task = findTask(taskId)
      if (task) missions.get(task.missionId)?.silentTasks.delete(taskId)
    },

    resumeMission(missionId) {
      const runtime = requireMission(missionId)
      if (isMissionFinal(runtime.record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `Mission ${missionId} has ended (${runtime.record.state}); start a new mission instead.`, details: { missionId } })
      }
      const wasHeld = runtime.heldReason !== undefined
      delete runtime.heldReason
      runtime.userMessage = false
      delete runtime.record.pausedReason
      persist(runtime)
      // Wakes that came in while the mission was held go out now.
      if (wasHeld) for (const parentSessionId of Object.keys(runtime.record.pendingWakes)) maybeWake(runtime, parentSessionId)
      evaluate(runtime, undefined)
    },

    pauseMission(missionId, reason) {
      const runtime = missions.get(missionId)
      if (!runtime || isMissionFinal(runtime.record.state) || runtime.heldReason === reason) return
      runtime.heldReason = reason
      runtime.userMessage = true
      runtime.record.pausedReason = reason
      cancelTimer(runtime, runtime.cooldownTimer)
      runtime.cooldownTimer = undefined
      logger.log('warn', 'mission paused', { missionId, reason, continuationsSent: runtime.record.counters.iterations })
      persist(runtime)
    },

    recheck(missionId) {
      const runtime = missions.get(missionId)
      if (runtime) recheckRoot(runtime)
    },

    setTodos(missionId, todos) {
      const runtime = requireMission(missionId)
      if (isMissionFinal(runtime.record.state)) {
        throw new OrchestratorError({ code: 'mission-ended', message: `Mission ${missionId} has ended (${runtime.record.state}); its todos are final.`, details: { missionId } })
      }
      runtime.record.todos = structuredClone([...todos])
      bus.emit('todo-update', { missionId, todos: structuredClone([...todos]) })
      refreshState(runtime)
      return snapshot(runtime)
    },

    getMission: (missionId) => {
      const runtime = missions.get(missionId)
      return runtime ? snapshot(runtime) : undefined
    },
    missionForSession: (sessionId) => {
      const runtime = runtimeForSession(sessionId)
      return runtime ? snapshot(runtime) : undefined
    },
    sessionRole: (sessionId) => {
      const runtime = runtimeForSession(sessionId)
      const role = runtime ? sessionOf(runtime, sessionId) : undefined
      return role ? { ...role } : undefined
    },
    missionStateOf: (sessionId) => {
      const record = runtimeForSession(sessionId)?.record
      if (!record) return undefined
      const heldReason = runtimeForSession(sessionId)?.heldReason
      return { missionId: record.id, state: record.state, ...(record.end ? { endReason: record.end.reason } : {}), ...(heldReason !== undefined ? { heldReason } : {}) }
    },
    listMissions: () => [...missions.values()].map(snapshot),
    getTask: (taskId) => {
      const task = findTask(taskId)
      return task ? { ...task } : undefined
    },

    async dispose() {
      disposed = true
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe()
      for (const runtime of missions.values()) {
        for (const handle of runtime.timers) clock.clearTimeout(handle)
        runtime.timers.clear()
        for (const ticket of runtime.tickets.values()) ticket.cancel('engine disposed')
      }
      await journal.flush()
    },
  }
}
