import type { ModelRef } from './host'

/** What the mission engine asks of a scheduler before it starts a child session. */
export interface DispatchRequest {
  taskId: string
  missionId: string
  agent: string
  model?: ModelRef
  priority: number
  depth: number
  parentSessionId: string
}

/** A granted slot. `release` is idempotent: the slot is freed exactly once. */
export interface DispatchLease {
  release(): void
}

export interface DispatchTicket {
  /** Resolves when the slot is granted; rejects on cancel or acquisition timeout. */
  granted: Promise<DispatchLease>
  /** Withdraws a queued request (its promise rejects) or releases a granted slot. */
  cancel(reason: string): void
}

/** The part of the scheduler the mission engine needs. */
export interface TaskDispatcher {
  request(request: DispatchRequest): DispatchTicket
}

/** A dispatcher without limits: every request is granted at once. */
export function createUnlimitedDispatcher(): TaskDispatcher {
  return {
    request() {
      let released = false
      const lease: DispatchLease = {
        release() {
          released = true
        },
      }
      return {
        granted: Promise.resolve(lease),
        cancel() {
          if (!released) lease.release()
        },
      }
    },
  }
}
