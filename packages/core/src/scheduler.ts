import { assertSlotCount, createConcurrencyKeyResolver } from './concurrency-key'
import type { ConcurrencyKey, ConcurrencyKeyInput, ConcurrencyKeyResolver, ConcurrencyLimits } from './concurrency-key'
import type { ModelRef } from './host'
import { OrchestratorError, errorMessage } from './orchestrator-error'
import type { Clock, Logger, TimerHandle } from './ports'

/** Concurrency limits of a scheduler. Every slot count is a whole number; 0 means unlimited. */
export interface SchedulerLimits extends ConcurrencyLimits {
  /** How long a request may wait for a slot before it fails with `acquire-timeout`, in ms (default 1,800,000; 0 = wait forever). */
  acquireTimeoutMs: number
}

/** Per-mission shape limits, checked when a request arrives. */
export interface MissionLimits {
  /** Deepest allowed delegation: a task delegated by the mission's root session has depth 1 (default 2). */
  maxDepth: number
  /** Most live (queued or running) tasks one session may have delegated at a time (default 50). */
  maxBreadth: number
}

/** One task asking for a slot. */
export interface SchedulerRequest {
  /** Task id; unique among the scheduler's live requests. */
  taskId: string
  /** Mission the task belongs to: fairness is shared out between missions. */
  missionId: string
  /** Session that delegated the task; its live tasks count towards `maxBreadth`. */
  parentSessionId: string
  /** Agent that runs the task (compared case-insensitively). */
  agent: string
  /** Model the task runs on, when known; selects model and provider limits. */
  model?: ModelRef
  /** Nesting depth, 1 for a task delegated by the root session. Checked against `maxDepth`. */
  depth: number
  /** Higher is served first; FIFO within the same priority (default 0). */
  priority?: number
  /** Overrides `limits.acquireTimeoutMs` for this request (0 = wait forever). */
  acquireTimeoutMs?: number
}

/** What the dispatch gate sees: the request plus the concurrency key it was counted under. */
export interface DispatchGateRequest extends Readonly<SchedulerRequest> {
  readonly key: string
}

/** Answer of a {@link DispatchGate}. A refused request stays queued and is asked again after `retryInMs`. */
export type DispatchGateDecision = { allowed: true } | { allowed: false; retryInMs: number; reason: string }

/**
 * Consulted right before a slot is granted, e.g. by a per-provider circuit
 * breaker. Must be fast and synchronous; a throwing gate fails the request.
 */
export type DispatchGate = (request: DispatchGateRequest) => DispatchGateDecision

/**
 * Lifecycle of a ticket: `queued` → `running` → `released`, or it ends early
 * as `cancelled`, `timed-out` (no slot in time) or `failed` (the gate threw).
 */
export type SchedulerTicketStatus = 'queued' | 'running' | 'released' | 'cancelled' | 'timed-out' | 'failed'

/** A granted slot. */
export interface SchedulerLease {
  readonly taskId: string
  /** Concurrency key the slot is counted under. */
  readonly key: string
  /** `running` until released or cancelled. Check it before starting work: a cancel may land between grant and start. */
  readonly status: SchedulerTicketStatus
  /**
   * Frees the slot. Idempotent: only the first release or cancel frees it; the
   * return value says whether this call did. Releasing a request that is still
   * queued withdraws it (its `granted` rejects with `task-cancelled`).
   */
  release(): boolean
}

/** Handle of one request, returned at once by {@link Scheduler.request}. */
export interface SchedulerTicket {
  readonly taskId: string
  readonly key: string
  readonly status: SchedulerTicketStatus
  /**
   * Resolves with the lease when a slot is granted. Rejects with an
   * {@link OrchestratorError}: `task-cancelled` (cancel, dispose) or
   * `acquire-timeout`, or with the gate's error when the gate throws.
   */
  readonly granted: Promise<SchedulerLease>
  /**
   * Withdraws a queued request (its `granted` rejects with `task-cancelled`) or
   * frees a running slot. Returns false when the ticket had already ended.
   */
  cancel(reason?: string): boolean
}

export interface SchedulerKeyStats {
  running: number
  queued: number
  /** 0 = unlimited. */
  limit: number
}

export interface SchedulerStats {
  running: number
  /** Waiting requests, including those the gate has refused for now. */
  queued: number
  /** Global cap; 0 = unlimited. */
  limit: number
  /** Keys that have running or queued requests. */
  keys: Record<string, SchedulerKeyStats>
  /** Missions that have running or queued requests. */
  missions: Record<string, { running: number; queued: number }>
}

