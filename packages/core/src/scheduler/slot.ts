/**
 * The scheduler's data structures: a request's {@link Slot} (its ticket and lease), the per-key
 * state, and the queues a key keeps its waiting slots in (priority levels, one FIFO per mission
 * inside a level, as intrusive doubly linked lists), with the order in which slots are served.
 */
import type { DispatchGateRequest, SchedulerLease, SchedulerRequest, SchedulerTicket, SchedulerTicketStatus } from './scheduler-types'
import type { TimerHandle } from '../ports'

/** What a slot asks of its scheduler: to end it (cancel, release). */
export interface SlotOwner {
  end(slot: Slot, status: 'released' | 'cancelled' | 'timed-out' | 'failed', reason: string, error?: unknown): boolean
}

export const noop = () => {}

export class MissionCount {
  running = 0
  queued = 0
  constructor(readonly id: string) {}
}

/** FIFO of one mission's requests at one priority on one key: an intrusive doubly linked list. */
export class SlotQueue {
  head: Slot | undefined
  tail: Slot | undefined
  constructor(
    readonly level: PriorityLevel,
    readonly mission: MissionCount,
  ) {}
}

export class PriorityLevel {
  readonly queues = new Map<MissionCount, SlotQueue>()
  constructor(readonly priority: number) {}
}

export class KeyState {
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

export class Slot implements SchedulerTicket, SchedulerLease {
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
    private readonly scheduler: SlotOwner,
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

export function precedes(a: Slot, b: Slot): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority
  if (a.mission.running !== b.mission.running) return a.mission.running < b.mission.running
  return a.seq < b.seq
}

/** Puts a slot in its queue: at the tail, or (after the gate let it go) back in arrival order. */
export function linkSlot(slot: Slot, inArrivalOrder: boolean, readyKeys: Set<KeyState>): void {
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
  if (keyState.ready++ === 0) readyKeys.add(keyState)
}

export function unlinkSlot(slot: Slot, readyKeys: Set<KeyState>): void {
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
  if (--keyState.ready === 0) readyKeys.delete(keyState)
}

/** Best waiting request of a key: top priority, then the mission with the fewest running slots, then arrival order. */
export function headOf(keyState: KeyState): Slot {
  let best: Slot | undefined
  for (const queue of keyState.levels[0]!.queues.values()) {
    const head = queue.head!
    if (best === undefined || precedes(head, best)) best = head
  }
  return best!
}
