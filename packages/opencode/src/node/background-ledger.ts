import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'
import type { Clock, Logger, Storage } from '@opencode-orchestrator/core'
import { isProcessGroupAlive, signalProcessGroup, type GroupSignal } from './process-group'
import { isSameProcessAlive, readProcessIdentity, type ProcessIdentity } from './process-identity'

/*
 * Background commands run in process groups of their own, so they outlive an
 * OpenCode that is killed (SIGKILL, OOM, a closed laptop lid): nothing in the
 * dying process gets to run `dispose`. The ledger writes down, per OpenCode
 * process, which groups it started; the next orchestrator to start in the
 * project kills the groups whose owner is gone. It never touches a process it
 * cannot prove it started: the group leader must still be the same process
 * (pid and start time), and the owner must be dead — a second OpenCode running
 * on the same project keeps its jobs.
 */

const LEDGER_VERSION = 1

/** One background command in the ledger. */
export interface LedgerJob {
  jobId: string
  missionId: string
  /** Pid of the command's shell, which leads its process group. */
  pgid: number
  /** Start time of the group leader (`/proc/<pid>/stat` field 22). */
  startTicks: string
  command: string
  /** Epoch ms. */
  startedAt: number
}

interface LedgerFile {
  version: typeof LEDGER_VERSION
  owner: ProcessIdentity
  jobs: LedgerJob[]
}

/** What happened to one job a dead OpenCode left behind. */
export interface ReapedJob extends LedgerJob {
  outcome: 'killed' | 'already-gone'
}

/** Ports of the ledger, so tests run it on fake processes. */
export interface BackgroundLedgerProcesses {
  readIdentity(pid: number): Promise<ProcessIdentity | undefined>
  isSameProcessAlive(identity: ProcessIdentity): Promise<boolean>
  signalGroup(pgid: number, signal: GroupSignal): boolean
  isGroupAlive(pgid: number): Promise<boolean>
}

export interface CreateBackgroundLedgerOptions {
  storage: Storage
  logger: Logger
  clock: Pick<Clock, 'setTimeout'>
  /** The OpenCode process this orchestrator runs in; `undefined` where it cannot be identified (no `/proc`): the ledger then stays off. */
  owner: ProcessIdentity | undefined
  /** Names this orchestrator among several in one OpenCode process (the plugin listed twice): each keeps its own file. */
  instance: string
  /** Folder inside the storage. Default `background`. */
  directory?: string
  /** Wait between SIGTERM and SIGKILL when reaping. Default 2000. */
  killGraceMs?: number
  /** Default: `/proc` and real signals. */
  processes?: BackgroundLedgerProcesses
}

export interface BackgroundLedger {
  /** Writes a started job down (its leader's start time is read now). Never throws: failures are logged. */
  record(job: { id: string; missionId: string; pid: number; command: string; startedAt: number }): Promise<void>
  /** Removes an ended job. Never throws. */
  forget(jobId: string): Promise<void>
  /** Kills the groups of every dead owner in the folder and removes their ledgers. */
  reapLeftovers(): Promise<ReapedJob[]>
}

const nodeProcesses: BackgroundLedgerProcesses = {
  readIdentity: readProcessIdentity,
  isSameProcessAlive,
  signalGroup: signalProcessGroup,
  isGroupAlive: isProcessGroupAlive,
}

function parseLedger(content: string, file: string): LedgerFile {
  const fail = (what: string) =>
    new OrchestratorError({ code: 'journal-corrupt', message: `Background ledger ${file} ${what}; it is kept as ${file}.corrupt and its processes are left alone.`, details: { file } })
  let raw: unknown
  try {
    raw = JSON.parse(content)
  } catch (error) {
    throw fail(`is not valid JSON (${errorMessage(error)})`)
  }
  const value = raw as Partial<LedgerFile> | null
  const validJob = (job: unknown): job is LedgerJob => {
    const item = job as Partial<LedgerJob> | null
    return (
      typeof item === 'object' && item !== null && typeof item.jobId === 'string' && typeof item.missionId === 'string' &&
      Number.isSafeInteger(item.pgid) && (item.pgid ?? 0) > 1 && typeof item.startTicks === 'string' && typeof item.command === 'string'
    )
  }
  if (
    typeof value !== 'object' || value === null || value.version !== LEDGER_VERSION || typeof value.owner !== 'object' || value.owner === null ||
    !Number.isSafeInteger(value.owner.pid) || typeof value.owner.startTicks !== 'string' || !Array.isArray(value.jobs) || !value.jobs.every(validJob)
  ) {
    throw fail(`does not have the expected shape (version ${LEDGER_VERSION}, owner, jobs)`)
  }
  return value as LedgerFile
}

