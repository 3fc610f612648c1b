import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import { OrchestratorError, errorMessage, isMissionFinal, type Clock, type HostMessage, type Logger, type MissionRecord } from '@opencode-orchestrator/core'
import { loadConfig, toHostMessage } from '@opencode-orchestrator/opencode'
import type { RunCommand } from './cli-arguments'
import { prepareDemoProject, type DemoProject } from './demo/demo-project'
import { EXIT_CODES, exitCodeForMission } from './exit-codes'
import { runEnvironment } from './launch-environment'
import { missionFiles, missionsDirectory } from './mission-files'
import { writeMissionReport } from './mission-report'
import { runMission, type MissionOutcome } from './mission-run'
import { chooseModel } from './model-selection'
import { projectDirectory } from './project-directory'
import { startOpencodeProcess, type OpencodeProcess } from './opencode-process'
import { selectOpencode } from './opencode-selection'
import { resolvePluginUrl } from './plugin-location'
import { createProgressTracker } from './progress-tracker'
import type { RunEvent, RunFiles } from './run-event'
import type { RunReporter } from './run-reporter'

export interface RunCommandOptions {
  command: RunCommand
  env: Record<string, string | undefined>
  cwd: string
  clock: Clock
  logger: Logger
  reporter: RunReporter
  /** Aborted on Ctrl-C. */
  interrupt: AbortSignal
  /** For the demo's temporary repository. */
  temporaryDirectory: string
  /** Where the demo keeps its pre-installed `@opencode-ai/plugin`. */
  seedCacheDirectory: string
  /** Module URL the binary and the plugin are resolved from (this package). */
  resolveFrom: string
  /** OpenCode start-up limit. Default 60 s. */
  startTimeoutMs?: number
}

export async function fetchMessages(client: OpencodeClient, record: MissionRecord, logger: Logger): Promise<Record<string, HostMessage[]>> {
  const messages: Record<string, HostMessage[]> = {}
  for (const session of record.sessions) {
    const answer = await client.session.messages({ sessionID: session.sessionId })
    if (answer.error !== undefined || answer.data === undefined) {
      logger.log('warn', 'could not read a session for the report', { sessionId: session.sessionId, error: JSON.stringify(answer.error) })
      continue
    }
    messages[session.sessionId] = answer.data.map((item) => toHostMessage(item.info, item.parts)).filter((message): message is HostMessage => message !== undefined)
  }
  return messages
}

/** Checks the server before the mission: the plugin loaded, and (outside the demo) a model is configured. */
async function checkServer(options: { client: OpencodeClient; server: OpencodeProcess; command: RunCommand; reporter: RunReporter }): Promise<void> {
  const { client, server, command, reporter } = options
  const tools = await client.tool.ids()
  if (tools.error !== undefined || tools.data === undefined) {
    throw new OrchestratorError({ code: 'host-failed', message: `OpenCode did not list its tools (${JSON.stringify(tools.error)}). Last server output:\n${server.logTail()}` })
  }
  if (!tools.data.includes('orchestrator_delegate')) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: `OpenCode started without the orchestrator plugin (a plugin that fails to load is skipped). Check .opencode/orchestrator.jsonc; last server output:\n${server.logTail()}`,
    })
  }
  if (command.demo) return
  const [config, providers] = await Promise.all([client.config.get(), client.config.providers()])
  if (config.error !== undefined || providers.error !== undefined || providers.data === undefined) {
    throw new OrchestratorError({ code: 'host-failed', message: `OpenCode did not return its config (${JSON.stringify(config.error ?? providers.error)}).` })
  }
  const choice = chooseModel({ requested: command.model, configured: config.data?.model, providers: providers.data.providers })
  reporter.note(`Model: ${choice.model ?? "OpenCode's default"} (${choice.from})`)
}

/**
 * `orchestrator run`: starts OpenCode with the plugin in the project (or the
 * demo's temporary repository), runs the mission through `/task`, reports it,
 * writes its report, and always shuts the server down. Returns the exit code.
 */
