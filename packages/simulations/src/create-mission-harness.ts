import {
  createEventBus,
  createLogger,
  createMemoryStorage,
  createMissionEngine,
  createMissionJournal,
  createSequentialIds,
  type ContinuationSettings,
  type CreateMissionEngineOptions,
  type Clock,
  type EventBus,
  type HostV1,
  type LogLevel,
  type MissionBudgets,
  type MissionEngine,
  type MissionJournal,
  type MissionPrompts,
  type OrchestratorEventName,
  type OrchestratorEvents,
  type Storage,
  type TaskDispatcher,
  type TimerHandle,
} from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost, type FakeClock, type FakeHost } from '@opencode-orchestrator/testing'
import { decideContinuation } from '@opencode-orchestrator/todo-engine'

/** Budgets of harness missions unless a scenario overrides them: generous, so only the budget under test bites. */
export const HARNESS_BUDGETS: Readonly<MissionBudgets> = {
  maxIterations: 20,
  maxWallTimeMs: 4 * 3_600_000,
  maxChildSessions: 100,
  maxDepth: 3,
  maxBreadth: 20,
  maxTokens: 0,
  maxCostUsd: 0,
}

/** The engine's documented defaults. */
export const HARNESS_CONTINUATION: Readonly<ContinuationSettings> = {
  stagnationTurns: 3,
  cooldownMs: 2_000,
  wakeMaxWaitMs: 60_000,
}

/** One event of the engine's bus, with when it happened. */
export type HarnessEvent = {
  [Name in OrchestratorEventName]: {
    name: Name
    payload: OrchestratorEvents[Name]
    /** Fake clock time of the emit. */
    at: number
    /** `host.calls.length` at the emit: calls with a higher index came after the event. */
    callIndex: number
  }
}[OrchestratorEventName]

/** A prompt the host received through `sessions.promptAsync`. */
export interface HarnessPrompt {
  sessionId: string
  text: string
  agent?: string
  at: number
  /** Index in `host.calls`. */
  callIndex: number
}

export interface CreateMissionHarnessOptions {
  /** Default: a fake clock starting at 1 000 000. */
  clock?: FakeClock
  /** Default: a FakeHost on the clock. Pass one to restart an engine against the same sessions. */
  host?: FakeHost
  /** Default: a fresh memory storage. Pass one to restart an engine against the same journal. */
  storage?: Storage
  /** Keep every host event in `host.events` (only for a host the harness creates). Default true. */
  recordEvents?: boolean
  /** Overrides of {@link HARNESS_BUDGETS}. */
  budgets?: Partial<MissionBudgets>
  /** Overrides of {@link HARNESS_CONTINUATION}. */
  continuation?: Partial<ContinuationSettings>
  dispatcher?: TaskDispatcher
  prompts?: MissionPrompts
  /** What the engine sees instead of the FakeHost itself, e.g. a wrapper whose aborts land late. */
  wrapHost?: (host: FakeHost) => HostV1
  /** Keep bus events in `events`. Default true. */
  recordBusEvents?: boolean
  /** Worktree isolation: the workspaces port and the engine's settings for it. */
  isolation?: Pick<CreateMissionEngineOptions, 'workspaces' | 'isolation' | 'onSeal' | 'warmWorktrees' | 'stopTaskWork'>
}

export interface MissionHarness {
  clock: FakeClock
  host: FakeHost
  storage: Storage
  journal: MissionJournal
  bus: EventBus<OrchestratorEvents>
  engine: MissionEngine
  budgets: MissionBudgets
  continuation: ContinuationSettings
  /** Every bus event, in order (unless `recordBusEvents: false`). */
  events: HarnessEvent[]
  /** Every log entry of the engine and the journal. */
  logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }>
  /** Errors thrown by bus listeners (a test listener that blew up must fail the test, not vanish). */
  listenerErrors: unknown[]
  /** Timers the engine has pending (the wall-time timer, cooldowns, wake timers): with no host turn running, nothing else can move a mission. */
  engineTimerCount(): number
  /** Payloads of one kind of bus event. */
  eventsOf<Name extends OrchestratorEventName>(name: Name): Array<OrchestratorEvents[Name]>
  /** Prompts the host received, optionally for one session only. */
  prompts(sessionId?: string): HarnessPrompt[]
  /** Lets promise chains started so far settle (one macrotask turn drains every queued microtask). */
  settle(): Promise<void>
  /** Moves the fake clock by `ms`, letting promise chains settle after every timer. */
  advance(ms: number): Promise<void>
  /**
   * Runs `handler` when a tool call of `tool` starts running in any session (the moment a real
   * tool would execute), e.g. to call `engine.delegate` from the Commander's turn.
   */
  onTool(tool: string, handler: (call: { sessionId: string; input: Readonly<Record<string, unknown>> }) => void): () => void
  /**
   * Starts the engine (once), adds the user's root session (agent `commander`) and starts a
   * mission in it with `kickoff` as the first prompt.
   */
  startMission(options?: HarnessMissionOptions): Promise<{ missionId: string; rootSessionId: string }>
}