/** Creates the ledger of this OpenCode process's background process groups. */
export function createBackgroundLedger(options: CreateBackgroundLedgerOptions): BackgroundLedger {
  const { storage, clock, owner, directory = 'background', killGraceMs = 2000, processes = nodeProcesses } = options
  const log = options.logger.child({ component: 'background-ledger' })
  const ownFile = owner === undefined ? undefined : `${directory}/${owner.pid}-${owner.startTicks}-${options.instance.replace(/[^A-Za-z0-9_-]/g, '_')}.json`
  const jobs = new Map<string, LedgerJob>()
  let writes: Promise<void> = Promise.resolve()

  /** Writes are chained: the file always ends as the last state. */
  const save = (): Promise<void> => {
    if (ownFile === undefined || owner === undefined) return Promise.resolve()
    const content = jobs.size === 0 ? undefined : `${JSON.stringify({ version: LEDGER_VERSION, owner, jobs: [...jobs.values()] } satisfies LedgerFile, null, 2)}\n`
    writes = writes
      .then(() => (content === undefined ? storage.remove(ownFile) : storage.write(ownFile, content)))
      .catch((error: unknown) => log.log('error', 'could not write the background ledger', { file: ownFile, error: errorMessage(error) }))
    return writes
  }

  const reapJob = async (job: LedgerJob): Promise<ReapedJob> => {
    if (!(await processes.isSameProcessAlive({ pid: job.pgid, startTicks: job.startTicks }))) return { ...job, outcome: 'already-gone' }
    processes.signalGroup(job.pgid, 'SIGTERM')
    await new Promise<void>((resolve) => clock.setTimeout(resolve, killGraceMs))
    if (await processes.isGroupAlive(job.pgid)) processes.signalGroup(job.pgid, 'SIGKILL')
    return { ...job, outcome: 'killed' }
  }

  return {
    async record(job) {
      if (ownFile === undefined) return
      const leader = await processes.readIdentity(job.pid)
      // Gone already (a command that ended at once): nothing can be left behind by it.
      if (leader === undefined) return
      jobs.set(job.id, { jobId: job.id, missionId: job.missionId, pgid: job.pid, startTicks: leader.startTicks, command: job.command, startedAt: job.startedAt })
      await save()
    },

    async forget(jobId) {
      if (!jobs.delete(jobId)) return
      await save()
    },

    async reapLeftovers() {
      if (ownFile === undefined) {
        log.log('warn', 'background commands left by a killed OpenCode cannot be found on this system (no /proc); they are not cleaned up')
        return []
      }
      const reaped: ReapedJob[] = []
      for (const name of await storage.list(directory)) {
        const file = `${directory}/${name}`
        if (!name.endsWith('.json') || file === ownFile) continue
        let ledger: LedgerFile
        try {
          const content = await storage.read(file)
          if (content === undefined) continue
          ledger = parseLedger(content, file)
        } catch (error) {
          log.log('error', errorMessage(error), { file })
          await storage.rename(file, `${file}.corrupt`).catch((renameError: unknown) => log.log('error', 'could not set the bad ledger aside', { file, error: errorMessage(renameError) }))
          continue
        }
        // A live owner (another OpenCode on this project) still manages its jobs.
        if (await processes.isSameProcessAlive(ledger.owner)) continue
        const results = await Promise.all(ledger.jobs.map(reapJob))
        for (const result of results) {
          if (result.outcome === 'killed') {
            log.log('warn', 'killed a background command left running by an OpenCode that was killed', { jobId: result.jobId, missionId: result.missionId, pgid: result.pgid, command: result.command })
          }
        }
        reaped.push(...results)
        await storage.remove(file)
      }
      return reaped
    },
  }
}