export async function runCommand(options: RunCommandOptions): Promise<number> {
  const { command, clock, logger, reporter, interrupt } = options
  const startedAt = clock.now()
  // The user's input first: a wrong --dir is reported before anything is resolved or started.
  const userDirectory = command.demo ? undefined : await projectDirectory(options.cwd, command.directory)
  const pluginUrl = resolvePluginUrl(options.resolveFrom)
  const binary = selectOpencode({ env: options.env, from: options.resolveFrom, logger })
  logger.log('debug', 'resolved', { binary: binary.path, version: binary.version, source: binary.source, pluginUrl })

  let demo: DemoProject | undefined
  let server: OpencodeProcess | undefined
  let outcome: MissionOutcome | undefined
  let end: Extract<RunEvent, { type: 'mission-end' }> | undefined
  try {
    let directory: string
    let env: Record<string, string>
    let missions: string
    if (command.demo) {
      reporter.note('Demo: a scripted model plays every agent (no API key); the files are real.')
      demo = await prepareDemoProject({
        env: options.env,
        temporaryDirectory: options.temporaryDirectory,
        pluginUrl,
        opencodeVersion: binary.version,
        seedCacheDirectory: options.seedCacheDirectory,
        logger,
      })
      directory = demo.directory
      env = demo.env
      missions = missionsDirectory(directory)
      reporter.note(`Demo project (a fresh git repository): ${directory}`)
    } else {
      directory = userDirectory ?? (await projectDirectory(options.cwd, command.directory))
      // The plugin reads the same files: an invalid config fails here, with the file and field named.
      const { config } = await loadConfig({ directory, env: options.env })
      missions = missionsDirectory(directory, config.missionDirectory)
      env = runEnvironment(options.env, { pluginUrl, ...(command.model !== undefined ? { model: command.model } : {}) })
    }

    const tracker = createProgressTracker({ startedAt, directory })
    reporter.note(`Starting OpenCode ${binary.version} (${binary.source === 'path' ? binary.path : 'bundled'})…`)
    server = await startOpencodeProcess({ binary: binary.path, directory, env, clock, logger, signal: interrupt, ...(options.startTimeoutMs !== undefined ? { startTimeoutMs: options.startTimeoutMs } : {}) })
    const client = createOpencodeClient({ baseUrl: server.url, directory })
    await checkServer({ client, server, command, reporter })

    const running = server
    outcome = await runMission({
      client,
      goal: command.goal,
      missions,
      clock,
      logger,
      tracker,
      reporter,
      interrupt,
      serverExited: running.exited,
      onMissionStart: ({ missionId, sessionId }) =>
        reporter.emit({ type: 'mission-start', missionId, sessionId, goal: command.goal, directory, server: { url: running.url, pid: running.pid }, demo: command.demo }),
    })

    const files: RunFiles | undefined =
      outcome.missionId === undefined
        ? undefined
        : { directory, journal: missionFiles(missions, outcome.missionId).journal, todo: missionFiles(missions, outcome.missionId).todo }
    if (files !== undefined && outcome.record !== undefined && isMissionFinal(outcome.record.state)) {
      try {
        const messages = await fetchMessages(client, outcome.record, logger)
        files.report = (await writeMissionReport({ missions, missionId: outcome.record.id, now: clock.now(), logger, messages })).path
      } catch (error) {
        // The mission's result stands without its picture; say why it is missing.
        logger.log('error', 'could not write the mission report', { error: errorMessage(error) })
        reporter.note(`No report: ${errorMessage(error)}`)
      }
    }
    const exitCode = outcome.interrupted ? EXIT_CODES.interrupted : outcome.state === 'starting' ? EXIT_CODES.failed : exitCodeForMission(outcome.state)
    const { todos, tokens } = tracker.snapshot(clock.now())
    end = {
      type: 'mission-end',
      missionId: outcome.missionId,
      state: outcome.state === 'starting' || (outcome.interrupted && !isMissionFinal(outcome.state)) ? 'interrupted' : outcome.state,
      reason: outcome.interrupted && outcome.state !== 'stopped' ? `interrupted (Ctrl-C); ${outcome.reason}` : outcome.reason,
      exitCode,
      elapsedMs: 0,
      todos,
      tokens,
      ...(files !== undefined ? { files } : {}),
    }
    return exitCode
  } catch (error) {
    if (OrchestratorError.hasCode(error, 'task-cancelled') && interrupt.aborted) {
      // Ctrl-C before the mission existed: nothing to stop but the server.
      end = {
        type: 'mission-end',
        missionId: undefined,
        state: 'interrupted',
        reason: 'interrupted (Ctrl-C) before the mission started',
        exitCode: EXIT_CODES.interrupted,
        elapsedMs: 0,
        todos: { verified: 0, total: 0, failed: 0 },
        tokens: 0,
      }
      return EXIT_CODES.interrupted
    }
    throw error
  } finally {
    // The server goes first, so the closing line is only printed once nothing is left running.
    await server?.stop().catch((error: unknown) => logger.log('error', 'could not stop OpenCode', { pid: server?.pid, error: errorMessage(error) }))
    await demo?.dispose().catch((error: unknown) => logger.log('error', 'could not clean up the demo', { error: errorMessage(error) }))
    if (end !== undefined) reporter.emit({ ...end, elapsedMs: clock.now() - startedAt })
    reporter.close()
  }
}
