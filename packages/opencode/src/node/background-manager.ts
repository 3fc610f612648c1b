import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'
import type { Clock, IdGenerator, Logger, ProcessExit, ProcessHandle, ProcessRunner } from '@opencode-orchestrator/core'

/** `running` until the process ends; `killed` when we (or a signal) ended it; `failed` when it never started. */
export type BackgroundJobStatus = 'running' | 'exited' | 'killed' | 'failed'

/** A background command, as the tools and `/status` show it. Snapshots: changing one changes nothing. */
export interface BackgroundJob {
  id: string
  missionId: string
  sessionId: string
  command: string
  cwd: string
  /** Process id of the command's shell, which leads the job's process group; 0 when it never started. */
  pid: number
  status: BackgroundJobStatus
  /** Exit code once the process exited by itself; `null` while running or when a signal ended it. */
  exitCode: number | null
  /** The signal that ended the process, if one did. */
  signal: string | null
  /** Why the job failed to start (status `failed`). */
  error?: string
  /** Epoch milliseconds. */
  startedAt: number
  /** Epoch milliseconds; absent while running. */
  endedAt?: number
}

/** Output of a job plus its state, so a caller can tell "no new output" from "finished". */
export interface BackgroundOutput {
  job: BackgroundJob
  text: string
  /** Pass as `sinceByte` to read only newer output. */
  nextByte: number
  /** True when output the read asked for was already dropped (the ring buffer keeps the newest bytes). */
  truncated: boolean
}

/** What to start. */
export interface BackgroundRunOptions {
  /** Mission the job belongs to; `killMission` and `runningCount` go by it. */
  missionId: string
  /** Session that asked for the command; the per-session limit counts here. */
  sessionId: string
  /** Shell command line. */
  command: string
  /** Absolute working directory. */
  cwd: string
}

/** Options for {@link createBackgroundManager}. */
export interface CreateBackgroundManagerOptions {
  /** Starts the processes (the Node runner, or a fake in tests). */
  runner: ProcessRunner
  /** Start and end times. */
  clock: Pick<Clock, 'now'>
  /** Job ids (`bg_…`). */
  ids: IdGenerator
  /** Receives starts, ends and callback failures. */
  logger: Logger
  /** Most jobs one session may have running at once (config `background.maxPerSession`). At least 1. */
  maxPerSession: number
  /** Output kept per job, in bytes (config `background.outputLimitBytes`). */
  outputLimitBytes: number
  /** Finished jobs kept listable; older ones are forgotten with their output. Default 100. */
  maxFinishedJobs?: number
  /**
   * Called once when a job has started (it has a pid), e.g. to write it into the ledger. `start` answers
   * only after a returned promise settled: a job the caller was told about is on record (a SIGKILLed
   * OpenCode's successor finds it). Errors are logged.
   */
  onJobStart?: (job: BackgroundJob) => void | Promise<void>
  /** Called once when a job ends (exited, killed or failed), e.g. to wake the mission. Errors are logged. */
  onJobEnd?: (job: BackgroundJob) => void
}

/** Filter for {@link BackgroundManager.list}. */
export interface BackgroundListFilter {
  /** Only jobs of this mission. */
  missionId?: string
  /** Only jobs started by this session. */
  sessionId?: string
}

