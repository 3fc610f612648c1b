import { resolve } from 'node:path'
import { tool, type ToolContext, type ToolDefinition } from '@opencode-ai/plugin'
import { resolveAgentName, type AgentName } from '@opencode-orchestrator/agents'
import {
  ISOLATION_MODES,
  OrchestratorError,
  closestName,
  describeTaskSettlement,
  errorMessage,
  truncateForMessage,
  type MissionEngine,
  type MissionSnapshot,
  type Task,
} from '@opencode-orchestrator/core'
import type { DocsCache } from './docs-cache'
import type { MissionTodos } from './mission-todos'
import type { BackgroundManager, ShellPermissionAnalyzer, ShellPermissionRequest } from './node'

/**
 * The host's zod (the one `@opencode-ai/plugin` pins, 4.1.8 for OpenCode 1.18.33). OpenCode turns
 * tool arguments into JSON Schema with its own zod; a schema built with another zod minor loses its
 * checks (min/max/int) on the way, so the model would never see them. See docs/decisions/022.
 */
const z = tool.schema

/** Ids of tasks, todos and jobs: short words. */
const ID = z.string().min(1).max(200)
/** Keys of the docs cache. */
const KEY = z.string().min(1).max(200)

/** A tool as OpenCode's `tool` hook takes it. */
export type OrchestratorTool = ToolDefinition

/**
 * Whether the session's role may run a shell line that writes files. The Reviewer and the Commander may not
 * (see `@opencode-orchestrator/agents`' `SHELL_RIGHTS`); the adapter checks it for OpenCode's
 * `bash` and for `orchestrator_bg_run` alike. Returns the refusal text, or undefined to allow.
 */
export type ShellLineCheck = (sessionId: string, request: ShellPermissionRequest) => string | undefined

export interface CreateOrchestratorToolsOptions {
  engine: MissionEngine
  todos: MissionTodos
  background: BackgroundManager
  docs: DocsCache
  /** Parses background command lines into the permission patterns OpenCode's bash tool would ask for. */
  shell: ShellPermissionAnalyzer
  /** Refuses lines a role may not run (e.g. writes by the Reviewer). Default: nothing refused. */
  checkShellLine?: ShellLineCheck
}

/** Quotes a caller's value in an error, cut to a short prefix. */
function quote(value: string): string {
  return `'${truncateForMessage(value, 80)}'`
}

/** Keys of `value` that no (nested) object of `schema` declares, with their paths. */
function unknownKeys(schema: unknown, value: unknown, path: string): { path: string; key: string; known: string[] }[] {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable || schema instanceof z.ZodDefault) {
    return unknownKeys((schema as { unwrap(): unknown }).unwrap(), value, path)
  }
  if (schema instanceof z.ZodArray) {
    if (!Array.isArray(value)) return []
    return value.flatMap((item, index) => unknownKeys((schema as { element: unknown }).element, item, `${path}[${index}]`))
  }
  if (schema instanceof z.ZodObject) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return []
    const shape = (schema as { shape: Record<string, unknown> }).shape
    const known = Object.keys(shape)
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) =>
      key in shape ? unknownKeys(shape[key], item, path ? `${path}.${key}` : key) : [{ path, key, known }],
    )
  }
  return []
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
    message: `jobId: no background job ${quote(jobId)} in this mission. ${known.length > 0 ? `Its jobs: ${truncateForMessage(known.join(', '), 400)}.` : 'It has none; start one with orchestrator_bg_run.'}`,
  })
}

function taskLine(task: Task): string {
  const todos = task.todoIds.length > 0 ? ` [${task.todoIds.join(', ')}]` : ''
  const error = task.error ? ` — ${task.error.message}` : ''
  return `${task.id} · ${task.agent} · ${task.status}${todos} · ${task.title}${error}`
}

type ToolShape = Parameters<typeof tool>[0]['args']
/** The parsed arguments of a tool with this argument shape, typed by the host's zod. */
type ToolArgs<Shape extends ToolShape> = Parameters<Parameters<typeof tool<Shape>>[0]['execute']>[0]

