import type { FleetMissionResult, FleetMissionSpec, FleetProgress } from './fleet-mission'

/** Where a fleet mission is in its life. `cancelled` is a failed job whose reason is a `fleet cancel`. */
export type FleetJobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'cancelled' | 'unknown'

/** One fleet job as `fleet status` shows it. */
export interface FleetJobView {
  /** The fleet mission id (also the job id and the branch suffix). */
  id: string
  state: FleetJobState
  spec: FleetMissionSpec
  submittedAt: number
  startedAt: number | undefined
  finishedAt: number | undefined
  /** Attempts started so far (a stalled hand-over starts another). */
  attempts: number
  /** The worker of the current or last attempt. */
  worker: string | undefined
  progress: FleetProgress | undefined
  result: FleetMissionResult | undefined
  /** Why it failed (the last attempt's error, or the mission's own reason). */
  failedReason: string | undefined
}

/** What a worker's mission handler gets for one job. */
export interface FleetJobContext {
  id: string
  spec: FleetMissionSpec
  /** 1 for the first attempt; 2+ after a failure or a stalled hand-over. */
  attempt: number
  /** Aborted on `fleet cancel`, on a lost lock (another worker may take the job) and on worker shutdown. */
  signal: AbortSignal
  /** Why `signal` aborted. */
  abortReason(): 'cancelled' | 'lock-lost' | 'shutdown' | 'ceiling' | undefined
  progress(progress: FleetProgress): Promise<void>
  log(line: string): Promise<void>
  /** Submit → this attempt's start, ms. */
  queuedMs: number
}

/**
 * The queue behind the fleet: a small port, so the CLI and the worker loop do
 * not know BullMQ. `createBullmqFleetQueue` is the adapter.
 */
export interface FleetQueue {
  /** Validated specs in, job ids out (in the same order). */
  submit(specs: readonly FleetMissionSpec[]): Promise<string[]>
  /** Every job the queue still holds, newest first. */
  list(options?: { limit?: number }): Promise<FleetJobView[]>
  get(id: string): Promise<FleetJobView | undefined>
  /**
   * Cancels a job: a waiting one never starts, a running one is stopped like
   * `/stop` by the worker that runs it. Resolves with what it found.
   */
  cancel(id: string): Promise<'cancelled-waiting' | 'stop-sent' | 'already-finished' | 'not-found'>
  logs(id: string): Promise<string[]>
  /** The stored mission report (HTML), when the worker uploaded one. */
  report(id: string): Promise<string | undefined>
  close(): Promise<void>
}

export interface FleetWorkerHandle {
  readonly id: string
  /** Resolves once the worker takes jobs. */
  ready: Promise<void>
  /**
   * Stops taking jobs; running missions are stopped (`shutdown`) and their jobs
   * go back to the queue. `force`: drop everything at once, as a crash would
   * (locks lapse and other workers take the jobs after the lock duration).
   */
  close(options?: { force?: boolean }): Promise<void>
}
