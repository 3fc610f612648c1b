/**
 * What every part of the engine is created with: the ports, the resolved options, the shared
 * {@link EngineState}, and the few helpers all parts use (staleness, journaling, timers,
 * fire-and-forget work, state derivation). {@link EngineOps} names the functions the parts offer
 * each other; each part takes only the ones it calls, wired by `createMissionEngine`.
 */
import type { ContinuationPolicy } from '../continuation'
import type { EventBus } from '../event-bus'
import type { BudgetName, MissionState, OrchestratorEvents } from '../events'
import type { HostV1 } from '../host'
import { isMissionFinal, type MissionSnapshot } from '../mission'
import type { MissionJournal } from '../mission-journal'
import { defaultMissionPrompts, type MissionPrompts } from '../mission-prompts'
import { OrchestratorError, errorMessage } from '../orchestrator-error'
import type { Clock, Logger, TimerHandle } from '../ports'
import type { Task } from '../task'
import { createUnlimitedDispatcher, type TaskDispatcher } from '../task-dispatcher'
import type { CreateMissionEngineOptions, StopMissionOptions } from './engine-types'
import { createEngineState, type EngineState } from './engine-state'
import { liveTasks, type MissionRuntime } from './mission-runtime'

export interface EngineContext {
  options: CreateMissionEngineOptions
  host: HostV1
  bus: EventBus<OrchestratorEvents>
  clock: Clock
  journal: MissionJournal
  logger: Logger
  policy: ContinuationPolicy
  prompts: MissionPrompts
  dispatcher: TaskDispatcher
  rootAgent: string
  retainEnded: number
  state: EngineState
  /**
   * After dispose nothing may act: a check still in flight, or a host event delivered to the
   * listener list it was emitted to, would prompt sessions and overwrite the journal of the
   * engine that adopted the mission (a restart in the same process).
   */
  isStale(runtime: MissionRuntime, generation: number): boolean
  /** Stamps and journals the mission record (nothing after dispose). */
  persist(runtime: MissionRuntime): void
  /** A timer of the mission: cleared when it ends, and its action skipped once it went stale. */
  schedule(runtime: MissionRuntime, ms: number, action: () => void): TimerHandle
  cancelTimer(runtime: MissionRuntime, handle: TimerHandle | undefined): void
  /** Fire-and-forget with the error logged (never swallowed). */
  background(what: string, fields: Record<string, unknown>, work: () => Promise<void>): void
  /** Moves the mission to the state its tasks and todos imply (announcing the transition), then journals it. */
  refreshState(runtime: MissionRuntime, reason?: string): void
  snapshot(runtime: MissionRuntime): MissionSnapshot
  /** A disposed engine journals nothing more: a change made through it would be lost without a word. */
  requireLive(): void
  requireMission(missionId: string): MissionRuntime
}

/** The functions the parts call on each other. */
export interface EngineOps {
  /** prompting.ts */
  promptSession(runtime: MissionRuntime, sessionId: string, text: string, agent?: string): void
  /** task-lifecycle.ts */
  endTask(runtime: MissionRuntime, task: Task, status: 'completed' | 'failed' | 'cancelled', detail: { result?: string; error?: { code: string; message: string } }): void
  dispatch(runtime: MissionRuntime, task: Task): void
  checkChild(runtime: MissionRuntime, sessionId: string, options?: { adopting?: boolean }): void
  /** wakes.ts */
  maybeWake(runtime: MissionRuntime, parentSessionId: string): void
  sendWake(runtime: MissionRuntime, parentSessionId: string): void
  /** continuation-loop.ts */
  evaluate(runtime: MissionRuntime, turnId: string | undefined): void
  checkRoot(runtime: MissionRuntime, options?: { adopting?: boolean }): void
  recheckRoot(runtime: MissionRuntime): void
  /** ending.ts */
  finish(runtime: MissionRuntime, state: 'sealed' | 'stopped' | 'failed', reason: string, budget?: BudgetName, by?: 'user' | 'orchestrator'): void
  stopMission(missionId: string, stop: StopMissionOptions): Promise<void>
  /** Finishes an ended mission's worktrees (merges in flight, removal, landing); never throws. */
  finishWorkspaces(runtime: MissionRuntime, outcome: 'sealed' | 'stopped' | 'failed'): Promise<void>
  evictEnded(): void
  /** budgets.ts */
  exceed(runtime: MissionRuntime, budget: BudgetName, limit: number, value: number): string
  armWallTimer(runtime: MissionRuntime): void
  /** task-waiters.ts */
  settleWaiters(): void
}

export function createEngineContext(options: CreateMissionEngineOptions): EngineContext {
  const { host, bus, clock, ids, journal, logger, policy } = options
  const state = createEngineState(ids)

  const isStale = (runtime: MissionRuntime, generation: number) =>
    state.isDisposed() || runtime.record.generation !== generation || isMissionFinal(runtime.record.state) || state.mission(runtime.record.id) !== runtime

  const persist = (runtime: MissionRuntime) => {
    if (state.isDisposed()) return
    runtime.record.updatedAt = clock.now()
    journal.save(runtime.record)
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

  const requireLive = () => {
    if (state.isDisposed()) throw new OrchestratorError({ code: 'disposed', message: 'The mission engine was disposed (OpenCode is shutting down or restarting); the change was not made. Try again once it is back.' })
  }

  return {
    options,
    host,
    bus,
    clock,
    journal,
    logger,
    policy,
    prompts: options.prompts ?? defaultMissionPrompts,
    dispatcher: options.dispatcher ?? createUnlimitedDispatcher(),
    rootAgent: options.rootAgent ?? 'commander',
    retainEnded: options.retainEndedMissions ?? 20,
    state,
    isStale,
    persist,
    schedule: (runtime, ms, action) => {
      const generation = runtime.record.generation
      const handle = clock.setTimeout(() => {
        runtime.timers.delete(handle)
        if (isStale(runtime, generation)) return
        action()
      }, ms)
      runtime.timers.add(handle)
      return handle
    },
    cancelTimer: (runtime, handle) => {
      if (handle === undefined) return
      clock.clearTimeout(handle)
      runtime.timers.delete(handle)
    },
    background: (what, fields, work) => {
      work().catch((error: unknown) => logger.log('error', `${what} failed`, { ...fields, error: errorMessage(error) }))
    },
    refreshState: (runtime, reason) => {
      const next = deriveState(runtime)
      const previous = runtime.record.state
      if (next !== previous) {
        runtime.record.state = next
        bus.emit('mission-transition', { missionId: runtime.record.id, from: previous, to: next, ...(reason ? { reason } : {}) })
      }
      persist(runtime)
    },
    snapshot: (runtime) => structuredClone(runtime.record),
    requireLive,
    requireMission: (missionId) => {
      requireLive()
      const runtime = state.mission(missionId)
      if (!runtime) throw new OrchestratorError({ code: 'mission-not-found', message: `No mission with id '${missionId}'.`, details: { missionId } })
      return runtime
    },
  }
}
