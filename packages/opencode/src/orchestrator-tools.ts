import type { ToolContext } from '@opencode-ai/plugin'
import { resolveAgentName, type AgentName } from '@opencode-orchestrator/agents'
import { OrchestratorError, errorMessage, type MissionEngine, type MissionSnapshot, type Task } from '@opencode-orchestrator/core'
import { z } from 'zod'
import type { DocsCache } from './docs-cache'
import type { MissionTodos } from './mission-todos'
import type { BackgroundManager } from './node'

/** A tool as OpenCode's `tool` hook takes it (the plugin package's `tool()` helper is an identity function). */
export interface OrchestratorTool {
  description: string
  args: z.ZodRawShape
  execute(args: Record<string, unknown>, context: ToolContext): Promise<string>
}

export interface CreateOrchestratorToolsOptions {
  engine: MissionEngine
  todos: MissionTodos
  background: BackgroundManager
  docs: DocsCache
}

const RESULT_PREVIEW = 600

function requireMission(engine: MissionEngine, sessionId: string): MissionSnapshot {
  const mission = engine.missionForSession(sessionId)
  if (!mission) {
    throw new OrchestratorError({
      code: 'mission-not-found',
      message: 'This tool works only inside an orchestrated mission. Start one with /task "<what to build>".',
      details: { sessionId },
    })
  }
  return mission
}

/** A job id from another mission (another project's, or a stale one) reads as unknown: missions never see each other's processes. */
function requireJob(background: BackgroundManager, mission: MissionSnapshot, jobId: string): void {
  if (background.list({ missionId: mission.id }).some((job) => job.id === jobId)) return
  const known = background.list({ missionId: mission.id }).map((job) => job.id)
  throw new OrchestratorError({
    code: 'invalid-argument',
    message: `jobId: no background job '${jobId}' in this mission. ${known.length > 0 ? `Its jobs: ${known.join(', ')}.` : 'It has none; start one with orchestrator_bg_run.'}`,
  })
}

function taskLine(task: Task): string {
  const todos = task.todoIds.length > 0 ? ` [${task.todoIds.join(', ')}]` : ''
  const error = task.error ? ` — ${task.error.message}` : ''
  return `${task.id} · ${task.agent} · ${task.status}${todos} · ${task.title}${error}`
}

function defineTool<Shape extends z.ZodRawShape>(definition: {
  description: string
  args: Shape
  execute(args: z.infer<z.ZodObject<Shape>>, context: ToolContext): Promise<string>
}): OrchestratorTool {
  const schema = z.object(definition.args)
  return {
    description: definition.description,
    args: definition.args,
    async execute(raw, context) {
      const parsed = schema.safeParse(raw)
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(arguments)'}: ${issue.message}`)
        throw new OrchestratorError({ code: 'invalid-argument', message: `Invalid arguments: ${issues.join('; ')}` })
      }
      return definition.execute(parsed.data, context)
    },
  }
}

/**
 * The orchestrator's tools. Each one is visible only to the agents that may use
 * it (see `@opencode-orchestrator/agents`), and works only inside a mission.
 */
