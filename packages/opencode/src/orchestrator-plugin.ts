import { join, posix, resolve } from 'node:path'
import type { Hooks, Plugin, PluginInput } from '@opencode-ai/plugin'
import { DEFAULT_AGENTS, applyAgentOverrides, applyAgentsToOpencodeConfig, createMissionPrompts, isAgentName, SHELL_RIGHTS, shellWriteRefusal } from '@opencode-orchestrator/agents'
import {
  createEventBus,
  createMissionEngine,
  createMissionJournal,
  createRandomIds,
  createScheduler,
  createTaskStore,
  describeEnd,
  describeFatalTaskNote,
  describeWorkspacesEnd,
  errorMessage,
  isMissionFinal,
  missionEngineSettings,
  normalizeMissionGoal,
  OrchestratorError,
  systemClock,
  truncateText,
  type MissionSnapshot,
  type Clock,
  type IdGenerator,
  type Logger,
  type TaskDispatcher,
  type OrchestratorConfig,
  type OrchestratorEvents,
  type ProcessRunner,
} from '@opencode-orchestrator/core'
import { createNotifier } from '@opencode-orchestrator/notifications'
import { createCircuitBreaker, createRecoveryCoordinator, createRecoveryPolicy } from '@opencode-orchestrator/recovery'
import { decideContinuation } from '@opencode-orchestrator/todo-engine'
import { createAppLogger } from './app-logger'
import { CommandHandledSignal } from './command-handled'
import { createDispatchTrace } from './dispatch-trace'
import { createDocsCache } from './docs-cache'
import { writeMissionEndNotes } from './mission-end-note'
import { rejectionStop } from './rejection-stop'
import { ignoreMissionFolder } from './ignore-mission-folder'
import { loadConfig } from './load-config'
import { createLoopBreaker } from './loop-breaker'
import { createStepLimiter } from './step-limit'
import { compactionContext, statusText } from './mission-text'
import { createMissionEventLog } from './mission-event-log'
import { createMissionReportWriter } from './mission-report-writer'
import { missionFolderPermission } from './mission-folder-permission'
import { createMissionTodos } from './mission-todos'
import {
  acquireInstanceLock,
  createBackgroundLedger,
  createBackgroundManager,
  createFileStorage,
  createProcessRunner,
  createGitTaskWorkspaces,
  createNodeGitRunner,
  createShellConfinement,
  createShellPermissionAnalyzer,
  readProcessIdentity,
  type GitRunner,
  type NodeProcessRunner,
  type ProcessIdentity,
} from './node'
import { createOpencodeHost } from './opencode-host'
import { MISSION_KICKOFF_TEXT, parseCommand, slash } from './orchestrator-commands'
import { createDegradedHooks, registerCommands } from './degraded-plugin'
import { createOrchestratorTools } from './orchestrator-tools'
import { addSessionNote } from './session-note'
import { confinementRefusal } from './worktree-confinement'
import { createWorktreeOwners, isOrchestratorWorktree, type WorktreeOwner } from './worktree-owners'

/** Ports the plugin would otherwise take from the process; tests replace them. */
export interface OrchestratorPluginDependencies {
  clock?: Clock
  ids?: IdGenerator
  /** Runs background commands. Default: a Node runner with process groups. */
  processRunner?: ProcessRunner & { disposeAll?: () => Promise<void> }
  /** Environment used to find the user-level config. Default `process.env`. */
  env?: Record<string, string | undefined>
  /** The process background commands are recorded under (see the background ledger); `null` turns the ledger off. Default: this process. */
  processOwner?: ProcessIdentity | null
  /**
   * Wraps the plugin's scheduler before the engine uses it, e.g. with fleet-wide
   * leases on Redis (`orchestrator fleet worker`). The local scheduler still
   * decides first; the wrapper may add a wait of its own.
   */
  wrapDispatcher?: (local: TaskDispatcher, context: { directory: string; logger: Logger }) => TaskDispatcher
  /** Runs git for the Workers' worktrees. Default: `git` from PATH, without a shell. */
  git?: GitRunner
}

export { CommandHandledSignal } from './command-handled'

/**
 * Creates the OpenCode plugin. Each call to the returned function builds a
 * complete, independent orchestrator (one per project instance): nothing is
 * shared between two projects on one server or two copies of the plugin.
 */