export interface Scheduler {
  /**
   * Queues a request and returns its ticket; the slot is granted at once when
   * one is free. Throws `limit-exceeded` (depth or breadth), `invalid-argument`
   * (bad field, duplicate live task id) or `disposed`.
   */
  request(request: SchedulerRequest): SchedulerTicket
  /** Live ticket of a task, if any. */
  get(taskId: string): SchedulerTicket | undefined
  /** Cancels every live ticket of a mission, queued ones first. Returns how many were cancelled. */
  cancelMission(missionId: string, reason: string): number
  /** The key a task would be counted under, and its limit. */
  keyFor(input: ConcurrencyKeyInput): ConcurrencyKey
  stats(): SchedulerStats
  /** Rejects every queued request with `task-cancelled` and refuses new ones. Running leases stay valid. */
  dispose(reason?: string): void
}

export interface SchedulerOptions {
  /** Time source for acquisition timeouts and gate retries. */
  clock: Clock
  /** Concurrency limits; omitted fields take the config defaults. */
  limits?: Partial<SchedulerLimits>
  /** Depth and breadth limits; omitted fields take the config defaults. */
  missionLimits?: Partial<MissionLimits>
  /** Optional dispatch gate consulted before every grant. */
  gate?: DispatchGate
  logger: Logger
}

const DEFAULT_LIMITS: SchedulerLimits = {
  global: 50,
  default: 0,
  agents: {},
  providers: {},
  models: {},
  acquireTimeoutMs: 1_800_000,
}

const DEFAULT_MISSION_LIMITS: MissionLimits = { maxDepth: 2, maxBreadth: 50 }

const noop = () => {}

class MissionCount {
  running = 0
  queued = 0
  constructor(readonly id: string) {}
}

/** FIFO of one mission's requests at one priority on one key: an intrusive doubly linked list. */
class SlotQueue {
  head: Slot | undefined
  tail: Slot | undefined
  constructor(
    readonly level: PriorityLevel,
    readonly mission: MissionCount,
  ) {}
}

class PriorityLevel {
  readonly queues = new Map<MissionCount, SlotQueue>()
  constructor(readonly priority: number) {}
}

class KeyState {
  running = 0
  /** Queued requests, including parked ones. */
  queued = 0
  /** Queued requests that sit in a queue (not parked by the gate). */
  ready = 0
  /** Non-empty levels, highest priority first. */
  readonly levels: PriorityLevel[] = []
  constructor(
    readonly name: string,
    readonly limit: number,
  ) {}
}

class Slot implements SchedulerTicket, SchedulerLease {
  status: SchedulerTicketStatus = 'queued'
  /** Created on first read of `granted`: a request granted at once never needs a pending promise. */
  private promise: Promise<SchedulerLease> | undefined
  private resolvePromise: ((lease: SchedulerLease) => void) | undefined
  private rejectPromise: ((error: unknown) => void) | undefined
  private wasGranted = false
  private failure: unknown
  prev: Slot | undefined
  next: Slot | undefined
  queue: SlotQueue | undefined
  timeout: TimerHandle | undefined
  retryTimer: TimerHandle | undefined
  parked = false
  gateReason: string | undefined
  private gateView: DispatchGateRequest | undefined

  constructor(
    private readonly scheduler: SchedulerCore,
    readonly request: SchedulerRequest,
    readonly keyState: KeyState,
    readonly mission: MissionCount,
    readonly priority: number,
    /** Arrival order; FIFO within a priority. */
    readonly seq: number,
  ) {
  }

  get granted(): Promise<SchedulerLease> {
    if (this.promise === undefined) {
      if (this.wasGranted) this.promise = Promise.resolve(this)
      else if (this.status !== 'queued') {
        this.promise = Promise.reject(this.failure)
        this.promise.catch(noop)
      } else {
        this.promise = new Promise<SchedulerLease>((resolve, reject) => {
          this.resolvePromise = resolve
          this.rejectPromise = reject
        })
      }
    }
    return this.promise
  }

  resolveGrant(): void {
    this.wasGranted = true
    this.resolvePromise?.(this)
    this.resolvePromise = undefined
    this.rejectPromise = undefined
  }