function defineTool<Shape extends ToolShape>(definition: {
  description: string
  args: Shape
  execute(args: ToolArgs<Shape>, context: ToolContext): Promise<string>
}): OrchestratorTool {
  return tool({
    description: definition.description,
    args: definition.args,
    async execute(raw, context) {
      // OpenCode passes the model's arguments as sent; zod would strip unknown keys, so they are refused first.
      const schema = z.object(definition.args)
      const unknown = unknownKeys(schema, raw, '')
      if (unknown.length > 0) {
        const problems = unknown.slice(0, 5).map(({ path, key, known }) => {
          const suggestion = closestName(key, known)
          const where = path ? `${path}.` : ''
          return `${where}${truncateForMessage(key, 60)}: unknown argument${suggestion ? `; did you mean "${suggestion}"?` : known.length > 0 ? `; allowed: ${known.join(', ')}` : ''}`
        })
        throw new OrchestratorError({ code: 'invalid-argument', message: `Invalid arguments: ${problems.join('; ')}${unknown.length > 5 ? ` (and ${unknown.length - 5} more)` : ''}` })
      }
      const parsed = schema.safeParse(raw)
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${truncateForMessage(issue.path.join('.'), 60) || '(arguments)'}: ${truncateForMessage(issue.message, 200)}`)
        throw new OrchestratorError({ code: 'invalid-argument', message: `Invalid arguments: ${issues.slice(0, 5).join('; ')}` })
      }
      return definition.execute(parsed.data as ToolArgs<Shape>, context)
    },
  })
}

/**
 * The orchestrator's tools. Each one is visible only to the agents that may use
 * it (see `@opencode-orchestrator/agents`), and works only inside a mission.
 */
export function createOrchestratorTools({ engine, todos, background, docs, shell, checkShellLine }: CreateOrchestratorToolsOptions): Record<string, OrchestratorTool> {
  const delegatable: readonly AgentName[] = ['planner', 'worker', 'reviewer']

  return {
    orchestrator_delegate: defineTool({
      description:
        'Delegate one task to a sub-agent in its own child session and wait for it: the call returns when the task has ended, with its result. Call it several times in ONE message to run tasks in parallel; every call returns its own result. agent: "planner" writes the plan, "worker" does one ready todo, "reviewer" verifies finished todos.',
      args: {
        agent: z.string().min(1).max(40).describe('planner | worker | reviewer'),
        title: z.string().min(1).max(120).describe('Short title, e.g. "t3: login route"'),
        prompt: z.string().min(1).describe('Everything the sub-agent needs: todo, files, what done looks like, how to check it, docs cache keys'),
        todoIds: z.array(ID).max(100).optional().describe('Todo ids this task works on'),
        isolation: z
          .enum(ISOLATION_MODES)
          .optional()
          .describe('worker only: "worktree" (its own git worktree, merged back when it ends; the default) or "none" (writes in the shared project folder)'),
      },
      async execute({ agent: agentName, title, prompt, todoIds = [], isolation }, context) {
        const mission = requireMission(engine, context.sessionID)
        const agent = resolveAgentName(agentName, { field: 'agent' })
        if (!delegatable.includes(agent)) {
          throw new OrchestratorError({ code: 'agent-unknown', message: `agent: ${quote(agentName)} cannot be delegated to; use one of ${delegatable.join(', ')}.` })
        }
        if (todoIds.length > 0) {
          // Every agent's todo ids must exist: a Reviewer sent to verify 't9' of a plan without it would judge nothing.
          const known = (await todos.read(mission.id)).todos.map((todo) => todo.id)
          const missing = todoIds.filter((id) => !known.includes(id))
          if (missing.length > 0) {
            throw new OrchestratorError({
              code: 'invalid-argument',
              message: `todoIds: no todo ${missing.slice(0, 5).map(quote).join(', ')} in this mission. ${known.length > 0 ? `Its todos: ${truncateForMessage(known.join(', '), 300)}.` : 'It has no todos yet; the planner writes them.'}`,
            })
          }
        }
        // Validates the todos (dependencies done) and marks them in progress before anything starts.
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
          ...(isolation !== undefined ? { isolation } : {}),
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
        // Files other Workers changed too, work kept on a branch, a conflict: the caller hears it with the result (issue 14).
        const worktree = describeTaskSettlement(ended)
        return `${taskLine(ended)}\n${ended.status === 'completed' ? (ended.result ?? '(no answer)') : `Reason: ${ended.error?.message ?? ended.status}`}${worktree === '' ? '' : `\n${worktree}`}`
      },
    }),

    orchestrator_task_status: defineTool({
      description: 'Status of the tasks of this mission (or one task).',
      args: { taskId: ID.optional() },
      async execute({ taskId }, context) {
        const mission = requireMission(engine, context.sessionID)
        const tasks = taskId ? mission.tasks.filter((task) => task.id === taskId) : mission.tasks
        if (tasks.length === 0) return taskId ? `No task ${quote(taskId)} in this mission.` : 'No tasks yet.'
        return tasks.map((task) => {
          const preview = task.result ? `\n  ${task.result.slice(0, RESULT_PREVIEW).replaceAll('\n', '\n  ')}` : ''
          return `${taskLine(task)}${preview}`
        }).join('\n')
      },
    }),

    orchestrator_task_result: defineTool({
      description: 'The full final answer of one finished task.',
      args: { taskId: ID },
      async execute({ taskId }, context) {
        const mission = requireMission(engine, context.sessionID)
        const task = mission.tasks.find((item) => item.id === taskId)
        if (!task) throw new OrchestratorError({ code: 'task-not-found', message: `No task ${quote(taskId)} in this mission; orchestrator_task_status lists them.` })
        if (task.status === 'queued' || task.status === 'running') return `${taskLine(task)}\nStill ${task.status}; you will be told when it ends.`
        return `${taskLine(task)}\n\n${task.result ?? task.error?.message ?? '(no answer)'}`
      },
    }),

    orchestrator_task_cancel: defineTool({
      description: 'Cancel one queued or running task (its child session is aborted).',
      args: { taskId: ID, reason: z.string().min(1).max(500).optional() },
      async execute({ taskId, reason }, context) {
        const mission = requireMission(engine, context.sessionID)
        if (!mission.tasks.some((task) => task.id === taskId)) throw new OrchestratorError({ code: 'task-not-found', message: `No task ${quote(taskId)} in this mission.` })
        await engine.cancelTask(taskId, reason ?? `cancelled by the ${context.agent}`)
        return `Cancelled ${taskId}.`
      },
    }),

    orchestrator_todo_write: defineTool({
      description:
        'Write the mission plan: the full list of todos with dependencies. Existing ids keep their status; new items get ids. Example: {"todos":[{"title":"Add slugify module"},{"title":"Add tests","dependsOn":["t1"]}]}',
      args: {
        todos: z
          .array(
            z.object({
              id: ID.optional(),
              title: z.string().min(1),
              dependsOn: z.array(ID).max(100).optional(),
              note: z.string().min(1).optional(),
            }),
          )
          .max(500),
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
        id: ID,
        status: z.string().min(1).max(20).describe('pending | in_progress | done | failed | blocked'),
        evidence: z.string().min(1).optional(),
        note: z.string().min(1).optional(),
      },
      async execute(args, context) {
        const mission = requireMission(engine, context.sessionID)
        const todo = await todos.update(mission.id, args, { agent: context.agent, sessionId: context.sessionID })
        return `Todo ${todo.id} is now ${todo.status}.`
      },
    }),

    orchestrator_bg_run: defineTool({
      description:
        'Run a long shell command (install, test suite, build) in the background without blocking. Returns a job id at once; read its output with orchestrator_bg_output. Asks exactly the permissions OpenCode\'s bash tool asks for the same line (every command of it, and directories outside the project).',
      args: { command: z.string().min(1), cwd: z.string().min(1).optional().describe('Working directory (default: the project)') },
      async execute({ command, cwd: cwdArgument }, context) {
        const mission = requireMission(engine, context.sessionID)
        const cwd = resolve(context.directory, cwdArgument ?? '.')
        // Parsed as OpenCode's bash tool parses it; an unparseable line is refused here, never run.
        const request = await shell.analyze(command, { cwd, directory: context.directory, worktree: context.worktree })
        const refusal = checkShellLine?.(context.sessionID, request)
        if (refusal !== undefined) throw new OrchestratorError({ code: 'permission-denied', message: refusal })
        // OpenCode's own permission system decides, with the questions its bash tool would ask: never a side door.
        try {
          if (request.externalDirectories.length > 0) {
            const patterns = request.externalDirectories.map((directory) => `${directory}/*`)
            await context.ask({ permission: 'external_directory', patterns, always: patterns, metadata: { command, directories: request.externalDirectories, patterns, background: true } })
          }
          if (request.patterns.length > 0) {
            await context.ask({ permission: 'bash', patterns: request.patterns, always: request.always, metadata: { command, background: true } })
          }
        } catch (error) {
          throw new OrchestratorError({
            code: 'permission-denied',
            message: `Not run: permission to run ${quote(command)} was denied (${truncateForMessage(errorMessage(error), 300)}).`,
            cause: error,
          })
        }
        const job = await background.run({ missionId: mission.id, sessionId: context.sessionID, command, cwd })
        return `Started ${job.id} (pid ${job.pid}): ${truncateForMessage(command, 200)}\nRead its output with orchestrator_bg_output {"jobId":"${job.id}"}.`
      },
    }),

    orchestrator_bg_output: defineTool({
      description: 'Output of a background job: the tail, or only what is new since a byte offset.',
      args: { jobId: ID, tailBytes: z.number().int().positive().max(1_048_576).optional(), sinceByte: z.number().int().min(0).optional() },
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
      args: { jobId: ID },
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
      args: { key: KEY.describe('e.g. "express-auth-api"'), title: z.string().min(1).max(200), content: z.string().min(1), source: z.string().min(1).max(2000).optional() },
      async execute({ key, title, content, source }, context) {
        const mission = requireMission(engine, context.sessionID)
        const { evicted } = await docs.save(mission.id, { key, title, content, savedBy: context.sessionID, ...(source ? { source } : {}) })
        return `Saved docs '${key}'.${evicted.length > 0 ? ` Evicted to stay within the cache limits: ${evicted.join(', ')}.` : ''}`
      },
    }),

    orchestrator_docs_read: defineTool({
      description: "Read one entry of the mission's docs cache.",
      args: { key: KEY },
      async execute({ key }, context) {
        const mission = requireMission(engine, context.sessionID)
        const entry = await docs.read(mission.id, key)
        if (!entry) {
          const keys = (await docs.list(mission.id)).map((item) => item.key)
          return `No docs ${quote(key)}. Saved: ${keys.length > 0 ? truncateForMessage(keys.join(', '), 400) : 'none'}.`
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
