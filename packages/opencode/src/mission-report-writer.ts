import { errorMessage } from '@opencode-orchestrator/core'
import type { Clock, EventBus, HostMessage, HostV1, Logger, MissionSnapshot, OrchestratorEvents, Storage, TimerHandle } from '@opencode-orchestrator/core'
import type { MissionEventLog } from './mission-event-log'

/** Options for {@link createMissionReportWriter}. */
export interface CreateMissionReportWriterOptions {
  bus: EventBus<OrchestratorEvents>
  /** Reads each session's messages. */
  host: Pick<HostV1, 'sessions'>
  storage: Storage
  clock: Clock
  logger: Logger
  /** The mission as the engine holds it; read when the mission ends, before anything can evict it. */
  getMission: (missionId: string) => MissionSnapshot | undefined
  /** Where the mission's events are; flushed before the report reads them. */
  eventLog: Pick<MissionEventLog, 'pathOf' | 'flush'>
  /** Folder inside the storage root; files go to `<directory>/<missionId>/`. Default `missions`. */
  directory?: string
  /**
   * How long to wait after the end before reading messages, so the turns a stop
   * aborted have been closed by the host. Default 1500 ms.
   */
  settleMs?: number
  /** Sessions whose messages are read at the same time. Default 4. */
  readConcurrency?: number
  /** Longest `dispose` waits for reports still being written. Default 10 000 ms. */
  disposeTimeoutMs?: number
}

/** Where a mission's report went. */
export interface MissionReportFiles {
  timeline: string
  report: string
}

export interface MissionReportWriter {
  /** Writes the report of a mission now. Never throws: failures are logged and resolve to `undefined`. */
  write(mission: MissionSnapshot): Promise<MissionReportFiles | undefined>
  /** Writes the reports still waiting for their settle time at once, and resolves when every report has been written (or has failed). */
  flush(): Promise<void>
  /** Stops listening, writes the reports still waiting for their settle time, and waits for them (bounded). */
  dispose(): Promise<void>
}

/**
 * Writes `missions/<id>/timeline.json` and `missions/<id>/report.html` when a
 * mission is sealed, stopped or fails. The work is fire-and-forget: the event
 * listener only schedules it, so the stop path never waits for disk or for the
 * host. Sessions whose messages cannot be read any more are drawn from their
 * tasks; the report says so.
 */
export function createMissionReportWriter({
  bus,
  host,
  storage,
  clock,
  logger,
  getMission,
  eventLog,
  directory = 'missions',
  settleMs = 1500,
  readConcurrency = 4,
  disposeTimeoutMs = 10_000,
}: CreateMissionReportWriterOptions): MissionReportWriter {
  const log = logger.child({ component: 'mission-report' })
  /** Missions waiting for their settle time, with the snapshot taken at the end. */
  const waiting = new Map<string, { handle: TimerHandle; mission: MissionSnapshot }>()
  const running = new Set<Promise<unknown>>()

  const readMessages = async (mission: MissionSnapshot): Promise<Record<string, HostMessage[]>> => {
    const sessionIds = [...new Set([mission.rootSessionId, ...mission.sessions.map((session) => session.sessionId)])]
    const messages: Record<string, HostMessage[]> = {}
    let next = 0
    const worker = async () => {
      while (next < sessionIds.length) {
        const sessionId = sessionIds[next++]!
        try {
          messages[sessionId] = await host.sessions.messages(sessionId)
        } catch (error) {
          // A deleted session or a server that is shutting down: the lane falls back to the task.
          log.log('warn', 'could not read the messages of a session for the mission report', { missionId: mission.id, sessionId, error: errorMessage(error) })
        }
      }
    }
    await Promise.all(Array.from({ length: Math.max(1, Math.min(readConcurrency, sessionIds.length)) }, worker))
    return messages
  }

  const write = async (mission: MissionSnapshot): Promise<MissionReportFiles | undefined> => {
    const files = { timeline: `${directory}/${mission.id}/timeline.json`, report: `${directory}/${mission.id}/report.html` }
    try {
      await eventLog.flush(mission.id)
      // Loaded when a mission ends, not when OpenCode starts: plain chat never renders a report (plugin load time).
      const [{ buildMissionTimeline, parseMissionEventLog, renderMissionReport }, eventText, messages] = await Promise.all([
        import('@opencode-orchestrator/report'),
        storage.read(eventLog.pathOf(mission.id)),
        readMessages(mission),
      ])
      const { entries, problems } = parseMissionEventLog(eventText ?? '')
      for (const problem of problems) {
        log.log('warn', 'skipped a malformed line of the mission event log', { missionId: mission.id, path: eventLog.pathOf(mission.id), line: problem.line, problem: problem.message })
      }
      const timeline = buildMissionTimeline({ mission, messages, events: entries, generatedAt: clock.now() })
      // timeline.json first: with it the report can always be rendered again, even if the HTML write fails.
      await storage.write(files.timeline, `${JSON.stringify(timeline)}\n`)
      await storage.write(files.report, renderMissionReport(timeline))
      log.log('info', 'mission report written', { missionId: mission.id, report: files.report, lanes: timeline.lanes.length })
      return files
    } catch (error) {
      log.log('error', 'could not write the mission report', { missionId: mission.id, error: errorMessage(error) })
      return undefined
    }
  }

  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work)
    void work.finally(() => running.delete(work))
    return work
  }

  const start = (missionId: string) => {
    const entry = waiting.get(missionId)
    if (!entry) return
    waiting.delete(missionId)
    clock.clearTimeout(entry.handle)
    void track(write(entry.mission))
  }

  const onEnd = ({ missionId }: { missionId: string }) => {
    // Snapshot now: the engine evicts ended missions once enough of them pile up.
    const mission = getMission(missionId)
    if (!mission) {
      log.log('warn', 'a mission ended that the engine no longer knows; no report is written', { missionId })
      return
    }
    const previous = waiting.get(missionId)
    if (previous) clock.clearTimeout(previous.handle)
    waiting.set(missionId, { mission, handle: clock.setTimeout(() => start(missionId), settleMs) })
  }

  // The worktrees finish just after the end: the report is written again with where the result landed.
  const unsubscribes = [bus.on('mission-seal', onEnd), bus.on('mission-stop', onEnd), bus.on('mission-fail', onEnd), bus.on('mission-workspaces-end', onEnd)]

  const flush = async () => {
    for (const missionId of [...waiting.keys()]) start(missionId)
    while (running.size > 0) await Promise.allSettled([...running])
  }

  return {
    write: (mission) => track(write(mission)),
    flush,
    async dispose() {
      for (const unsubscribe of unsubscribes) unsubscribe()
      let handle: TimerHandle | undefined
      const timeout = new Promise<'timeout'>((resolve) => {
        handle = clock.setTimeout(() => resolve('timeout'), disposeTimeoutMs)
      })
      const outcome = await Promise.race([flush().then(() => 'done' as const), timeout])
      clock.clearTimeout(handle)
      if (outcome === 'timeout') log.log('warn', 'mission reports were still being written when the plugin was disposed', { pending: running.size })
    },
  }
}
