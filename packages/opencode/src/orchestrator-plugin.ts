import { resolve } from 'node:path'
import type { Hooks, Plugin, PluginInput } from '@opencode-ai/plugin'
import { DEFAULT_AGENTS, applyAgentOverrides, applyAgentsToOpencodeConfig, createMissionPrompts } from '@opencode-orchestrator/agents'
import {
  createEventBus,
  createMissionEngine,
  createMissionJournal,
  createRandomIds,
  createScheduler,
  createTaskStore,
  errorMessage,
  isMissionFinal,
  missionEngineSettings,
  systemClock,
  type Clock,
  type IdGenerator,
  type Logger,
  type OrchestratorConfig,
  type OrchestratorEvents,
  type ProcessRunner,
} from '@opencode-orchestrator/core'
import { createNotifier } from '@opencode-orchestrator/notifications'
import { createCircuitBreaker, createRecoveryCoordinator, createRecoveryPolicy } from '@opencode-orchestrator/recovery'
import { decideContinuation } from '@opencode-orchestrator/todo-engine'
import { createAppLogger } from './app-logger'
import { createDispatchTrace } from './dispatch-trace'
import { createDocsCache } from './docs-cache'
import { loadConfig } from './load-config'
import { createLoopBreaker } from './loop-breaker'
import { compactionContext, statusText } from './mission-text'
import { createMissionEventLog } from './mission-event-log'
import { createMissionReportWriter } from './mission-report-writer'
import { createMissionTodos } from './mission-todos'
import {
  createBackgroundLedger,
  createBackgroundManager,
  createFileStorage,
  createProcessRunner,
  readProcessIdentity,
  type NodeProcessRunner,
  type ProcessIdentity,
} from './node'
import { createOpencodeHost } from './opencode-host'
import { ORCHESTRATOR_COMMANDS, parseCommand } from './orchestrator-commands'
import { createOrchestratorTools } from './orchestrator-tools'

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
}

/**
 * Thrown from `command.execute.before` after a command was fully handled in
 * code (`/stop`, `/status`): OpenCode then skips the model call the command
 * would otherwise make. The text is what the user should read.
 */
export class CommandHandledSignal extends Error {
  override name = 'OrchestratorCommandHandled'
}

/**
 * Creates the OpenCode plugin. Each call to the returned function builds a
 * complete, independent orchestrator (one per project instance): nothing is
 * shared between two projects on one server or two copies of the plugin.
 */