/** The orchestrator's registry of background commands. */
export interface BackgroundManager {
  /**
   * Starts a command. Throws `limit-exceeded` when the session already runs
   * `maxPerSession` jobs, `disposed` after {@link disposeAll}, and the start
   * error when the process could not be started (the job is then listed as `failed`).
   */
  run(options: BackgroundRunOptions): Promise<BackgroundJob>
  /** Jobs (running and recently finished), oldest first. */
  list(filter?: BackgroundListFilter): BackgroundJob[]
  /** Output kept for a job. Throws `invalid-argument` for an unknown (or forgotten) job id. */
  output(jobId: string, options?: { tailBytes?: number; sinceByte?: number }): BackgroundOutput
  /** Kills a job's whole process group; resolves with the job once it ended. A finished job is returned as is. */
  kill(jobId: string): Promise<BackgroundJob>
  /** Kills every job of a mission (for `/stop`); resolves when all have ended, with the jobs it ended. */
  killMission(missionId: string): Promise<BackgroundJob[]>
  /** Kills every job started by a session; resolves when all have ended, with the jobs it ended. */
  killSession(sessionId: string): Promise<BackgroundJob[]>
  /** Jobs of a mission still running (the mission engine's `backgroundCount`). */
  runningCount(missionId: string): number
  /** Kills every running job and refuses new ones. */
  disposeAll(): Promise<void>
}

interface JobRecord {
  job: BackgroundJob
  handle: ProcessHandle
  killRequested: boolean
  /** Settles after the job's end has been recorded. */
  ended: Promise<void>
}