  rejectGrant(error: unknown): void {
    this.failure = error
    if (this.rejectPromise !== undefined) {
      // Nobody has to await `granted` (a caller may cancel and walk away); timeouts and gate errors are logged instead.
      this.promise!.catch(noop)
      this.rejectPromise(error)
    }
    this.resolvePromise = undefined
    this.rejectPromise = undefined
  }

  get taskId(): string {
    return this.request.taskId
  }

  get key(): string {
    return this.keyState.name
  }

  gateRequest(): DispatchGateRequest {
    this.gateView ??= Object.freeze({ ...this.request, key: this.keyState.name })
    return this.gateView
  }

  cancel(reason = 'cancelled'): boolean {
    return this.scheduler.end(this, 'cancelled', reason)
  }

  release(): boolean {
    return this.scheduler.end(this, this.status === 'running' ? 'released' : 'cancelled', 'released before it was granted')
  }
}

function precedes(a: Slot, b: Slot): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.mission.running !== b.mission.running) return a.mission.running < b.mission.running
  return a.seq < b.seq
}

/** Config path that sets the limit of a key, for error messages. */
function configPathOfKey(key: string): string {
  const colon = key.indexOf(':')
  if (colon < 0) return 'concurrency.default'
  return `concurrency.${key.slice(0, colon)}s[${JSON.stringify(key.slice(colon + 1))}]`
}

function invalid(field: string, value: unknown, expected: string): OrchestratorError {
  return new OrchestratorError({
    code: 'invalid-argument',
    message: `Scheduler request ${field}: got ${JSON.stringify(value)}, expected ${expected}.`,
    details: { field, value },
  })
}

function validateRequest(request: SchedulerRequest): void {
  for (const field of ['taskId', 'missionId', 'parentSessionId', 'agent'] as const) {
    const value: unknown = request[field]
    if (typeof value !== 'string' || value.length === 0) throw invalid(field, value, 'a non-empty string')
  }
  if (!Number.isInteger(request.depth) || request.depth < 0) throw invalid('depth', request.depth, 'a whole number ≥ 0')
  if (request.priority !== undefined && !Number.isFinite(request.priority)) {
    throw invalid('priority', request.priority, 'a finite number')
  }
  if (request.acquireTimeoutMs !== undefined && (!Number.isInteger(request.acquireTimeoutMs) || request.acquireTimeoutMs < 0)) {
    throw invalid('acquireTimeoutMs', request.acquireTimeoutMs, 'a whole number of ms ≥ 0 (0 = wait forever)')
  }
}

/**
 * The scheduler's state machine. Invariant kept after every public call
 * (work conservation): no queued, unparked request has both a free slot on its
 * key and a free global slot. That is why `request` may grant at once when its
 * key has nothing waiting — nobody else could have taken that slot.
 */
class SchedulerCore implements Scheduler {
  private readonly clock: Clock
  private readonly logger: Logger
  private readonly gate: DispatchGate | undefined
  private readonly resolveKey: ConcurrencyKeyResolver
  private readonly globalLimit: number
  private readonly acquireTimeoutMs: number
  private readonly missionLimits: MissionLimits
  private readonly keyStates = new Map<string, KeyState>()
  /** Keys with at least one unparked queued request. */
  private readonly readyKeys = new Set<KeyState>()
  private readonly missions = new Map<string, MissionCount>()
  private readonly breadth = new Map<string, number>()
  private readonly live = new Map<string, Slot>()
  private running = 0
  private queued = 0
  private seq = 0
  private pumping = false
  private pumpAgain = false
  private disposed = false