export interface HarnessMissionOptions {
  goal?: string
  /** First prompt to the root. Default `Build it`. */
  kickoff?: string
  budgets?: Partial<MissionBudgets>
}

/**
 * Wires a mission engine the way the plugin does (FakeHost, fake clock, memory journal,
 * todo-engine's `decideContinuation`), with recording on every side.
 *
 * @example
 * const harness = createMissionHarness()
 * await harness.engine.start()
 * harness.host.onAgent('commander', { reply: 'ok' })
 */
export function createMissionHarness(options: CreateMissionHarnessOptions = {}): MissionHarness {
  const clock = options.clock ?? createFakeClock({ start: 1_000_000 })
  const host = options.host ?? createFakeHost({ clock, recordEvents: options.recordEvents ?? true })
  const storage = options.storage ?? createMemoryStorage()
  const logs: MissionHarness['logs'] = []
  const logger = createLogger((entry) => logs.push(entry))
  const listenerErrors: unknown[] = []
  const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => listenerErrors.push(error) })
  const events: HarnessEvent[] = []
  if (options.recordBusEvents ?? true) {
    bus.onAny((name, payload) => {
      events.push({ name, payload, at: clock.now(), callIndex: host.calls.length } as HarnessEvent)
    })
  }
  // Wired as the plugin does: a journal that cannot be written holds its mission.
  const late: { engine?: MissionEngine } = {}
  const journal = createMissionJournal({
    storage,
    clock,
    logger,
    onWriteFailure: ({ missionId, error }) => late.engine?.pauseMission(missionId, `paused: its journal could not be saved (${error.message})`),
  })
  // The engine's timers are counted apart from the host's, to tell "waiting for something" from "dormant".
  const engineTimers = new Set<TimerHandle>()
  const engineClock: Clock = {
    now: () => clock.now(),
    setTimeout(callback, ms) {
      const handle = clock.setTimeout(() => {
        engineTimers.delete(handle)
        callback()
      }, ms)
      engineTimers.add(handle)
      return handle
    },
    clearTimeout(handle) {
      engineTimers.delete(handle)
      clock.clearTimeout(handle)
    },
  }
  const budgets: MissionBudgets = { ...HARNESS_BUDGETS, ...options.budgets }
  const continuation: ContinuationSettings = { ...HARNESS_CONTINUATION, ...options.continuation }
  const engine = createMissionEngine({
    host: options.wrapHost ? options.wrapHost(host) : host,
    bus,
    clock: engineClock,
    ids: createSequentialIds(),
    journal,
    logger,
    policy: decideContinuation,
    budgets,
    continuation,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
    ...(options.prompts ? { prompts: options.prompts } : {}),
    ...options.isolation,
  })
  late.engine = engine
  let started: Promise<unknown> | undefined
  const settle = () => new Promise<void>((resolve) => setImmediate(resolve))
  return {
    clock,
    host,
    storage,
    journal,
    bus,
    engine,
    budgets,
    continuation,
    events,
    logs,
    listenerErrors,
    engineTimerCount: () => engineTimers.size,
    eventsOf: <Name extends OrchestratorEventName>(name: Name) =>
      events.filter((event): event is Extract<HarnessEvent, { name: Name }> => event.name === name).map((event) => event.payload as OrchestratorEvents[Name]),
    prompts(sessionId) {
      const prompts: HarnessPrompt[] = []
      host.calls.forEach((call, callIndex) => {
        if (call.method !== 'promptAsync') return
        const [prompt] = call.args
        if (sessionId !== undefined && prompt.sessionId !== sessionId) return
        prompts.push({ sessionId: prompt.sessionId, text: prompt.text, ...(prompt.agent !== undefined ? { agent: prompt.agent } : {}), at: call.at, callIndex })
      })
      return prompts
    },
    settle,
    advance: (ms) => clock.advanceAsync(ms),
    onTool: (tool, handler) =>
      host.subscribe((event) => {
        if (event.type !== 'part-update' || event.part.kind !== 'tool') return
        const { call, sessionId } = event.part
        if (call.tool === tool && call.status === 'running') handler({ sessionId, input: call.input ?? {} })
      }),
    async startMission(mission = {}) {
      started ??= engine.start()
      await started
      const root = host.addSession({ title: 'mission', agent: 'commander' })
      const record = engine.startMission({
        rootSessionId: root.id,
        goal: mission.goal ?? 'Build it',
        kickoff: mission.kickoff ?? 'Build it',
        ...(mission.budgets ? { budgets: mission.budgets } : {}),
      })
      return { missionId: record.id, rootSessionId: root.id }
    },
  }
}