/** Creates a {@link BackgroundManager}. Host-agnostic: processes come from the `runner` port. */
export function createBackgroundManager(options: CreateBackgroundManagerOptions): BackgroundManager {
  const { runner, clock, ids, logger, maxPerSession, outputLimitBytes, maxFinishedJobs = 100, onJobStart, onJobEnd } = options
  const requirePositive = (field: string, value: number, allowZero = false) => {
    if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Background manager option ${field} ${String(value)} must be a whole number, ${allowZero ? '0' : '1'} or more.`,
        details: { field, value },
      })
    }
  }
  requirePositive('maxPerSession', maxPerSession)
  requirePositive('outputLimitBytes', outputLimitBytes)
  requirePositive('maxFinishedJobs', maxFinishedJobs, true)

  const log = logger.child({ component: 'background-manager' })
  const records = new Map<string, JobRecord>()
  /** Ids of finished jobs, oldest first, for the bound on how many are kept. */
  const finished: string[] = []
  let disposed = false

  const snapshot = (record: JobRecord): BackgroundJob => ({ ...record.job })

  const recordOf = (jobId: string): JobRecord => {
    const record = typeof jobId === 'string' ? records.get(jobId) : undefined
    if (record === undefined) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `No background job ${JSON.stringify(jobId)}: it never existed or finished long ago. List the jobs to see the ids.`,
        details: { field: 'jobId', value: jobId },
      })
    }
    return record
  }

  const finish = (record: JobRecord, update: Partial<BackgroundJob>) => {
    Object.assign(record.job, update, { endedAt: clock.now() })
    log.log(record.job.status === 'failed' ? 'warn' : 'debug', 'background job ended', {
      jobId: record.job.id,
      status: record.job.status,
      exitCode: record.job.exitCode,
      signal: record.job.signal,
    })
    finished.push(record.job.id)
    while (finished.length > maxFinishedJobs) {
      const forgotten = finished.shift()
      if (forgotten !== undefined) records.delete(forgotten)
    }
    if (onJobEnd !== undefined) {
      try {
        onJobEnd(snapshot(record))
      } catch (error) {
        log.log('error', 'onJobEnd callback threw', { jobId: record.job.id, error: errorMessage(error) })
      }
    }
  }

  const requireText = (field: string, value: unknown) => {
    if (typeof value !== 'string' || value.trim() === '') {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Background job ${field} ${JSON.stringify(value)} must be a non-empty string.`,
        details: { field, value },
      })
    }
  }

  const running = (predicate: (job: BackgroundJob) => boolean) =>
    [...records.values()].filter((record) => record.job.status === 'running' && predicate(record.job))

  const killRecord = async (record: JobRecord): Promise<BackgroundJob> => {
    if (record.job.status === 'running') record.killRequested = true
    try {
      await record.handle.kill()
    } catch (error) {
      // A job that failed to start rejects here with its start error, already recorded.
      if (record.job.status !== 'failed') log.log('warn', 'kill failed', { jobId: record.job.id, error: errorMessage(error) })
    }
    await record.ended
    return snapshot(record)
  }

  /**
   * Kills the running jobs that match, and also sweeps the process groups of
   * matching jobs that already exited: a command may have left a daemon behind
   * in its group, and `/stop` must end that too (the runner answers at once when
   * the group is gone).
   */
  const killWhere = async (predicate: (job: BackgroundJob) => boolean): Promise<BackgroundJob[]> => {
    const matching = [...records.values()].filter((record) => predicate(record.job))
    const targets = matching.filter((record) => record.job.status === 'running')
    const leftovers = matching.filter((record) => record.job.status === 'exited')
    const [ended] = await Promise.all([Promise.all(targets.map(killRecord)), Promise.all(leftovers.map(killRecord))])
    return ended
  }

  return {
    async run({ missionId, sessionId, command, cwd }) {
      if (disposed) {
        throw new OrchestratorError({ code: 'disposed', message: 'Background commands are shut down; no new command can start.' })
      }
      requireText('missionId', missionId)
      requireText('sessionId', sessionId)
      requireText('command', command)
      requireText('cwd', cwd)
      const active = running((job) => job.sessionId === sessionId).length
      if (active >= maxPerSession) {
        throw new OrchestratorError({
          code: 'limit-exceeded',
          message:
            `Session ${sessionId} already runs ${active} background commands, the limit (background.maxPerSession = ${maxPerSession}). ` +
            'Wait for one to finish or kill one, or raise background.maxPerSession in the orchestrator config.',
          details: { limit: 'background.maxPerSession', value: maxPerSession, sessionId, running: active },
        })
      }
      // No await before the job is registered: concurrent runs must see each other in the count above.
      const handle = runner.spawn({ command, cwd, outputLimitBytes })
      const job: BackgroundJob = {
        id: ids.next('bg'),
        missionId,
        sessionId,
        command,
        cwd,
        pid: handle.pid,
        status: 'running',
        exitCode: null,
        signal: null,
        startedAt: clock.now(),
      }
      const record: JobRecord = { job, handle, killRequested: false, ended: Promise.resolve() }
      let startError: unknown
      record.ended = handle.exited.then(
        (exit: ProcessExit) => {
          finish(record, {
            status: record.killRequested || exit.signal !== null ? 'killed' : 'exited',
            exitCode: exit.code,
            signal: exit.signal,
          })
        },
        (error: unknown) => {
          startError = error
          finish(record, { status: 'failed', error: errorMessage(error) })
        },
      )
      records.set(job.id, record)
      log.log('debug', 'background job started', { jobId: job.id, missionId, sessionId, pid: job.pid })
      // A pid below 1 means the runner could not start the process: report that now, not later.
      if (handle.pid < 1) {
        await record.ended
        if (startError !== undefined) throw startError
      } else if (onJobStart !== undefined) {
        try {
          await onJobStart(snapshot(record))
        } catch (error) {
          log.log('error', 'onJobStart callback threw', { jobId: job.id, error: errorMessage(error) })
        }
      }
      return snapshot(record)
    },

    list({ missionId, sessionId } = {}) {
      return [...records.values()]
        .filter((record) => (missionId === undefined || record.job.missionId === missionId) && (sessionId === undefined || record.job.sessionId === sessionId))
        .map(snapshot)
    },

    output(jobId, readOptions) {
      const record = recordOf(jobId)
      return { job: snapshot(record), ...record.handle.output(readOptions) }
    },

    async kill(jobId) {
      return killRecord(recordOf(jobId))
    },

    killMission(missionId) {
      return killWhere((job) => job.missionId === missionId)
    },

    killSession(sessionId) {
      return killWhere((job) => job.sessionId === sessionId)
    },

    runningCount(missionId) {
      return running((job) => job.missionId === missionId).length
    },

    async disposeAll() {
      disposed = true
      await killWhere(() => true)
    },
  }
}
