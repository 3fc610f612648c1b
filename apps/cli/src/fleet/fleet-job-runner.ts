import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import { errorMessage, isMissionFinal, type Clock, type Logger } from '@opencode-orchestrator/core'
import { missionBranch, parseFleetMissionSpec, type FleetJobContext, type FleetMissionOutcome } from '@opencode-orchestrator/fleet'
import { loadConfig, parseJsonc } from '@opencode-orchestrator/opencode'
import { missionFiles, missionsDirectory } from '../mission-files'
import { writeMissionReport } from '../mission-report'
import { runMission } from '../mission-run'
import { createProgressTracker } from '../progress-tracker'
import { fetchMessages } from '../run-command'
import { cloneAtRef, commitAndPush } from './fleet-git'
import { createFleetJobReporter } from './fleet-job-reporter'

export interface FleetJobRunnerOptions {
  /** The worker's OpenCode server (one per worker process, shared by its jobs: one instance per job directory). */
  serverUrl: string
  /** Resolves if that server dies: every running mission fails (and is retried elsewhere). */
  serverExited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Parent of the per-job work directories. */
  workdir: string
  workerId: string
  /** The worker's environment: the plugin's user-level config is found through it (HOME, XDG_CONFIG_HOME). */
  env: Record<string, string | undefined>
  clock: Clock
  logger: Logger
  /** Per-job limits of `runMission` (tests shorten them). */
  stopWaitMs?: number
}

/**
 * Runs one fleet job with the same headless runner as `orchestrator run`:
 * clone at the ref into a fresh directory, `/task` on the worker's OpenCode
 * server, follow the mission (its events become the job's progress), write the
 * report, commit everything (mission journal, todos and report included) and
 * push it as `orchestrator/<mission-id>`, then remove the directory.
 */
async function sweepLater(root: string, logger: Logger, clock: Clock): Promise<void> {
  for (let sweep = 0; sweep < 3; sweep++) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 1_000))
    const back = await readdir(root, { recursive: true }).catch(() => undefined)
    if (back === undefined) return
    logger.log('warn', 'a removed job directory came back (late writes of its OpenCode instance); removing it again', { root, entries: back.slice(0, 5) })
    await rm(root, { recursive: true, force: true }).catch((error: unknown) => logger.log('error', 'could not remove the job directory', { root, error: errorMessage(error) }))
  }
}