export function createOrchestratorPlugin(dependencies: OrchestratorPluginDependencies = {}): Plugin {
  // The copies of this plugin function that OpenCode loads for a Worker's worktree find their orchestrator here (docs/decisions/088).
  const worktreeOwners = createWorktreeOwners()
  return async (input: PluginInput, pluginOptions?: Record<string, unknown>): Promise<Hooks> => {
    const clock = dependencies.clock ?? systemClock
    const ids = dependencies.ids ?? createRandomIds(clock)
    const instance = ids.next('plugin')
    const logger: Logger = createAppLogger({
      client: input.client,
      directory: input.directory,
      onSinkError: (error) => console.error('[opencode-orchestrator] could not write to the OpenCode log:', errorMessage(error)),
    }).child({ directory: input.directory, instance })
    logger.log('info', 'orchestrator plugin loading', { worktree: input.worktree })

    // A Worker's worktree: OpenCode booted an instance there and loaded this plugin again. It serves the orchestrator that
    // made the worktree (agents, tools, guards, events) and runs nothing of its own: no engine, no lock, no state files.
    const worktreeOwner = worktreeOwners.ownerOf(input.directory)
    if (worktreeOwner) {
      logger.log('info', 'serving a Worker worktree for its orchestrator', { owner: worktreeOwner.instance })
      return worktreeOwner.hooksFor(input.directory)
    }
    if (isOrchestratorWorktree(input.directory)) {
      logger.log('warn', 'an orchestrator worktree with no orchestrator in this process; this copy stays inactive (no tools, commands, agents or state files)', {})
      return {}
    }

    let config: OrchestratorConfig
    let definitions: ReturnType<typeof applyAgentOverrides>
    try {
      const loaded = await loadConfig({ directory: input.directory, pluginOptions, ...(dependencies.env ? { env: dependencies.env } : {}) })
      config = loaded.config
      try {
        definitions = applyAgentOverrides(DEFAULT_AGENTS, config.agents)
      } catch (error) {
        // Role guarantees are checked on the merged config: name the files that set `agents`, so the fix can be found.
        const from = loaded.layers.filter((layer) => typeof layer.value === 'object' && layer.value !== null && 'agents' in layer.value).map((layer) => layer.source)
        throw new OrchestratorError({ code: 'config-invalid', message: `${from.join(', ') || 'orchestrator config'}: ${errorMessage(error)}`, cause: error })
      }
    } catch (error) {
      // Throwing here would make OpenCode skip the plugin: its commands would vanish and `/task …` would go to the
      // model as plain chat, with the reason only in OpenCode's log. The degraded plugin keeps the commands and shows it.
      const message = errorMessage(error)
      logger.log('error', 'invalid orchestrator configuration; the orchestrator is not running (its commands show why)', { error: message })
      return createDegradedHooks({ client: input.client, directory: input.directory, logger, problem: message })
    }

    // Bounded by the project: a linked `.opencode` or `missions/` never moves state outside it.
    const storage = createFileStorage({ root: resolve(input.directory, config.missionDirectory), boundary: resolve(input.directory), logger })
    // Before anything is written there: the mission folder stays out of git and out of OpenCode's snapshots.
    await ignoreMissionFolder(storage).catch((error: unknown) =>
      logger.log('error', 'could not write the mission folder .gitignore; git will list the mission files', { error: errorMessage(error) }),
    )
    const processOwner = dependencies.processOwner === undefined ? await readProcessIdentity(process.pid) : (dependencies.processOwner ?? undefined)
    // One orchestrator per project, whatever loaded this copy (the CLI's plugin and an opencode.json entry, or a second server).
    const lock = await acquireInstanceLock({ path: resolve(input.directory, config.missionDirectory, 'instance.lock'), instance, process: processOwner, now: () => clock.now() })
    if (!lock.acquired) {
      logger.log('warn', 'another orchestrator already runs for this project; this copy stays inactive (no tools, commands or agents of its own)', {
        holder: lock.holder.instance,
        holderPid: lock.holder.process.pid,
      })
      return {}
    }
    const bus = createEventBus<OrchestratorEvents>({
      onListenerError: (error, eventName) => logger.log('error', 'event listener failed', { event: eventName, error: errorMessage(error) }),
    })
    const git = dependencies.git ?? createNodeGitRunner()
    // Where this repository's Worker worktrees live (`<git-common-dir>/orchestrator/worktrees`); none outside git.
    const worktreeTree = await git.run(['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: input.directory }).then(
      (result) => (result.code === 0 && result.stdout.trim() !== '' ? join(result.stdout.trim(), 'orchestrator', 'worktrees') : undefined),
      () => undefined,
    )
    /** Directories of Worker worktrees this orchestrator serves (claimed before OpenCode first boots an instance there). */
    const servedDirectories = new Set<string>()
    const host = createOpencodeHost({
      client: input.client,
      directory: input.directory,
      logger,
      directories: {
        claim: (directory) => {
          servedDirectories.add(directory)
          worktreeOwners.claim(directory, owner)
        },
        unclaim: (directory) => {
          servedDirectories.delete(directory)
          worktreeOwners.unclaim(directory, owner)
        },
      },
    })
    const breaker = createCircuitBreaker({
      clock,
      failureThreshold: config.recovery.circuitBreaker.failureThreshold,
      cooldownMs: config.recovery.circuitBreaker.cooldownMs,
      onTransition: (transition) => logger.log('warn', 'provider circuit changed', { ...transition }),
    })
    const scheduler = createScheduler({
      clock,
      logger,
      limits: config.concurrency,
      // The engine enforces depth and breadth per mission with the budget's name in its notice.
      missionLimits: { maxDepth: Number.MAX_SAFE_INTEGER, maxBreadth: Number.MAX_SAFE_INTEGER },
      gate: breaker.gate,
    })
    const taskStore = createTaskStore({
      clock,
      storage,
      logger,
      maxInMemory: config.taskStore.maxInMemory,
      ttlMs: config.taskStore.ttlMinutes * 60_000,
      archive: { directory: 'archive', maxFileBytes: config.taskStore.archiveMaxFileBytes, maxFiles: config.taskStore.archiveMaxFiles },
    })
    const runner: ProcessRunner & { disposeAll?: () => Promise<void> } = dependencies.processRunner ?? (createProcessRunner({ logger }) as NodeProcessRunner)
    // The background manager and the engine need each other; the engine is bound once created.
    const late: { engine?: ReturnType<typeof createMissionEngine> } = {}
    // Background groups outlive a killed OpenCode; the ledger lets the next start clean them up.
    const ledger = createBackgroundLedger({
      storage,
      logger,
      clock,
      instance,
      owner: processOwner,
    })
    const background = createBackgroundManager({
      runner,
      clock,
      ids,
      logger,
      maxPerSession: config.background.maxPerSession,
      outputLimitBytes: config.background.outputLimitBytes,
      onJobStart: (job) => ledger.record(job),
      onJobEnd: (job) => {
        void ledger.forget(job.id)
        late.engine?.recheck(job.missionId)
      },
    })
    void ledger.reapLeftovers().then(
      (reaped) => {
        const killed = reaped.filter((job) => job.outcome === 'killed')
        if (killed.length > 0) logger.log('info', 'cleaned up background commands a killed OpenCode left running', { jobs: killed.map((job) => job.jobId) })
      },
      (error: unknown) => logger.log('error', 'could not clean up background commands left by a killed OpenCode', { error: errorMessage(error) }),
    )
    // Opt-in timing of the dispatch hot path for the benchmarks (see dispatch-trace.ts).
    const traceFile = (dependencies.env ?? process.env)['OPENCODE_ORCHESTRATOR_TRACE']
    const trace = traceFile ? createDispatchTrace({ file: resolve(input.directory, traceFile), clock, logger }) : undefined
    // Workers write in git worktrees of their own (issue 14); the host lets go of a worktree's OpenCode instance before it is removed.
    const workspaces = createGitTaskWorkspaces({
      projectDirectory: input.directory,
      git,
      logger,
      releaseDirectory: (directory) => host.sessions.release?.(directory) ?? Promise.resolve(),
    })
    const engine = createMissionEngine({
      host: trace ? trace.traceHost(host) : host,
      bus,
      clock,
      ids,
      logger,
      journal: createMissionJournal({
        storage,
        clock,
        logger,
        // A mission that cannot save its state must not run on unsaved: hold it and tell the user how to go on.
        onWriteFailure: ({ missionId, file, error }) => {
          const reason = `paused: its journal could not be saved. Fix the disk or ${config.missionDirectory}/${file}, then type /task without text to resume; nothing saved so far is lost. Cause: ${error.message.slice(0, 240)}`
          late.engine?.pauseMission(missionId, reason)
          void host.toast({ title: `Mission ${missionId} paused`, message: reason.slice(0, 400), variant: 'error', durationMs: 30_000 }).catch(() => undefined)
        },
        onWriteRecovered: (missionId) => logger.log('info', 'mission journal writes work again', { missionId }),
      }),
      policy: decideContinuation,
      prompts: createMissionPrompts({ clock }),
      dispatcher: (() => {
        const wrapped = dependencies.wrapDispatcher?.(scheduler, { directory: input.directory, logger }) ?? scheduler
        return trace ? trace.traceDispatcher(wrapped) : wrapped
      })(),
      backgroundCount: (missionId) => background.runningCount(missionId),
      onTaskArchive: (task) => taskStore.put(task),
      workspaces,
      // Before its worktree is committed and reused: a Worker's background commands run there and die with its task.
      stopTaskWork: async (task) => void (task.sessionId !== undefined ? await background.killSession(task.sessionId) : undefined),
      isolation: config.isolation,
      onSeal: config.onSeal,
      ...missionEngineSettings(config),
    })
    late.engine = engine
    const todos = createMissionTodos({
      engine,
      storage,
      clock,
      ids,
      logger,
      // A person's todo.md edit that was set aside or only partly taken: they are told where it went.
      notify: ({ message }) => void host.toast({ title: 'Orchestrator: todo.md', message: message.slice(0, 400), variant: 'warning', durationMs: 15_000 }).catch(() => undefined),
      displayPath: (path) => `${config.missionDirectory}/${path}`,
    })
    const docs = createDocsCache({
      storage,
      clock,
      logger,
      limits: config.docsCache,
      notify: ({ message }) => void host.toast({ title: 'Orchestrator docs', message: message.slice(0, 400), variant: 'warning' }).catch(() => undefined),
      displayPath: (path) => `${config.missionDirectory}/${path}`,
    })
    const shell = createShellPermissionAnalyzer()
    const confinement = createShellConfinement()
    // The Reviewer's and the Commander's shell is read-only (SHELL_RIGHTS): one check for OpenCode's bash and orchestrator_bg_run.
    const checkShellLine = (sessionId: string, request: { commands: string[][]; redirectsToFile: boolean }) => {
      const role = engine.sessionRole(sessionId)
      return role ? shellWriteRefusal(role.agent, request) : undefined
    }
    const tools = createOrchestratorTools({ engine, todos, background, docs, shell, checkShellLine })
    const loopBreaker = createLoopBreaker()
    const steps = createStepLimiter({ maxPerTurn: config.steps.maxToolCallsPerTurn, maxPerTask: config.steps.maxToolCallsPerTask })
    // One entry per session that called a tool: drop it when the session's work ends, or it grows for the life of the server.
    bus.on('task-end', ({ task }) => {
      if (task.sessionId) {
        loopBreaker.forget(task.sessionId)
        steps.forget(task.sessionId)
      }
    })
    const forgetRoot = ({ missionId }: { missionId: string }) => {
      const rootSessionId = engine.getMission(missionId)?.rootSessionId
      if (rootSessionId) {
        loopBreaker.forget(rootSessionId)
        steps.forget(rootSessionId)
      }
    }
    // Issue 18 #6: with no token or cost budget only the step limits and the wall time bound a mission; say so once per mission.
    bus.on('mission-start', () => {
      if (config.budgets.maxTokens > 0 || config.budgets.maxCostUsd > 0) return
      void host
        .toast({
          title: 'Orchestrator',
          message: `No token or cost budget is set (budgets.maxTokens, budgets.maxCostUsd): this mission is bounded by ${config.steps.maxToolCallsPerTurn} tool calls per turn, ${config.steps.maxToolCallsPerTask} per task and ${config.budgets.maxWallTimeMinutes} min.`,
          variant: 'info',
        })
        .catch((error: unknown) => logger.log('error', 'could not show a notice', { error: errorMessage(error) }))
    })
    bus.on('mission-seal', forgetRoot)
    bus.on('mission-stop', forgetRoot)
    bus.on('mission-fail', forgetRoot)

    /** Adds a message to a session without starting a turn (no model call). `agent: null` leaves it to OpenCode's default agent. */
    const noteSession = async (sessionId: string, text: string, options: { agent?: null; stored?: boolean } = {}) => {
      const agent = options.agent === null ? undefined : engine.sessionRole(sessionId)?.agent
      await addSessionNote({ client: input.client, directory: input.directory, sessionId, text, ...(agent ? { agent } : {}), ...(options.stored ? { stored: true } : {}) })
    }

    // Where a mission's report is written (relative to the project), named in notices, notes and the status text.
    const reportPathOf = (missionId: string) => posix.join(config.missionDirectory.replaceAll('\\', '/'), 'missions', missionId, 'report.html')
    // The toast fades; a line in the root session says how the mission ended. Not in the Commander's name:
    // the session goes back to the user's own agent (docs/decisions/044).
    writeMissionEndNotes({
      bus,
      rootSessionOf: (missionId) => engine.getMission(missionId)?.rootSessionId,
      note: (sessionId, text) => noteSession(sessionId, text, { agent: null }),
      reportPathOf,
      onError: (error, missionId) => logger.log('error', 'could not write the end of the mission into its session', { missionId, error: errorMessage(error) }),
    })

    /** OpenCode's `compaction.auto`, read in the config hook: with it off, recovery compacts by itself. */
    let hostCompacts = true
    const recovery = createRecoveryCoordinator({
      host,
      hostCompacts: () => hostCompacts,
      bus,
      clock,
      logger,
      breaker,
      policy: createRecoveryPolicy({ random: Math.random, config: config.recovery, isProviderAvailable: (providerId) => breaker.gate({ providerId }).allowed }),
      isManaged: (sessionId) => {
        const mission = engine.missionForSession(sessionId)
        const role = engine.sessionRole(sessionId)
        if (!mission || !role || isMissionFinal(mission.state)) return undefined
        return {
          missionId: mission.id,
          role: role.agent,
          resumePrompt: () => {
            const current = engine.missionForSession(sessionId) ?? mission
            const task = role.taskId ? current.tasks.find((item) => item.id === role.taskId) : undefined
            return createMissionPrompts({ clock }).resume({ mission: current, sessionId, agent: role.agent, ...(task ? { task } : {}) })
          },
          ...(mission.pinnedModel ? { pinnedModel: mission.pinnedModel } : {}),
        }
      },
      onFatal: (missionId, userMessage, cause) => {
        // Read before the stop: the session's task and parent say whom to tell.
        const role = engine.sessionRole(cause.sessionId)
        const task = role?.taskId ? engine.getTask(role.taskId) : undefined
        const rootSessionId = engine.getMission(missionId)?.rootSessionId
        void engine
          .stopMission(missionId, {
            reason: userMessage,
            outcome: 'failed',
            ...(task ? { cause: { sessionId: cause.sessionId, error: { code: cause.kind, message: userMessage } } } : {}),
          })
          .then(async () => {
            if (!task) return
            // The parent learns why at once; as a note without a reply, since nothing may call the model any more.
            const text = describeFatalTaskNote({ taskId: task.id, agent: task.agent, title: task.title, cause: cause.message ?? cause.kind, userMessage })
            const targets = [...new Set([task.parentSessionId, rootSessionId].filter((id): id is string => id !== undefined))]
            await Promise.all(targets.map((sessionId) => noteSession(sessionId, text)))
          })
          .catch((error: unknown) => logger.log('error', 'could not stop the mission after a fatal error', { missionId, error: errorMessage(error) }))
      },
    })
    const notifier = createNotifier({
      bus,
      clock,
      logger,
      toast: (toast) => host.toast(toast),
      progressIntervalMs: config.notifications.progressIntervalMs,
      recoveryMaxAttempts: config.recovery.maxAttemptsPerSession,
      reportPathOf,
    })
    // Every mission leaves missions/<id>/events.jsonl, and at its end timeline.json + report.html (fire and forget).
    const missionEvents = createMissionEventLog({ bus, storage, clock, logger, missionOfSession: (sessionId) => engine.missionStateOf(sessionId)?.missionId })
    const missionReports = createMissionReportWriter({ bus, host, storage, clock, logger, getMission: (missionId) => engine.getMission(missionId), eventLog: missionEvents })

    // A mission that ends takes its background processes with it.
    const endBackground = ({ missionId }: { missionId: string }) => {
      void background.killMission(missionId).catch((error: unknown) => logger.log('error', 'could not kill background jobs', { missionId, error: errorMessage(error) }))
    }
    bus.on('mission-stop', endBackground)
    bus.on('mission-fail', endBackground)
    bus.on('mission-seal', endBackground)
    // Where a mission's result landed (config onSeal) and what it left: a notice beside the seal/stop notice (issue 14 #6).
    bus.on('mission-workspaces-end', ({ missionId, outcome, end }) => {
      const text = describeWorkspacesEnd(end)
      if (text === '') return
      void host
        .toast({ title: outcome === 'sealed' ? `Mission ${missionId}: the result` : `Mission ${missionId}: worktrees`, message: text.slice(0, 400), variant: outcome === 'sealed' && end.left.length === 0 ? 'info' : 'warning', durationMs: 15_000 })
        .catch((error: unknown) => logger.log('error', 'could not show a notice', { missionId, error: errorMessage(error) }))
    })
    bus.on('mission-start', ({ missionId, goal }) => logger.log('info', 'mission started', { missionId, goal }))
    bus.on('mission-transition', (event) => logger.log('info', 'mission transition', { ...event }))

    // Adoption reads the host; never block plugin loading on it.
    // A resumed mission says so where the user looks: a line in its root session and a notice. The line is
    // written before the engine prompts the mission again, so it never lands inside the resumed turn (where
    // the model would read it as the user's last word).
    const announceResume = async (mission: MissionSnapshot) => {
      const running = mission.tasks.filter((task) => task.status === 'running' || task.status === 'queued').length
      const carryOn = running === 0 ? 'the Commander carries on' : `${running} task${running === 1 ? ' carries' : 's carry'} on`
      const text = `[orchestrator] Mission resumed after a restart: ${carryOn}.`
      void host
        .toast({ title: 'Mission resumed', message: `${truncateText(mission.goal, 120)} — ${carryOn}.`, variant: 'info' })
        .catch((error: unknown) => logger.log('error', 'could not show a notice', { missionId: mission.id, error: errorMessage(error) }))
      engine.expectOwnRootMessage(mission.id)
      // In the Commander's name: OpenCode runs a turn as the agent of its latest user message (a note in the
      // default agent's name turned the resumed Commander into that agent).
      await noteSession(mission.rootSessionId, text, { stored: true }).catch((error: unknown) =>
        logger.log('error', 'could not write the resume line into the mission session', { missionId: mission.id, error: errorMessage(error) }),
      )
    }
    const owner: WorktreeOwner = {
      instance,
      hooksFor: (worktree) => ({
        config: async (opencodeConfig) => {
          // The Worker's agent (and the others) must exist in the worktree's instance too; no commands: the user types in the project's.
          applyAgentsToOpencodeConfig(opencodeConfig, definitions, {
            protectedFolder: missionFolderPermission({ directory: input.directory, worktree: input.worktree, missionDirectory: config.missionDirectory }),
          })
          // A worktree's work is kept by its branch (committed and merged by the orchestrator): OpenCode's own snapshot of it
          // each step is redundant there, and costs the Worker's first prompt ~0.3 s and every later one ~0.1 s (decision 091).
          opencodeConfig.snapshot = false
        },
        tool: tools,
        // OpenCode publishes a worktree session's events only to the worktree's instance: they reach the engine through here.
        event: async ({ event }) => host.dispatch(event),
        'chat.message': async ({ sessionID }) => steps.newTurn(sessionID),
        'tool.execute.before': (toolInput, output) => guardToolCall(toolInput, output, worktree),
        'experimental.session.compacting': async ({ sessionID }, output) => {
          const mission = engine.missionForSession(sessionID)
          const role = engine.sessionRole(sessionID)
          if (!mission || !role || isMissionFinal(mission.state)) return
          output.context.push(compactionContext(mission, role))
        },
      }),
    }

    // Every worktree of this repository's orchestrator (after a restart OpenCode boots one as soon as a session there is read).
    if (worktreeTree !== undefined) worktreeOwners.claimTree(worktreeTree, owner)
    const ready = engine.start({ onAdopt: announceResume }).then(
      (report) => {
        if (report.adopted.length || report.stale.length || report.problems.length) {
          logger.log('info', 'missions resumed from the journal', {
            adopted: report.adopted,
            stale: report.stale,
            problems: report.problems.map((problem) => problem.error.message),
          })
        }
        for (const problem of report.problems) {
          void host.toast({ title: 'Orchestrator journal', message: problem.error.message.slice(0, 300), variant: 'warning' }).catch(() => undefined)
        }
      },
      (error: unknown) => logger.log('error', 'mission engine failed to start', { error: errorMessage(error) }),
    )

    /**
     * Every tool call of a mission's sessions passes here, in the project's instance and in the copies serving Worker
     * worktrees (`boundary`: the worktree nothing may be written outside of).
     */
    const guardToolCall = async (
      toolInput: { tool: string; sessionID: string; callID: string },
      output: { args: Record<string, unknown> | undefined },
      boundary: string | undefined,
    ): Promise<void> => {
      if (boundary !== undefined) {
        const refusal = await confinementRefusal({ tool: toolInput.tool, args: output.args ?? {}, boundary, confinement })
        if (refusal !== undefined) {
          logger.log('info', 'refused a tool call that leaves its worktree', { sessionId: toolInput.sessionID, tool: toolInput.tool, boundary })
          throw new Error(refusal)
        }
      }
    // Hot path: a map lookup for sessions outside a mission, nothing else.
    const role = engine.sessionRole(toolInput.sessionID)
    if (!role) return
    // Not `missionForSession`: it copies the whole mission record, on every tool call.
    const mission = engine.missionStateOf(toolInput.sessionID)
    if (!mission) return
    if (isMissionFinal(mission.state)) {
      throw new Error(`The mission has ended (${describeEnd(mission.state, mission.endReason ?? '')}). Stop working and end your turn.`)
    }
    if (mission.heldReason !== undefined) throw new Error(`The mission is ${mission.heldReason}. Stop working and end your turn.`)
    if (toolInput.tool === 'bash' && isAgentName(role.agent) && SHELL_RIGHTS[role.agent] !== 'full') {
      // OpenCode's own bash gets the same read-only check as orchestrator_bg_run (the Reviewer and the Commander);
      // a line that cannot be parsed cannot be checked, so it is refused too.
      const command = typeof output.args?.command === 'string' ? output.args.command : ''
      const workdir = typeof output.args?.workdir === 'string' ? resolve(input.directory, output.args.workdir) : input.directory
      const facts = await shell.analyze(command, { cwd: workdir, directory: input.directory, worktree: input.worktree })
      const refusal = checkShellLine(toolInput.sessionID, facts)
      if (refusal !== undefined) throw new Error(refusal)
    }
    const task = role.taskId ? engine.getTask(role.taskId) : undefined
    const stopSession = async (reason: string) => {
      if (task) await engine.cancelTask(task.id, reason)
      else await engine.stopMission(mission.missionId, { reason, by: 'orchestrator' })
      void host
        .toast({ title: 'Orchestrator', message: `${task ? `Task ${task.id} (${task.agent})` : 'The mission'} stopped: ${reason}.`.slice(0, 300), variant: 'warning' })
        .catch((error: unknown) => logger.log('error', 'could not show a notice', { error: errorMessage(error) }))
    }
    const step = steps.check(toolInput.sessionID, task !== undefined)
    if (step.type === 'stop') {
      await stopSession(
        step.scope === 'task'
          ? `step limit: ${step.limit} tool calls per task (steps.maxToolCallsPerTask) used up`
          : `step limit: kept calling tools after ${step.limit} tool calls in one turn (steps.maxToolCallsPerTurn)`,
      )
      throw new Error('Step limit: this task has been stopped. End your turn now.')
    }
    if (step.type === 'refuse-turn') {
      if (step.first) {
        void host
          .toast({ title: 'Orchestrator', message: `${role.agent} reached ${step.limit} tool calls in one turn (steps.maxToolCallsPerTurn); told to report and stop.`, variant: 'warning' })
          .catch((error: unknown) => logger.log('error', 'could not show a notice', { error: errorMessage(error) }))
      }
      throw new Error(
        `Step limit: you made ${step.limit} tool calls in this turn (steps.maxToolCallsPerTurn). Do not call more tools: end your turn now with a report of what is done and what is left.`,
      )
    }
    const verdict = loopBreaker.check(toolInput.sessionID, toolInput.tool, output.args)
    if (verdict.type === 'block') {
      throw new Error(
        verdict.period === 1
          ? `Loop breaker: ${verdict.repeats} identical ${toolInput.tool} calls in a row with the same arguments. The result will not change; try something else or end your turn with what you have.`
          : `Loop breaker: the same cycle of ${verdict.period} tool calls (ending with ${toolInput.tool}) ${verdict.repeats} times in a row with the same arguments. The results will not change; try something else or end your turn with what you have.`,
      )
    }
    if (verdict.type === 'stop') {
      const repeated = verdict.period === 1 ? `the same ${toolInput.tool} call` : `the same cycle of ${verdict.period} tool calls`
      await stopSession(
        task
          ? verdict.period === 1
            ? `stopped by the loop breaker: ${verdict.repeats} identical ${toolInput.tool} calls in a row`
            : `stopped by the loop breaker: ${repeated} ${verdict.repeats} times in a row`
          : `the Commander repeated ${repeated} ${verdict.repeats} times in a row`,
      )
      throw new Error('Loop breaker: stopped after repeating the same call. End your turn.')
    }
  
    }

    /** Tells the user through a notice (and, with `note`, a line in the session), then ends the command without a model call (docs/decisions/011). */
    const handled = async (options: { sessionId: string; command: string; text: string; variant: 'info' | 'warning' | 'error'; note?: boolean; durationMs?: number }): Promise<never> => {
      const { sessionId, command, text, variant } = options
      await Promise.all([
        host.toast({ title: 'Orchestrator', message: text.slice(0, 400), variant, ...(options.durationMs ? { durationMs: options.durationMs } : {}) }),
        options.note ? noteSession(sessionId, `[orchestrator] ${text}`) : undefined,
      ]).catch((error: unknown) => logger.log('error', 'could not show a notice', { error: errorMessage(error) }))
      throw new CommandHandledSignal(text, command)
    }

    const handleCommand = async (
      command: ReturnType<typeof parseCommand>,
      context: { sessionId: string; name: string; parts: Array<{ type: string; text?: string; synthetic?: boolean }> },
    ): Promise<void> => {
      await ready
      if (!command) return
      const { sessionId } = context
      const reply = (text: string, variant: 'info' | 'warning' | 'error', extra: { note?: boolean; durationMs?: number } = {}) =>
        handled({ sessionId, command: context.name, text, variant, ...extra })
      const mission = engine.missionForSession(sessionId)
      switch (command.name) {
        case 'task': {
          const active = mission !== undefined && !isMissionFinal(mission.state)
          if (command.goal.trim().length === 0) {
            if (active) {
              engine.resumeMission(mission.id)
              return reply(`Mission ${mission.id} resumed.`, 'info')
            }
            if (mission) {
              return reply(
                `Mission ${mission.id} has ended (${mission.state}${mission.end?.reason ? `: ${mission.end.reason}` : ''}); it cannot be resumed. Start a new one with ${slash('task')} "<what to build>".${
                  mission.workspaces?.end ? `\n${describeWorkspacesEnd(mission.workspaces.end)}` : ''
                }`.trimEnd(),
                'info',
                { note: true },
              )
            }
            return reply(`Usage: ${slash('task')} <what to build>, e.g. ${slash('task')} "Add a slugify module with tests".`, 'warning', { note: true })
          }
          if (active) return reply(`A mission is already running in this session (${mission.id}): ${slash('status')} shows it, ${slash('stop')} ends it.`, 'warning')
          const checked = normalizeMissionGoal(command.goal)
          if (!checked.ok) return reply(checked.message, 'warning', { note: true, durationMs: 15_000 })
          // The goal reaches the Commander as data: the user's words (shown as theirs) and the protocol (synthetic,
          // hidden in the transcript). Whatever OpenCode built from the template goes; attached files stay.
          const attachments = context.parts.filter((part) => part.type !== 'text')
          context.parts.splice(0, context.parts.length, { type: 'text', text: checked.goal }, { type: 'text', text: MISSION_KICKOFF_TEXT, synthetic: true }, ...attachments)
          engine.startMission({ rootSessionId: sessionId, goal: checked.goal, expectUserMessage: true })
          return
        }
        case 'status': {
          const worktrees = mission
            ? await workspaces.list({ missionId: mission.id }).catch((error: unknown) => {
                logger.log('warn', 'could not list the mission\'s worktrees for /status', { missionId: mission.id, error: errorMessage(error) })
                return []
              })
            : []
          return reply(statusText(mission, mission ? background.list({ missionId: mission.id }) : [], mission ? { reportPath: reportPathOf(mission.id), worktrees } : {}), 'info', { durationMs: 10_000 })
        }
        case 'stop': {
          if (!mission || isMissionFinal(mission.state)) return reply('No mission is running in this session.', 'info')
          const reason = command.note === undefined ? `stopped by the user (${slash(command.via)})` : `stopped by the user: ${command.note}`
          await Promise.all([engine.stopMission(mission.id, { reason }), background.killMission(mission.id)])
          throw new CommandHandledSignal(`Mission ${mission.id} stopped: every child session aborted and background commands killed.`, context.name)
        }
      }
    }

    return {
      config: async (opencodeConfig) => {
        // OpenCode 1.18.33 reads `compaction.auto`; the SDK's Config type does not list it.
        const compaction: unknown = Reflect.get(opencodeConfig, 'compaction')
        hostCompacts = !(typeof compaction === 'object' && compaction !== null && Reflect.get(compaction, 'auto') === false)
        const result = applyAgentsToOpencodeConfig(opencodeConfig, definitions, {
          protectedFolder: missionFolderPermission({ directory: input.directory, worktree: input.worktree, missionDirectory: config.missionDirectory }),
        })
        registerCommands(opencodeConfig, { withAgents: true })
        if (result.skipped.length > 0) {
          logger.log('warn', 'your own agents with these names are kept; they do not get the orchestrator tools', { agents: result.skipped })
        }
      },
      tool: tools,
      event: async ({ event }) => {
        host.dispatch(event)
        const rejection = rejectionStop(event)
        if (rejection) {
          const mission = engine.missionStateOf(rejection.sessionId)
          if (mission && !isMissionFinal(mission.state)) {
            logger.log('info', 'a permission was rejected with a stop command as feedback; stopping the mission', { missionId: mission.missionId, sessionId: rejection.sessionId })
            void Promise.all([
              engine.stopMission(mission.missionId, { reason: `stopped by the user (/${rejection.via} while a permission prompt was open)` }),
              background.killMission(mission.missionId),
            ]).catch((error: unknown) => logger.log('error', 'could not stop the mission after a rejection', { missionId: mission.missionId, error: errorMessage(error) }))
          }
        }
      },
      'chat.message': async ({ sessionID }) => {
        // A new message starts a new turn of that session: its per-turn step count starts again.
        steps.newTurn(sessionID)
      },
      'command.execute.before': async (commandInput, output) => {
        await handleCommand(parseCommand(commandInput.command, commandInput.arguments), {
          sessionId: commandInput.sessionID,
          name: commandInput.command,
          parts: output.parts,
        })
      },
      'tool.execute.before': (toolInput, output) => guardToolCall(toolInput, output, undefined),
      'experimental.session.compacting': async ({ sessionID }, output) => {
        const mission = engine.missionForSession(sessionID)
        const role = engine.sessionRole(sessionID)
        if (!mission || !role || isMissionFinal(mission.state)) return
        output.context.push(compactionContext(mission, role))
      },
      dispose: async () => {
        recovery.dispose()
        notifier.dispose()
        scheduler.dispose('plugin disposed')
        await Promise.allSettled([
          background.disposeAll(),
          runner.disposeAll?.(),
          engine.dispose(),
          taskStore.dispose(),
          missionReports.dispose().then(() => missionEvents.dispose()),
          trace?.flush(),
        ])
        for (const directory of servedDirectories) worktreeOwners.unclaim(directory, owner)
        if (worktreeTree !== undefined) worktreeOwners.unclaimTree(worktreeTree, owner)
        await lock.release().catch((error: unknown) => logger.log('error', 'could not release the orchestrator lock', { error: errorMessage(error) }))
      },
    }
  }
}
