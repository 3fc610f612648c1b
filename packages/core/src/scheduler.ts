import { assertSlotCount, createConcurrencyKeyResolver } from './concurrency-key'
import type { ConcurrencyKey, ConcurrencyKeyInput, ConcurrencyKeyResolver } from './concurrency-key'
import { OrchestratorError, errorMessage } from './orchestrator-error'
import type { Clock, Logger } from './ports'
import { configPathOfKey, invalid, validateRequest } from './scheduler/request-validation'
import type {
  DispatchGate,
  DispatchGateDecision,
  MissionLimits,
  Scheduler,
  SchedulerKeyStats,
  SchedulerLimits,
  SchedulerOptions,
  SchedulerRequest,
  SchedulerStats,
  SchedulerTicket,
} from './scheduler/scheduler-types'
import { KeyState, MissionCount, Slot, headOf, linkSlot, precedes, unlinkSlot } from './scheduler/slot'

export type {
  DispatchGate,
  DispatchGateDecision,
  DispatchGateRequest,
  MissionLimits,
  Scheduler,
  SchedulerKeyStats,
  SchedulerLease,
  SchedulerLimits,
  SchedulerOptions,
  SchedulerRequest,
  SchedulerStats,
  SchedulerTicket,
  SchedulerTicketStatus,
} from './scheduler/scheduler-types'

const DEFAULT_LIMITS: SchedulerLimits = {
  global: 50,
  default: 0,
  agents: {},
  providers: {},
  models: {},
  acquireTimeoutMs: 1_800_000,
}

const DEFAULT_MISSION_LIMITS: MissionLimits = { maxDepth: 2, maxBreadth: 50 }

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
      linkSlot(slot, false, this.readyKeys)
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
      if (slot.queue !== undefined) unlinkSlot(slot, this.readyKeys)
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
    linkSlot(slot, true, this.readyKeys)
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
            const candidate = headOf(keyState)
            if (best === undefined || precedes(candidate, best)) best = candidate
          }
          if (best === undefined) break
          unlinkSlot(best, this.readyKeys)
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
