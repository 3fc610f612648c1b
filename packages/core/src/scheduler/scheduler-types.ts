/** The scheduler's public contract: limits, requests, tickets and leases, the dispatch gate, stats. */
import type { ConcurrencyKey, ConcurrencyKeyInput, ConcurrencyLimits } from '../concurrency-key'
import type { ModelRef } from '../host'
import type { Clock, Logger } from '../ports'

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
