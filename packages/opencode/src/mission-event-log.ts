import { errorMessage } from '@opencode-orchestrator/core'
import type { Clock, EventBus, Logger, OrchestratorEvents, Storage } from '@opencode-orchestrator/core'
import type { MissionEventLogEntry, toMissionEventLogEntry } from '@opencode-orchestrator/report'

/** Options for {@link createMissionEventLog}. */
export interface CreateMissionEventLogOptions {
  bus: EventBus<OrchestratorEvents>
  storage: Storage
  /** Stamps each line with the time it was seen. */
  clock: Pick<Clock, 'now'>
  logger: Logger
  /** Mission of a session, for recovery events that carry no mission id. */
  missionOfSession: (sessionId: string) => string | undefined
  /** Folder inside the storage root; each mission gets `<directory>/<missionId>/events.jsonl`. Default `missions`. */
  directory?: string
}

export interface MissionEventLog {
  /** Storage path of a mission's event log. */
  pathOf(missionId: string): string
  /** Resolves once every line seen so far (for one mission, or for all) has been appended or has failed. */
  flush(missionId?: string): Promise<void>
  /** Stops listening and waits for pending appends. */
  dispose(): Promise<void>
}

/**
 * Appends the events a mission report needs to `missions/<id>/events.jsonl`,
 * one JSON object per line. Lines that arrive while an append is in flight are
 * written together with the next append, in order, so a burst of events costs
 * one write. A failed append is logged with the number of lines lost.
 */
export function createMissionEventLog({ bus, storage, clock, logger, missionOfSession, directory = 'missions' }: CreateMissionEventLogOptions): MissionEventLog {
  const log = logger.child({ component: 'mission-event-log' })
  const pathOf = (missionId: string) => `${directory}/${missionId}/events.jsonl`
  /** Lines not yet handed to storage, per mission. */
  const pending = new Map<string, string[]>()
  /** The running drain per mission; absent when the mission's log is idle. */
  const drains = new Map<string, Promise<void>>()

  const drain = async (missionId: string): Promise<void> => {
    for (let lines = pending.get(missionId); lines !== undefined && lines.length > 0; lines = pending.get(missionId)) {
      pending.delete(missionId)
      try {
        await storage.append(pathOf(missionId), lines.join(''))
      } catch (error) {
        log.log('error', 'could not append to the mission event log; the report will miss these events', {
          missionId,
          path: pathOf(missionId),
          lines: lines.length,
          error: errorMessage(error),
        })
      }
    }
  }

  const record = (entry: MissionEventLogEntry | undefined) => {
    if (!entry) return
    const missionId = entry.missionId ?? ('sessionId' in entry && entry.sessionId !== undefined ? missionOfSession(entry.sessionId) : undefined)
    // A recovery in a session outside every mission (plain chat) belongs to no log.
    if (missionId === undefined) return
    const lines = pending.get(missionId) ?? []
    lines.push(`${JSON.stringify(entry)}\n`)
    pending.set(missionId, lines)
    if (drains.has(missionId)) return
    const running = drain(missionId).finally(() => drains.delete(missionId))
    drains.set(missionId, running)
  }

  // The report package (entry shapes, rendering) is loaded on the first event, not at OpenCode's start:
  // plain chat emits none, so it never pays for it (plugin load time). Events seen while it loads are
  // converted in order once it is there, with the time they were seen.
  type ToEntry = typeof toMissionEventLogEntry
  let toEntry: ToEntry | undefined
  let loading: Promise<void> | undefined
  const early: Array<(convert: ToEntry) => MissionEventLogEntry | undefined> = []
  const unsubscribe = bus.onAny((name, payload) => {
    const at = clock.now()
    if (toEntry) return record(toEntry(name, payload, at))
    early.push((convert) => convert(name, payload, at))
    loading ??= import('@opencode-orchestrator/report').then(
      (report) => {
        toEntry = report.toMissionEventLogEntry
        for (const convert of early.splice(0)) record(convert(report.toMissionEventLogEntry))
      },
      (error: unknown) => {
        log.log('error', 'could not load the report code; the mission event log misses these events', { events: early.length, error: errorMessage(error) })
        early.length = 0
        loading = undefined
      },
    )
  })

  const flush = async (missionId?: string) => {
    await loading
    if (missionId !== undefined) {
      while (drains.has(missionId)) await drains.get(missionId)
      return
    }
    while (drains.size > 0) await Promise.all([...drains.values()])
  }

  return {
    pathOf,
    flush,
    async dispose() {
      unsubscribe()
      await flush()
    },
  }
}