export function createOrchestratorTools({ engine, todos, background, docs }: CreateOrchestratorToolsOptions): Record<string, OrchestratorTool> {
  const delegatable: readonly AgentName[] = ['planner', 'worker', 'reviewer']

  return {
    orchestrator_delegate: defineTool({
      description:
        'Delegate one task to a sub-agent in its own child session and wait for it: the call returns when the task has ended, with its result. Call it several times in ONE message to run tasks in parallel; every call returns its own result. agent: "planner" writes the plan, "worker" does one ready todo, "reviewer" verifies finished todos.',
      args: {
        agent: z.string().describe('planner | worker | reviewer'),
        title: z.string().min(1).max(120).describe('Short title, e.g. "t3: login route"'),
        prompt: z.string().min(1).describe('Everything the sub-agent needs: todo, files, what done looks like, how to check it, docs cache keys'),
        todoIds: z.array(z.string()).optional().describe('Todo ids this task works on'),
      },
      async execute({ agent: agentName, title, prompt, todoIds = [] }, context) {
        const mission = requireMission(engine, context.sessionID)
        const agent = resolveAgentName(agentName, { field: 'agent' })
        if (!delegatable.includes(agent)) {
          throw new OrchestratorError({ code: 'agent-unknown', message: `agent: '${agentName}' cannot be delegated to; use one of ${delegatable.join(', ')}.` })
        }
        // Validates the todos (ids exist, dependencies done) before anything starts.
        if (agent === 'worker' && todoIds.length > 0) await todos.assign(mission.id, todoIds, { agent })
        // The caller's turn stays open while the task runs (see docs/decisions/040): the session is busy,
        // so OpenCode's Esc reaches it, and the result comes back here instead of in a separate wake.
        context.metadata({ title: `${agent} · ${title}` })
        const task = engine.delegate({
          sessionId: context.sessionID,
          agent,
          title,
          prompt: `${prompt}\n\n(Mission goal: ${mission.goal}${todoIds.length > 0 ? ` · todos: ${todoIds.join(', ')}` : ''})`,
          todoIds,
          notifyParent: false,
        })
        const interrupted = new Promise<'interrupted'>((resolveInterrupt) => {
          if (context.abort.aborted) resolveInterrupt('interrupted')
          else context.abort.addEventListener('abort', () => resolveInterrupt('interrupted'), { once: true })
        })
        const outcome = await Promise.race([engine.waitForTasks([task.id]), interrupted])
        if (outcome === 'interrupted') {
          // Esc on the root stops the mission (and its tasks); an abort that does not (OpenCode cancelling
          // the call for another reason) leaves the task running: its result then comes as a wake.
          engine.wakeParentOnEnd(task.id)
          const now = engine.getTask(task.id) ?? task
          return `Interrupted: ${taskLine(now)}. ${now.status === 'running' || now.status === 'queued' ? 'It still runs; its result comes to you as a message when it ends.' : ''}`.trimEnd()
        }
        const [ended] = outcome
        if (!ended) return `${task.id} vanished.`
        return `${taskLine(ended)}\n${ended.status === 'completed' ? (ended.result ?? '(no answer)') : `Reason: ${ended.error?.message ?? ended.status}`}`
      },
    }),

    orchestrator_task_status: defineTool({
      description: 'Status of the tasks of this mission (or one task).',
      args: { taskId: z.string().optional() },
      async execute({ taskId }, context) {
        const mission = requireMission(engine, context.sessionID)
        const tasks = taskId ? mission.tasks.filter((task) => task.id === taskId) : mission.tasks
        if (tasks.length === 0) return taskId ? `No task ${taskId} in this mission.` : 'No tasks yet.'
        return tasks.map((task) => {
          const preview = task.result ? `\n  ${task.result.slice(0, RESULT_PREVIEW).replaceAll('\n', '\n  ')}` : ''
          return `${taskLine(task)}${preview}`
        }).join('\n')
      },
    }),

    orchestrator_task_result: defineTool({
      description: 'The full final answer of one finished task.',
      args: { taskId: z.string() },
      async execute({ taskId }, context) {
        const mission = requireMission(engine, context.sessionID)
        const task = mission.tasks.find((item) => item.id === taskId)
        if (!task) throw new OrchestratorError({ code: 'task-not-found', message: `No task ${taskId} in this mission; orchestrator_task_status lists them.` })
        if (task.status === 'queued' || task.status === 'running') return `${taskLine(task)}\nStill ${task.status}; you will be told when it ends.`
        return `${taskLine(task)}\n\n${task.result ?? task.error?.message ?? '(no answer)'}`
      },
    }),

    orchestrator_task_cancel: defineTool({
      description: 'Cancel one queued or running task (its child session is aborted).',
      args: { taskId: z.string(), reason: z.string().optional() },
      async execute({ taskId, reason }, context) {
        const mission = requireMission(engine, context.sessionID)
        if (!mission.tasks.some((task) => task.id === taskId)) throw new OrchestratorError({ code: 'task-not-found', message: `No task ${taskId} in this mission.` })
        await engine.cancelTask(taskId, reason ?? `cancelled by the ${context.agent}`)
        return `Cancelled ${taskId}.`
      },
    }),

    orchestrator_todo_write: defineTool({
      description:
        'Write the mission plan: the full list of todos with dependencies. Existing ids keep their status; new items get ids. Example: {"todos":[{"title":"Add slugify module"},{"title":"Add tests","dependsOn":["t1"]}]}',
      args: {
        todos: z.array(
          z.object({
            id: z.string().optional(),
            title: z.string(),
            dependsOn: z.array(z.string()).optional(),
            note: z.string().optional(),
          }),
        ),
      },
      async execute({ todos: inputs }, context) {
        const mission = requireMission(engine, context.sessionID)
        const saved = await todos.writePlan(mission.id, inputs)
        return `Plan saved (${saved.length} todos, see ${todos.pathOf(mission.id)}):\n${saved.map((todo) => `- ${todo.id} [${todo.status}] ${todo.title}${todo.dependsOn.length ? ` (after ${todo.dependsOn.join(', ')})` : ''}`).join('\n')}`
      },
    }),

    orchestrator_todo_read: defineTool({
      description: "Read the mission's todo list (todo.md) and which todos are ready to start.",
      args: {},
      async execute(_args, context) {
        const mission = requireMission(engine, context.sessionID)
        const { markdown, ready } = await todos.read(mission.id)
        return `${markdown}\n\nReady to start: ${ready.length > 0 ? ready.map((todo) => todo.id).join(', ') : 'none'}`
      },
    }),

    orchestrator_todo_update: defineTool({
      description:
        'Change one todo\'s status. Reviewer: {"id":"t1","status":"done","evidence":"ran npm test: 12 passed; read src/slugify.ts"} or send back {"id":"t1","status":"pending","note":"what is missing"}. Failed/blocked need a note.',
      args: {
        id: z.string(),
        status: z.string(),
        evidence: z.string().optional(),
        note: z.string().optional(),
      },
      async execute(args, context) {
        const mission = requireMission(engine, context.sessionID)
        const todo = await todos.update(mission.id, args, { agent: context.agent, sessionId: context.sessionID })
        return `Todo ${todo.id} is now ${todo.status}.`
      },
    }),

    orchestrator_bg_run: defineTool({
      description:
        'Run a long shell command (install, test suite, build) in the background without blocking. Returns a job id at once; read its output with orchestrator_bg_output. Asks for the same permission as bash.',
      args: { command: z.string().min(1), cwd: z.string().optional().describe('Working directory (default: the project)') },
      async execute({ command, cwd }, context) {
        const mission = requireMission(engine, context.sessionID)
        // OpenCode's own permission system decides, exactly as for its bash tool: never a side door.
        try {
          await context.ask({ permission: 'bash', patterns: [command], always: [command], metadata: { command, background: true } })
        } catch (error) {
          throw new OrchestratorError({ code: 'permission-denied', message: `Not run: permission to run \`${command}\` was denied (${errorMessage(error)}).`, cause: error })
        }
        const job = await background.run({ missionId: mission.id, sessionId: context.sessionID, command, cwd: cwd ?? context.directory })
        return `Started ${job.id} (pid ${job.pid}): ${command}\nRead its output with orchestrator_bg_output {"jobId":"${job.id}"}.`
      },
    }),

    orchestrator_bg_output: defineTool({
      description: 'Output of a background job: the tail, or only what is new since a byte offset.',
      args: { jobId: z.string(), tailBytes: z.number().int().positive().optional(), sinceByte: z.number().int().min(0).optional() },
      async execute({ jobId, tailBytes, sinceByte }, context) {
        requireJob(background, requireMission(engine, context.sessionID), jobId)
        const output = background.output(jobId, {
          ...(sinceByte !== undefined ? { sinceByte } : { tailBytes: tailBytes ?? 4000 }),
        })
        const { job } = output
        const state = job.status === 'running' ? 'running' : `${job.status}${job.exitCode !== null ? ` (exit code ${job.exitCode})` : job.signal ? ` (${job.signal})` : ''}`
        return `${job.id} · ${state} · ${job.command}${output.truncated ? '\n(older output was dropped)' : ''}\n---\n${output.text}\n---\nnextByte: ${output.nextByte}`
      },
    }),

    orchestrator_bg_kill: defineTool({
      description: 'Stop a background job and every process it started.',
      args: { jobId: z.string() },
      async execute({ jobId }, context) {
        requireJob(background, requireMission(engine, context.sessionID), jobId)
        const job = await background.kill(jobId)
        return `${job.id} is ${job.status}.`
      },
    }),

    orchestrator_bg_list: defineTool({
      description: 'Background jobs of this mission.',
      args: {},
      async execute(_args, context) {
        const mission = requireMission(engine, context.sessionID)
        const jobs = background.list({ missionId: mission.id })
        if (jobs.length === 0) return 'No background jobs.'
        return jobs.map((job) => `${job.id} · ${job.status}${job.exitCode !== null ? ` (exit ${job.exitCode})` : ''} · ${job.command}`).join('\n')
      },
    }),

    orchestrator_docs_save: defineTool({
      description:
        "Save reference notes (API details, conventions, fetched docs) once for every agent of this mission, instead of each Worker fetching them again. Keep it to what Workers need.",
      args: { key: z.string().describe('e.g. "express-auth-api"'), title: z.string(), content: z.string(), source: z.string().optional() },
      async execute({ key, title, content, source }, context) {
        const mission = requireMission(engine, context.sessionID)
        const { evicted } = await docs.save(mission.id, { key, title, content, savedBy: context.sessionID, ...(source ? { source } : {}) })
        return `Saved docs '${key}'.${evicted.length > 0 ? ` Evicted to stay within the cache limits: ${evicted.join(', ')}.` : ''}`
      },
    }),

    orchestrator_docs_read: defineTool({
      description: "Read one entry of the mission's docs cache.",
      args: { key: z.string() },
      async execute({ key }, context) {
        const mission = requireMission(engine, context.sessionID)
        const entry = await docs.read(mission.id, key)
        if (!entry) {
          const keys = (await docs.list(mission.id)).map((item) => item.key)
          return `No docs '${key}'. Saved: ${keys.length > 0 ? keys.join(', ') : 'none'}.`
        }
        return `# ${entry.title}${entry.source ? `\nSource: ${entry.source}` : ''}\n\n${entry.content}`
      },
    }),

    orchestrator_docs_list: defineTool({
      description: "List the mission's docs cache.",
      args: {},
      async execute(_args, context) {
        const mission = requireMission(engine, context.sessionID)
        const entries = await docs.list(mission.id)
        if (entries.length === 0) return 'The docs cache is empty.'
        return entries.map((entry) => `${entry.key} · ${entry.title} · ${entry.bytes} bytes${entry.source ? ` · ${entry.source}` : ''}`).join('\n')
      },
    }),
  }
}