export function createFleetJobRunner(options: FleetJobRunnerOptions): (context: FleetJobContext) => Promise<FleetMissionOutcome> {
  const { clock, workerId } = options
  return async (context) => {
    const startedAt = clock.now()
    const logger = options.logger.child({ job: context.id, attempt: context.attempt })
    // Validated at submit; checked again because a job is input from whoever can write to Redis.
    const spec = parseFleetMissionSpec(context.spec, `job ${context.id}`)
    await mkdir(options.workdir, { recursive: true })
    const root = await mkdtemp(join(options.workdir, `${context.id}-a${context.attempt}-`))
    const directory = join(root, 'repo')
    const branch = missionBranch(context.id)
    const client = createOpencodeClient({ baseUrl: options.serverUrl, directory })
    let instanceStarted = false
    try {
      await context.log(`cloning ${spec.repo} at ${spec.ref} into ${directory}`)
      const head = await cloneAtRef({ repo: spec.repo, ref: spec.ref, directory, parent: root, signal: context.signal })
      await context.log(`checked out ${head}`)
      // The job's settings, as the plugin reads them; kept out of the pushed branch. Workers share the job's own clone
      // (isolation "none", docs/decisions/084): the clone already isolates the job, and its branch is what gets pushed.
      // The repository's own settings are kept (a file it commits), with these two on top.
      const settingsFile = join(directory, '.opencode', 'orchestrator.jsonc')
      const committed: unknown = await readFile(settingsFile, 'utf8')
        .then((text) => parseJsonc(text, settingsFile))
        .catch(() => ({}))
      const base = typeof committed === 'object' && committed !== null && !Array.isArray(committed) ? committed : {}
      await mkdir(join(directory, '.opencode'), { recursive: true })
      await writeFile(settingsFile, `${JSON.stringify({ ...base, isolation: 'none', ...(spec.budget === undefined ? {} : { budgets: spec.budget }) }, null, 2)}\n`)
      await writeFile(join(directory, '.git', 'info', 'exclude'), '.opencode/orchestrator.jsonc\n', { flag: 'a' })
      const { config } = await loadConfig({ directory, env: options.env })
      const missions = missionsDirectory(directory, config.missionDirectory)
      const tracker = createProgressTracker({ startedAt, directory })
      const reporter = createFleetJobReporter({ context, workerId, now: () => clock.now(), logger })
      instanceStarted = true
      const outcome = await runMission({
        client,
        goal: spec.goal,
        missions,
        clock,
        logger,
        tracker,
        reporter,
        interrupt: context.signal,
        serverExited: options.serverExited,
        ...(options.stopWaitMs !== undefined ? { stopWaitMs: options.stopWaitMs } : {}),
        onMissionStart: ({ missionId, sessionId }) =>
          reporter.emit({ type: 'mission-start', missionId, sessionId, goal: spec.goal, directory, server: { url: options.serverUrl, pid: undefined }, demo: false }),
      })
      let reportPath: string | undefined
      let reportHtml: string | undefined
      if (outcome.missionId !== undefined && outcome.record !== undefined && isMissionFinal(outcome.record.state)) {
        try {
          const messages = await fetchMessages(client, outcome.record, logger)
          const written = await writeMissionReport({ missions, missionId: outcome.record.id, now: clock.now(), logger, messages })
          reportPath = relative(directory, written.path)
          reportHtml = await readFile(written.path, 'utf8')
        } catch (error) {
          logger.log('error', 'could not write the mission report', { error: errorMessage(error) })
          await context.log(`no report: ${errorMessage(error)}`)
        }
      }
      const snapshot = tracker.snapshot(clock.now())
      reporter.close()
      await reporter.flush()
      const state = outcome.state === 'starting' ? 'interrupted' : outcome.state
      let pushed: string | undefined
      // A mission that lost its lock is being taken over: pushing now could overwrite the new attempt's result.
      if (context.abortReason() !== 'lock-lost' && context.abortReason() !== 'shutdown') {
        await commitAndPush({ directory, branch, forceAdd: [relative(directory, resolve(directory, config.missionDirectory))], message: `orchestrator: ${spec.goal.split('\n')[0]?.slice(0, 72) ?? ''}\n\nFleet mission ${context.id}: ${state} (${outcome.reason}).\nJournal: ${outcome.missionId === undefined ? 'none' : relative(directory, missionFiles(missions, outcome.missionId).journal)}` })
        pushed = branch
        await context.log(`pushed ${branch}`)
      }
      return {
        result: {
          missionId: context.id,
          runMissionId: outcome.missionId,
          state,
          reason: outcome.reason,
          todos: snapshot.todos,
          tokens: Math.max(snapshot.tokens, outcome.record?.counters.tokens ?? 0),
          costUsd: outcome.record?.counters.costUsd ?? 0,
          branch: pushed,
          reportPath,
          worker: workerId,
          elapsedMs: clock.now() - startedAt,
        },
        ...(reportHtml !== undefined ? { reportHtml } : {}),
      }
    } finally {
      if (instanceStarted) {
        // The server stays for the next job; this job's instance (plugin, watchers) goes with its directory.
        await client.instance.dispose({ directory }).catch((error: unknown) => logger.log('warn', 'could not dispose the job instance', { error: errorMessage(error) }))
      }
      await rm(root, { recursive: true, force: true }).catch((error: unknown) => logger.log('error', 'could not remove the job directory', { root, error: errorMessage(error) }))
      // OpenCode may still flush a write of the disposed instance (a journal, the plugin's report) and bring a folder back: sweep again.
      void sweepLater(root, logger, clock)
    }
  }
}