export function createOrchestratorPlugin(dependencies: OrchestratorPluginDependencies = {}): Plugin {
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

    let config: OrchestratorConfig
    try {
      ;({ config } = await loadConfig({ directory: input.directory, pluginOptions, ...(dependencies.env ? { env: dependencies.env } : {}) }))
    } catch (error) {
      const message = errorMessage(error)
      logger.log('error', 'invalid orchestrator configuration; the plugin is not loaded', { error: message })
      // Fire and forget: the server may not serve requests until plugins have loaded.
      void input.client.tui
        .showToast({ body: { title: 'Orchestrator not loaded', message: message.slice(0, 300), variant: 'error', duration: 15_000 } })
        .catch(() => undefined)
      throw error
    }

    const storage = createFileStorage({ root: resolve(input.directory, config.missionDirectory), logger })
    const bus = createEventBus<OrchestratorEvents>({
      onListenerError: (error, eventName) => logger.log('error', 'event listener failed', { event: eventName, error: errorMessage(error) }),
    })
    const host = createOpencodeHost({ client: input.client, directory: input.directory, logger })
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
      owner: dependencies.processOwner === undefined ? await readProcessIdentity(process.pid) : (dependencies.processOwner ?? undefined),
    })
    const background = createBackgroundManager({
      runner,
      clock,
      ids,
      logger,
      maxPerSession: config.background.maxPerSession,
      outputLimitBytes: config.background.outputLimitBytes,
      onJobStart: (job) => void ledger.record(job),
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
    const definitions = applyAgentOverrides(DEFAULT_AGENTS, config.agents)
    // Opt-in timing of the dispatch hot path for the benchmarks (see dispatch-trace.ts).
    const traceFile = (dependencies.env ?? process.env)['OPENCODE_ORCHESTRATOR_TRACE']
    const trace = traceFile ? createDispatchTrace({ file: resolve(input.directory, traceFile), clock, logger }) : undefined
    const engine = createMissionEngine({
      host: trace ? trace.traceHost(host) : host,
      bus,
      clock,
      ids,
      logger,
      journal: createMissionJournal({ storage, clock, logger }),
      policy: decideContinuation,
      prompts: createMissionPrompts({ clock }),
      dispatcher: trace ? trace.traceDispatcher(scheduler) : scheduler,
      backgroundCount: (missionId) => background.runningCount(missionId),
      onTaskArchive: (task) => taskStore.put(task),
      ...missionEngineSettings(config),
    })
    late.engine = engine
    const todos = createMissionTodos({ engine, storage, clock, ids, logger })
    const docs = createDocsCache({ storage, clock, logger, limits: config.docsCache })
    const tools = createOrchestratorTools({ engine, todos, background, docs })
    const loopBreaker = createLoopBreaker()
    // One entry per session that called a tool: drop it when the session's work ends, or it grows for the life of the server.
    bus.on('task-end', ({ task }) => {
      if (task.sessionId) loopBreaker.forget(task.sessionId)
    })
    const forgetRoot = ({ missionId }: { missionId: string }) => {
      const rootSessionId = engine.getMission(missionId)?.rootSessionId
      if (rootSessionId) loopBreaker.forget(rootSessionId)
    }
    bus.on('mission-seal', forgetRoot)
    bus.on('mission-stop', forgetRoot)
    bus.on('mission-fail', forgetRoot)

    /** Adds a message to a session without starting a turn (no model call). */
    const noteSession = async (sessionId: string, text: string) => {
      const agent = engine.sessionRole(sessionId)?.agent
      const result = await input.client.session.promptAsync({
        path: { id: sessionId },
        body: { noReply: true, parts: [{ type: 'text', text }], ...(agent ? { agent } : {}) },
        query: { directory: input.directory },
      })
      if (result.error !== undefined) throw new Error(`OpenCode did not take the note for session ${sessionId}: ${JSON.stringify(result.error).slice(0, 300)}`)
    }

    const recovery = createRecoveryCoordinator({
      host,
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
            const text = [
              `[orchestrator] Task ${task.id} (${task.agent}: ${task.title}) failed: ${cause.message ?? cause.kind}.`,
              userMessage,
              'The mission has failed: every other task was stopped and nothing more will run.',
            ].join('\n\n')
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
      os: config.notifications.os,
      recoveryMaxAttempts: config.recovery.maxAttemptsPerSession,
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
    bus.on('mission-start', ({ missionId, goal }) => logger.log('info', 'mission started', { missionId, goal }))
    bus.on('mission-transition', (event) => logger.log('info', 'mission transition', { ...event }))

    // Adoption reads the host; never block plugin loading on it.
    const ready = engine.start().then(
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

    /** Tells the user through a notice, then ends the command without a model call (see docs/decisions/003). */
    const handled = async (text: string, variant: 'info' | 'warning'): Promise<never> => {
      await host.toast({ title: 'Orchestrator', message: text.slice(0, 400), variant }).catch((error: unknown) => logger.log('error', 'could not show a notice', { error: errorMessage(error) }))
      throw new CommandHandledSignal(text)
    }

    const handleCommand = async (command: ReturnType<typeof parseCommand>, sessionId: string): Promise<string | undefined> => {
      await ready
      if (!command) return undefined
      const mission = engine.missionForSession(sessionId)
      switch (command.name) {
        case 'task': {
          const active = mission !== undefined && !isMissionFinal(mission.state)
          if (command.goal.length === 0) {
            if (active) {
              engine.resumeMission(mission.id)
              return handled(`Mission ${mission.id} resumed.`, 'info')
            }
            return handled('Usage: /task <what to build>, e.g. /task "Add a slugify module with tests".', 'warning')
          }
          if (active) return handled(`A mission is already running in this session (${mission.id}): /status shows it, /stop ends it.`, 'warning')
          engine.startMission({ rootSessionId: sessionId, goal: command.goal, expectUserMessage: true })
          return undefined
        }
        case 'status': {
          const text = statusText(mission, mission ? background.list({ missionId: mission.id }) : [])
          await host.toast({ title: 'Orchestrator', message: text.slice(0, 400), variant: 'info', durationMs: 10_000 })
          throw new CommandHandledSignal(text)
        }
        case 'stop': {
          if (!mission || isMissionFinal(mission.state)) {
            await host.toast({ title: 'Orchestrator', message: 'No mission is running in this session.', variant: 'info' })
            throw new CommandHandledSignal('No mission is running in this session.')
          }
          await Promise.all([engine.stopMission(mission.id, { reason: `stopped by the user (/${command.via})` }), background.killMission(mission.id)])
          throw new CommandHandledSignal(`Mission ${mission.id} stopped: every child session aborted and background commands killed.`)
        }
      }
    }

    return {
      config: async (opencodeConfig) => {
        const result = applyAgentsToOpencodeConfig(opencodeConfig, definitions)
        opencodeConfig.command ??= {}
        for (const [name, command] of Object.entries(ORCHESTRATOR_COMMANDS)) {
          // A user's own command of the same name wins.
          if (opencodeConfig.command[name] === undefined) opencodeConfig.command[name] = { ...command }
        }
        if (result.skipped.length > 0) {
          logger.log('warn', 'your own agents with these names are kept; they do not get the orchestrator tools', { agents: result.skipped })
        }
      },
      tool: tools as unknown as NonNullable<Hooks['tool']>,
      event: async ({ event }) => {
        host.dispatch(event)
      },
      'command.execute.before': async (commandInput) => {
        await handleCommand(parseCommand(commandInput.command, commandInput.arguments), commandInput.sessionID)
      },
      'tool.execute.before': async (toolInput, output) => {
        // Hot path: a map lookup for sessions outside a mission, nothing else.
        const role = engine.sessionRole(toolInput.sessionID)
        if (!role) return
        // Not `missionForSession`: it copies the whole mission record, on every tool call.
        const mission = engine.missionStateOf(toolInput.sessionID)
        if (!mission) return
        if (isMissionFinal(mission.state)) {
          throw new Error(`The mission has ended (${mission.state}: ${mission.endReason ?? ''}). Stop working and end your turn.`)
        }
        const verdict = loopBreaker.check(toolInput.sessionID, toolInput.tool, output.args)
        if (verdict.type === 'block') {
          throw new Error(
            `Loop breaker: ${verdict.repeats} identical ${toolInput.tool} calls in a row with the same arguments. The result will not change; try something else or end your turn with what you have.`,
          )
        }
        if (verdict.type === 'stop') {
          const task = role.taskId ? engine.getTask(role.taskId) : undefined
          if (task) await engine.cancelTask(task.id, `stopped by the loop breaker: ${verdict.repeats} identical ${toolInput.tool} calls in a row`)
          else await engine.stopMission(mission.missionId, { reason: `the Commander repeated the same ${toolInput.tool} call ${verdict.repeats} times in a row` })
          throw new Error('Loop breaker: stopped after repeating the same call. End your turn.')
        }
      },
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
      },
    }
  }
}
