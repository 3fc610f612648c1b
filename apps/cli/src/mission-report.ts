import { randomUUID } from 'node:crypto'
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { OrchestratorError, errorMessage, type HostMessage, type Logger, type MissionRecord } from '@opencode-orchestrator/core'
import { buildMissionTimeline, parseMissionEventLog, parseMissionTimeline, renderMissionReport, type MissionTimeline } from '@opencode-orchestrator/report'
import { missionFiles } from './mission-files'
import { readMissionJournal } from './mission-journals'

export interface WriteMissionReportOptions {
  /** Folder of the project's mission journals. */
  missions: string
  missionId: string
  /** Epoch ms, shown in the report's footer. */
  now: number
  logger: Logger
  /**
   * Messages per session, when a server is still there to ask (the run just
   * ended). Without them the report is drawn from the journal and the event log.
   */
  messages?: Readonly<Record<string, readonly HostMessage[]>>
}

export interface WrittenReport {
  path: string
  /**
   * Where the report came from: re-rendered from `timeline.json`, built from the journal (and the
   * messages, when given; `timeline.json` is then written beside it), or `kept`: an existing report
   * with nothing richer to draw it from again (no `timeline.json`, no messages) is left as it is.
   */
  source: 'timeline.json' | 'journal' | 'kept'
  mission: MissionRecord
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Write to a temporary name, then rename: a reader never sees half a report. */
async function writeAtomically(path: string, content: string): Promise<void> {
  const temporary = `${path}.${randomUUID().slice(0, 8)}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true })
    await writeFile(temporary, content)
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw new OrchestratorError({ code: 'storage-failed', message: `Cannot write the report ${path}: ${errorMessage(error)}`, cause: error })
  }
}

/**
 * Writes `missions/<id>/report.html` and returns its path. The timeline comes
 * from `timeline.json` when the plugin wrote one at the end of the mission (it
 * had every session's messages); otherwise it is built from the journal, the
 * event log `events.jsonl` and whatever messages the caller could still fetch.
 * Unknown ids and unreadable journals throw errors that say how to fix them.
 */
export async function writeMissionReport(options: WriteMissionReportOptions): Promise<WrittenReport> {
  const { missions, missionId, logger } = options
  const mission = await readMissionJournal(missions, missionId)
  const files = missionFiles(missions, missionId)

  let timeline: MissionTimeline | undefined
  let source: WrittenReport['source'] = 'journal'
  const timelineText = options.messages === undefined ? await readOptional(files.timeline) : undefined
  if (timelineText !== undefined) {
    try {
      timeline = parseMissionTimeline(timelineText, files.timeline)
      source = 'timeline.json'
    } catch (error) {
      // A broken timeline is not fatal: the journal has everything but the turns.
      logger.log('warn', 'timeline.json unreadable; drawing the report from the journal', { file: files.timeline, error: errorMessage(error) })
    }
  }
  if (timeline === undefined && options.messages === undefined && (await readOptional(files.report)) !== undefined) {
    // The report there was drawn with the sessions' messages (model turns, tool calls); one from the
    // journal alone would replace every lane with "messages unavailable".
    logger.log('info', 'kept the existing report: without timeline.json or the messages it cannot be drawn again as richly', { file: files.report })
    return { path: files.report, source: 'kept', mission }
  }
  if (timeline === undefined) {
    const eventText = await readOptional(files.events)
    const events = eventText === undefined ? { entries: [], problems: [] } : parseMissionEventLog(eventText)
    for (const problem of events.problems.slice(0, 5)) logger.log('warn', 'event log line skipped', { file: files.events, line: problem.line, problem: problem.message })
    timeline = buildMissionTimeline({ mission, messages: options.messages ?? {}, events: events.entries, generatedAt: options.now })
    // timeline.json first, like the plugin: `orchestrator report` re-renders this one later, never a poorer one.
    await writeAtomically(files.timeline, `${JSON.stringify(timeline)}\n`)
  }
  await writeAtomically(files.report, renderMissionReport(timeline))
  return { path: files.report, source, mission }
}
