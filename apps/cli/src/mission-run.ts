import type { Event as OpencodeEvent, OpencodeClient } from '@opencode-ai/sdk/v2'
import { OrchestratorError, errorMessage, isMissionFinal, type Clock, type Logger, type MissionRecord, type MissionState } from '@opencode-orchestrator/core'
import { watchDirectory } from './directory-watcher'
import { findMissionForSession, readMissionJournal } from './mission-journals'
import type { ProgressTracker } from './progress-tracker'
import type { RunReporter } from './run-reporter'

export interface RunMissionOptions {
  /** v2 client bound to the project directory. */
  client: OpencodeClient
  goal: string
  /** Folder of the project's mission journals. */
  missions: string
  clock: Clock
  logger: Logger
  tracker: ProgressTracker
  reporter: RunReporter
  /** Ctrl-C: the mission is stopped through `/stop`. */
  interrupt: AbortSignal
  /** Resolves if the server dies under the run. */
  serverExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Called once the mission's journal exists. */
  onMissionStart(info: { missionId: string; sessionId: string }): void
  /** After Ctrl-C, how long to wait for the journal to say stopped. Default 5 s. */
  stopWaitMs?: number
  /** How long `/task` may take to create the mission's journal. Default 30 s. */
  startWaitMs?: number
  /** How often the display is refreshed (elapsed time). Default 1 s. */
  tickMs?: number
  watch?: typeof watchDirectory
}

export interface MissionOutcome {
  missionId: string | undefined
  sessionId: string
  /** The journal's final state; a live state (or `starting`) only when interrupted before it ended. */
  state: MissionState | 'starting'
  reason: string
  interrupted: boolean
  record: MissionRecord | undefined
}

const TERMINAL_TOAST = /^Mission (sealed|stopped|failed)\b/

/** What `/stop` is told when the user presses Ctrl-C: the mission's end reason names it. */
export const CTRL_C_STOP_NOTE = 'Ctrl-C in orchestrator run'

/**
 * Runs one mission on a started server: creates the root session, sends
 * `/task`, follows the mission through the event stream and its journal, and
 * resolves when the journal reaches a final state (or after Ctrl-C, once `/stop`
 * has been sent and the journal said stopped or the wait ran out).
 */
