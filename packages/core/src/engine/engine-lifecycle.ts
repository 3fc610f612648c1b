/**
 * The engine's own start and end: `start` subscribes to the host's events and recovery's, then
 * adopts every journaled mission; `dispose` stops listening, clears every mission's timers,
 * withdraws queued dispatch requests and waits for the journal. Missions stay journaled.
 */
import { OrchestratorError, errorMessage } from '../orchestrator-error'
import type { Adoption } from './adoption'
import type { EngineContext, EngineOps } from './engine-context'
import type { MissionEngine, ResumeReport } from './engine-types'
import type { HostEvents } from './host-events'

export type EngineLifecycle = Pick<MissionEngine, 'start' | 'dispose'>

export function createEngineLifecycle(ctx: EngineContext, ops: Pick<EngineOps, 'evictEnded'> & Adoption & HostEvents): EngineLifecycle {
  const { host, bus, clock, journal, logger, state } = ctx
  const { evictEnded, adopt, onHostEvent, onRecoveryStart, onRecoveryEnd } = ops
  const unsubscribers: Array<() => void> = []

  return {
    async start(options = {}) {
      if (state.isStarted()) throw new OrchestratorError({ code: 'invalid-argument', message: 'The mission engine was already started.' })
      state.markStarted()
      unsubscribers.push(host.subscribe(onHostEvent))
      unsubscribers.push(bus.on('recovery-start', onRecoveryStart))
      unsubscribers.push(bus.on('recovery-end', onRecoveryEnd))
      const { records, problems } = await journal.loadAll()
      for (const record of records) state.noteJournaled(record)
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

    async dispose() {
      state.markDisposed()
      for (const unsubscribe of unsubscribers.splice(0)) unsubscribe()
      for (const runtime of state.missions()) {
        for (const handle of runtime.timers) clock.clearTimeout(handle)
        runtime.timers.clear()
        for (const ticket of runtime.tickets.values()) ticket.cancel('engine disposed')
      }
      await journal.flush()
    },
  }
}