  constructor(options: SchedulerOptions) {
    const limits = { ...DEFAULT_LIMITS, ...options.limits }
    assertSlotCount(limits.global, 'concurrency.global')
    assertSlotCount(limits.acquireTimeoutMs, 'concurrency.acquireTimeoutMs')
    this.resolveKey = createConcurrencyKeyResolver(limits)
    this.globalLimit = limits.global
    this.acquireTimeoutMs = limits.acquireTimeoutMs
    this.missionLimits = { ...DEFAULT_MISSION_LIMITS, ...options.missionLimits }
    for (const field of ['maxDepth', 'maxBreadth'] as const) {
      const value = this.missionLimits[field]
      if (!Number.isInteger(value) || value < 1) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: `budgets.${field}: got ${JSON.stringify(value)}, expected a whole number ≥ 1.`,
          details: { field: `budgets.${field}`, value },
        })
      }
    }
    this.clock = options.clock
    this.logger = options.logger
    this.gate = options.gate
  }

  keyFor(input: ConcurrencyKeyInput): ConcurrencyKey {
    return this.resolveKey(input)
  }

  get(taskId: string): SchedulerTicket | undefined {
    return this.live.get(taskId)
  }

  request(request: SchedulerRequest): SchedulerTicket {
    if (this.disposed) {
      throw new OrchestratorError({
        code: 'disposed',
        message: `Cannot schedule task ${request.taskId}: the scheduler was disposed.`,
        details: { taskId: request.taskId },
      })
    }
    validateRequest(request)
    if (this.live.has(request.taskId)) {
      throw invalid('taskId', request.taskId, 'an id that is not already queued or running')
    }
    this.checkMissionLimits(request)

    const resolved = this.resolveKey(request)
    let keyState = this.keyStates.get(resolved.key)
    if (keyState === undefined) {
      keyState = new KeyState(resolved.key, resolved.limit)
      this.keyStates.set(resolved.key, keyState)
    }
    let mission = this.missions.get(request.missionId)
    if (mission === undefined) {
      mission = new MissionCount(request.missionId)
      this.missions.set(request.missionId, mission)
    }
    const slot = new Slot(this, request, keyState, mission, request.priority ?? 0, ++this.seq)
    this.live.set(request.taskId, slot)
    this.breadth.set(request.parentSessionId, (this.breadth.get(request.parentSessionId) ?? 0) + 1)
    keyState.queued++
    mission.queued++
    this.queued++

    if (!this.pumping && keyState.ready === 0 && this.hasRoom(keyState)) {
      // Fast path: nothing is waiting for this key, so this request is next in line.
      this.admit(slot)
    } else {
      this.link(slot, false)
      this.pump()
    }
    if (slot.status === 'queued') {
      const timeoutMs = request.acquireTimeoutMs ?? this.acquireTimeoutMs
      if (timeoutMs > 0) slot.timeout = this.clock.setTimeout(() => this.expire(slot, timeoutMs), timeoutMs)
    }
    return slot
  }

  cancelMission(missionId: string, reason: string): number {
    const queued: Slot[] = []
    const running: Slot[] = []
    for (const slot of this.live.values()) {
      if (slot.request.missionId !== missionId) continue
      if (slot.status === 'queued') queued.push(slot)
      else running.push(slot)
    }
    // Queued first: freeing running slots first would grant them to this mission's own queue.
    let count = 0
    for (const slot of queued) if (this.end(slot, 'cancelled', reason)) count++
    for (const slot of running) if (this.end(slot, 'cancelled', reason)) count++
    return count
  }

  stats(): SchedulerStats {
    const keys: Record<string, SchedulerKeyStats> = {}
    for (const state of this.keyStates.values()) {
      if (state.running + state.queued > 0) keys[state.name] = { running: state.running, queued: state.queued, limit: state.limit }
    }
    const missions: Record<string, { running: number; queued: number }> = {}
    for (const mission of this.missions.values()) missions[mission.id] = { running: mission.running, queued: mission.queued }
    return { running: this.running, queued: this.queued, limit: this.globalLimit, keys, missions }
  }

  dispose(reason = 'the scheduler was disposed'): void {
    if (this.disposed) return
    this.disposed = true
    for (const slot of [...this.live.values()]) {
      if (slot.status === 'queued') this.end(slot, 'cancelled', reason)
    }
  }

  /** Ends a ticket exactly once; frees its slot when it was running. */
  end(slot: Slot, status: 'released' | 'cancelled' | 'timed-out' | 'failed', reason: string, error?: unknown): boolean {
    const keyState = slot.keyState
    const mission = slot.mission
    let freed = false
    if (slot.status === 'queued') {
      if (slot.queue !== undefined) this.unlink(slot)
      if (slot.parked) {
        slot.parked = false
        this.clock.clearTimeout(slot.retryTimer)
        slot.retryTimer = undefined
      }
      if (slot.timeout !== undefined) {
        this.clock.clearTimeout(slot.timeout)
        slot.timeout = undefined
      }
      keyState.queued--
      mission.queued--
      this.queued--
      slot.status = status
      slot.rejectGrant(
        error ??
          new OrchestratorError({
            code: 'task-cancelled',
            message: `Task ${slot.taskId} was cancelled while waiting for a slot: ${reason}`,
            details: { taskId: slot.taskId, reason },
          }),
      )
    } else if (slot.status === 'running') {
      keyState.running--
      mission.running--
      this.running--
      slot.status = status
      freed = true
    } else {
      return false
    }
    this.live.delete(slot.taskId)
    const parent = slot.request.parentSessionId
    const breadth = (this.breadth.get(parent) ?? 1) - 1
    if (breadth === 0) this.breadth.delete(parent)
    else this.breadth.set(parent, breadth)
    if (mission.running === 0 && mission.queued === 0) this.missions.delete(mission.id)
    if (freed) this.pump()
    return true
  }

  private checkMissionLimits(request: SchedulerRequest): void {
    const { maxDepth, maxBreadth } = this.missionLimits
    if (request.depth > maxDepth) {
      throw new OrchestratorError({
        code: 'limit-exceeded',
        message:
          `Task ${request.taskId} would run at delegation depth ${request.depth}, but the depth limit is ${maxDepth}. ` +
          `Delegate from a shallower session, or raise budgets.maxDepth in the orchestrator config.`,
        details: { limit: 'depth', value: request.depth, max: maxDepth, taskId: request.taskId, missionId: request.missionId },
      })
    }
    const live = this.breadth.get(request.parentSessionId) ?? 0
    if (live >= maxBreadth) {
      throw new OrchestratorError({
        code: 'limit-exceeded',
        message:
          `Task ${request.taskId} would be live task ${live + 1} of session ${request.parentSessionId}, but the breadth limit is ${maxBreadth}. ` +
          `Wait for some of its tasks to finish, or raise budgets.maxBreadth in the orchestrator config.`,
        details: { limit: 'breadth', value: live + 1, max: maxBreadth, taskId: request.taskId, missionId: request.missionId },
      })
    }
  }

  private hasRoom(keyState: KeyState): boolean {
    return (this.globalLimit === 0 || this.running < this.globalLimit) && (keyState.limit === 0 || keyState.running < keyState.limit)
  }

  /** Asks the gate, then grants or parks an unlinked queued slot. */
  private admit(slot: Slot): void {
    if (this.gate !== undefined) {
      let decision: DispatchGateDecision
      try {
        decision = this.gate(slot.gateRequest())
        if (!decision.allowed && (!Number.isFinite(decision.retryInMs) || decision.retryInMs < 0)) {
          throw new OrchestratorError({
            code: 'invalid-argument',
            message: `Dispatch gate returned retryInMs ${JSON.stringify(decision.retryInMs)}; expected a number of ms ≥ 0.`,
            details: { field: 'retryInMs', value: decision.retryInMs },
          })
        }
      } catch (error) {
        this.logger.log('error', 'dispatch gate failed; the request fails', {
          taskId: slot.taskId,
          key: slot.key,
          error: errorMessage(error),
        })
        this.end(slot, 'failed', 'dispatch gate failed', error)
        return
      }
      // The gate is foreign code: it may have cancelled this very request.
      if (slot.status !== 'queued') return
      if (!decision.allowed) {
        slot.parked = true
        slot.gateReason = decision.reason
        slot.retryTimer = this.clock.setTimeout(() => this.unpark(slot), decision.retryInMs)
        this.logger.log('debug', 'dispatch gate refused a slot; retrying later', {
          taskId: slot.taskId,
          key: slot.key,
          retryInMs: decision.retryInMs,
          reason: decision.reason,
        })
        return
      }
    }
    const keyState = slot.keyState
    keyState.queued--
    keyState.running++
    slot.mission.queued--
    slot.mission.running++
    this.queued--
    this.running++
    slot.status = 'running'
    if (slot.timeout !== undefined) {
      this.clock.clearTimeout(slot.timeout)
      slot.timeout = undefined
    }
    slot.resolveGrant()
  }

  private unpark(slot: Slot): void {
    if (slot.status !== 'queued' || !slot.parked) return
    slot.parked = false
    slot.retryTimer = undefined
    this.link(slot, true)
    this.pump()
  }

  private expire(slot: Slot, timeoutMs: number): void {
    slot.timeout = undefined
    if (slot.status !== 'queued') return
    const keyState = slot.keyState
    const keyLimit = keyState.limit === 0 ? 'unlimited' : String(keyState.limit)
    const globalLimit = this.globalLimit === 0 ? 'unlimited' : String(this.globalLimit)
    const gate = slot.parked ? ` The dispatch gate was holding it back: ${slot.gateReason ?? 'no reason given'}.` : ''
    const error = new OrchestratorError({
      code: 'acquire-timeout',
      message:
        `Task ${slot.taskId} waited ${timeoutMs} ms for a slot and gave up. Key "${keyState.name}" has ${keyState.running} running ` +
        `(limit ${keyLimit}) and ${keyState.queued} queued; ${this.running} running globally (limit ${globalLimit}).${gate} ` +
        `Raise ${configPathOfKey(keyState.name)} or concurrency.global, or raise concurrency.acquireTimeoutMs.`,
      details: {
        taskId: slot.taskId,
        key: keyState.name,
        timeoutMs,
        keyRunning: keyState.running,
        keyLimit: keyState.limit,
        globalRunning: this.running,
        globalLimit: this.globalLimit,
      },
    })
    this.logger.log('warn', 'scheduler request timed out', { taskId: slot.taskId, key: keyState.name, timeoutMs })
    this.end(slot, 'timed-out', 'acquire timeout', error)
  }

  /** Puts a slot in its queue: at the tail, or (after the gate let it go) back in arrival order. */
  private link(slot: Slot, inArrivalOrder: boolean): void {
    const keyState = slot.keyState
    const levels = keyState.levels
    let index = 0
    while (index < levels.length && levels[index]!.priority > slot.priority) index++
    let level = levels[index]
    if (level === undefined || level.priority !== slot.priority) {
      level = new PriorityLevel(slot.priority)
      levels.splice(index, 0, level)
    }
    let queue = level.queues.get(slot.mission)
    if (queue === undefined) {
      queue = new SlotQueue(level, slot.mission)
      level.queues.set(slot.mission, queue)
    }
    let after = queue.tail
    if (inArrivalOrder) while (after !== undefined && after.seq > slot.seq) after = after.prev
    slot.prev = after
    slot.next = after === undefined ? queue.head : after.next
    if (slot.prev === undefined) queue.head = slot
    else slot.prev.next = slot
    if (slot.next === undefined) queue.tail = slot
    else slot.next.prev = slot
    slot.queue = queue
    if (keyState.ready++ === 0) this.readyKeys.add(keyState)
  }

  private unlink(slot: Slot): void {
    const queue = slot.queue!
    if (slot.prev === undefined) queue.head = slot.next
    else slot.prev.next = slot.next
    if (slot.next === undefined) queue.tail = slot.prev
    else slot.next.prev = slot.prev
    slot.prev = undefined
    slot.next = undefined
    slot.queue = undefined
    if (queue.head === undefined) {
      const level = queue.level
      level.queues.delete(queue.mission)
      if (level.queues.size === 0) {
        const levels = slot.keyState.levels
        levels.splice(levels.indexOf(level), 1)
      }
    }
    const keyState = slot.keyState
    if (--keyState.ready === 0) this.readyKeys.delete(keyState)
  }

  /** Best waiting request of a key: top priority, then the mission with the fewest running slots, then arrival order. */
  private headOf(keyState: KeyState): Slot {
    let best: Slot | undefined
    for (const queue of keyState.levels[0]!.queues.values()) {
      const head = queue.head!
      if (best === undefined || precedes(head, best)) best = head
    }
    return best!
  }

  /** Grants free slots until no key with room has a waiting request. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true
      return
    }
    this.pumping = true
    try {
      do {
        this.pumpAgain = false
        while (this.readyKeys.size > 0 && (this.globalLimit === 0 || this.running < this.globalLimit)) {
          let best: Slot | undefined
          for (const keyState of this.readyKeys) {
            if (keyState.limit !== 0 && keyState.running >= keyState.limit) continue
            const candidate = this.headOf(keyState)
            if (best === undefined || precedes(candidate, best)) best = candidate
          }
          if (best === undefined) break
          this.unlink(best)
          this.admit(best)
        }
      } while (this.pumpAgain)
    } finally {
      this.pumping = false
    }
  }
}

/**
 * Creates a scheduler: keyed concurrency (model > provider > agent > default),
 * a global cap, priorities with FIFO inside a priority, fair share between
 * missions, depth and breadth limits, acquisition timeouts and an optional
 * dispatch gate.
 *
 * @example
 * const scheduler = createScheduler({ clock: systemClock, logger, limits: { agents: { worker: 10 } } })
 * const ticket = scheduler.request({ taskId, missionId, parentSessionId, agent: 'worker', depth: 1 })
 * const lease = await ticket.granted
 * try { await runTask() } finally { lease.release() }
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  return new SchedulerCore(options)
}