export async function runMission(options: RunMissionOptions): Promise<MissionOutcome> {
  const { client, goal, clock, logger, tracker, reporter, interrupt } = options
  const stopWaitMs = options.stopWaitMs ?? 5_000
  const startWaitMs = options.startWaitMs ?? 30_000
  const tickMs = options.tickMs ?? 1_000
  const watch = options.watch ?? watchDirectory

  // Always a title: without one OpenCode spends a model call on generating it.
  const created = await client.session.create({ title: `orchestrator run: ${goal.length > 60 ? `${goal.slice(0, 59)}…` : goal}` })
  if (created.error !== undefined || created.data === undefined) {
    throw new OrchestratorError({ code: 'host-failed', message: `OpenCode could not create a session: ${JSON.stringify(created.error)}` })
  }
  const sessionId = created.data.id
  tracker.setRootSession(sessionId)
  logger.log('info', 'root session created', { sessionId })

  const streamAbort = new AbortController()
  const timers = new Set<ReturnType<Clock['setTimeout']>>()
  const later = (callback: () => void, ms: number) => {
    const handle = clock.setTimeout(() => {
      timers.delete(handle)
      callback()
    }, ms)
    timers.add(handle)
  }

  let settle: { resolve: (outcome: MissionOutcome) => void; reject: (error: unknown) => void } | undefined
  const done = new Promise<MissionOutcome>((resolve, reject) => {
    settle = { resolve, reject }
  })
  let finished = false
  let interrupted = false
  const finish = (result: { outcome: MissionOutcome } | { error: unknown }) => {
    if (finished) return
    finished = true
    if ('error' in result) settle?.reject(result.error)
    else settle?.resolve(result.outcome)
  }
  const outcomeOf = (record: MissionRecord | undefined, fallbackReason: string): MissionOutcome => ({
    missionId: record?.id,
    sessionId,
    state: record?.state ?? 'starting',
    reason: record?.end?.reason ?? tracker.endReason ?? fallbackReason,
    interrupted,
    record,
  })

  // --- journal: the mission's durable truth ---------------------------------
  let reading = false
  let readAgain = false
  let announced = false
  let failedReads = 0
  const refresh = (): void => {
    if (finished) return
    if (reading) {
      readAgain = true
      return
    }
    reading = true
    void (async () => {
      try {
        do {
          readAgain = false
          const known = tracker.missionId
          const record = known === undefined ? await findMissionForSession(options.missions, sessionId) : await readMissionJournal(options.missions, known)
          failedReads = 0
          if (record === undefined) continue
          if (!announced) {
            announced = true
            options.onMissionStart({ missionId: record.id, sessionId })
          }
          for (const event of tracker.applyJournal(record)) reporter.emit(event)
          reporter.progress(tracker.snapshot(clock.now()))
          if (isMissionFinal(record.state)) finish({ outcome: outcomeOf(record, record.state) })
        } while (readAgain && !finished)
      } catch (error) {
        // Journals are replaced atomically, so a failed read is rare; a persistent one is reported.
        failedReads++
        logger.log(failedReads > 3 ? 'warn' : 'debug', 'mission journal read failed', { error: errorMessage(error) })
        if (failedReads > 10) finish({ error })
      } finally {
        reading = false
      }
    })()
  }

  // --- events: live progress between journal writes ------------------------
  const connected = new Promise<void>((resolve, reject) => {
    void (async () => {
      try {
        const subscription = await client.event.subscribe(undefined, { signal: streamAbort.signal, sseMaxRetryAttempts: 5 })
        for await (const event of subscription.stream as AsyncIterable<OpencodeEvent>) {
          if (event.type === 'server.connected') resolve()
          for (const emitted of tracker.applyEvent(event)) reporter.emit(emitted)
          if (event.type === 'tui.toast.show' && TERMINAL_TOAST.test(event.properties.title ?? '')) refresh()
          if (event.type === 'session.status' || event.type === 'message.updated') reporter.progress(tracker.snapshot(clock.now()))
        }
      } catch (error) {
        if (!streamAbort.signal.aborted) {
          logger.log('warn', 'OpenCode event stream ended', { error: errorMessage(error) })
          reject(error)
        }
      }
    })()
  })
  // A stream that breaks after the race below is settled is handled by serverExited; never an unhandled rejection.
  connected.catch(() => undefined)
  let connectTimer: ReturnType<Clock['setTimeout']> | undefined
  await Promise.race([
    connected,
    new Promise<never>((_, reject) => {
      connectTimer = clock.setTimeout(() => reject(new OrchestratorError({ code: 'host-failed', message: 'OpenCode did not open its event stream within 15 s.' })), 15_000)
    }),
  ]).finally(() => {
    if (connectTimer !== undefined) clock.clearTimeout(connectTimer)
  })

  const watcher = watch({ directory: options.missions, onChange: refresh, clock, logger })
  const tick = () => {
    if (finished) return
    reporter.progress(tracker.snapshot(clock.now()))
    later(tick, tickMs)
  }
  later(tick, tickMs)

  void options.serverExited.then(({ code, signal }) =>
    finish({ error: new OrchestratorError({ code: 'host-failed', message: `OpenCode exited during the mission (${code === null ? `signal ${signal}` : `code ${code}`}).` }) }),
  )

  // --- the mission itself ----------------------------------------------------
  let commandError: string | undefined
  logger.log('info', 'sending /task', { sessionId })
  void client.session.command({ sessionID: sessionId, command: 'task', arguments: goal }).then(
    (result) => {
      if (result.error !== undefined) {
        commandError = JSON.stringify(result.error)
        logger.log('warn', '/task answered with an error', { error: commandError })
      }
      refresh()
    },
    (error: unknown) => {
      commandError = errorMessage(error)
      logger.log('warn', '/task request failed', { error: commandError })
      refresh()
    },
  )
  later(() => {
    if (tracker.missionId !== undefined || finished || interrupted) return
    finish({
      error: new OrchestratorError({
        code: 'host-failed',
        message: `/task started no mission within ${Math.round(startWaitMs / 1000)} s${commandError ? ` (the command answered: ${commandError})` : ''}. Is the orchestrator plugin loaded, and is there no command of your own named "task" (yours would win over the plugin's)?`,
      }),
    })
  }, startWaitMs)
  refresh()

  // --- Ctrl-C: the same path as /stop ---------------------------------------
  const onInterrupt = () => {
    if (finished || interrupted) return
    interrupted = true
    reporter.note('Stopping the mission (as /stop does): child sessions aborted, background commands killed…')
    logger.log('info', 'interrupted; sending /stop', { sessionId, missionId: tracker.missionId })
    later(() => finish({ outcome: outcomeOf(tracker.record, 'interrupted (Ctrl-C)') }), stopWaitMs)
    void client.session
      // The argument says who stopped it: the mission ends "stopped by the user: Ctrl-C in orchestrator run", not "(/stop)".
      .command({ sessionID: sessionId, command: 'stop', arguments: CTRL_C_STOP_NOTE })
      // The plugin handles /stop in code: the answer says what it did, no model call follows.
      .catch((error: unknown) => logger.log('warn', '/stop request failed', { error: errorMessage(error) }))
      .finally(() => {
        // Before the mission existed there is nothing to stop but the root's own turn.
        if (tracker.missionId === undefined) void client.session.abort({ sessionID: sessionId }).catch(() => undefined)
        refresh()
      })
  }
  if (interrupt.aborted) onInterrupt()
  else interrupt.addEventListener('abort', onInterrupt, { once: true })

  try {
    return await done
  } finally {
    interrupt.removeEventListener('abort', onInterrupt)
    watcher.close()
    for (const handle of timers) clock.clearTimeout(handle)
    timers.clear()
    streamAbort.abort()
  }
}
