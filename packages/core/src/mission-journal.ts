import { z } from 'zod'
import { MISSION_JOURNAL_VERSION, type MissionRecord } from './mission'
import { OrchestratorError, errorMessage } from './orchestrator-error'
import type { Clock, Logger, Storage } from './ports'
import { TODO_STATUSES } from './todo'

/** Built on first use: constructing zod schemas costs milliseconds at import, and most starts read no journal. */
function buildMissionRecordSchema() {
  const modelSchema = z.object({ providerId: z.string(), modelId: z.string() })

  const todoSchema = z.object({
    id: z.string().min(1),
    title: z.string(),
    status: z.enum(TODO_STATUSES),
    dependsOn: z.array(z.string()),
    assignee: z.object({ agent: z.string().optional(), sessionId: z.string().optional() }).optional(),
    evidence: z
      .object({ summary: z.string(), reviewerSessionId: z.string().optional(), recordedAt: z.number() })
      .optional(),
    note: z.string().optional(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })

  const overlapsSchema = z.array(z.object({ file: z.string(), taskIds: z.array(z.string()) }))
  const workspaceSchema = z.object({ path: z.string().min(1), branch: z.string().min(1), base: z.string().min(1), slot: z.string().min(1) })
  const settlementSchema = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('merged'), files: z.array(z.string()), commit: z.string(), overlaps: overlapsSchema }),
    z.object({ kind: z.literal('unchanged'), overlaps: overlapsSchema }),
    z.object({ kind: z.literal('conflict'), files: z.array(z.string()), withTaskIds: z.array(z.string()), branch: z.string(), overlaps: overlapsSchema }),
    z.object({ kind: z.literal('kept'), reason: z.string(), branch: z.string(), path: z.string().optional(), overlaps: overlapsSchema }),
  ])
  const leftSchema = z.object({ branch: z.string(), path: z.string().optional(), taskId: z.string().optional(), reason: z.string() })
  const missionWorkspacesSchema = z.object({
    fallback: z.string().optional(),
    end: z
      .object({
        landing: z
          .discriminatedUnion('kind', [
            z.object({ kind: z.literal('merged'), branch: z.string(), into: z.string() }),
            z.object({ kind: z.literal('branch'), branch: z.string(), reason: z.string().optional() }),
          ])
          .optional(),
        left: z.array(leftSchema),
      })
      .optional(),
  })

  const taskSchema = z.object({
    id: z.string().min(1),
    missionId: z.string(),
    agent: z.string(),
    title: z.string(),
    prompt: z.string(),
    todoIds: z.array(z.string()),
    status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
    priority: z.number(),
    parentSessionId: z.string(),
    sessionId: z.string().optional(),
    depth: z.number().int().min(0),
    model: modelSchema.optional(),
    createdAt: z.number(),
    startedAt: z.number().optional(),
    endedAt: z.number().optional(),
    result: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    isolation: z.enum(['worktree', 'none']).optional(),
    workspace: workspaceSchema.optional(),
    settlement: settlementSchema.optional(),
  })

  const missionRecordSchema = z.object({
    version: z.literal(MISSION_JOURNAL_VERSION),
    id: z.string().min(1),
    rootSessionId: z.string().min(1),
    goal: z.string(),
    state: z.enum(['planning', 'dispatching', 'waiting', 'reviewing', 'sealed', 'stopped', 'failed']),
    createdAt: z.number(),
    updatedAt: z.number(),
    generation: z.number().int().min(0),
    budgets: z.object({
      maxIterations: z.number(),
      maxWallTimeMs: z.number(),
      maxChildSessions: z.number(),
      maxDepth: z.number(),
      maxBreadth: z.number(),
      maxTokens: z.number(),
      maxCostUsd: z.number(),
    }),
    counters: z.object({
      iterations: z.number(),
      idleTurnsWithoutProgress: z.number(),
      lastContinuationAt: z.number().optional(),
      childSessions: z.number(),
      tokens: z.number(),
      costUsd: z.number(),
    }),
    progressKey: z.string(),
    todos: z.array(todoSchema),
    tasks: z.array(taskSchema),
    sessions: z.array(
      z.object({
        sessionId: z.string(),
        agent: z.string(),
        depth: z.number(),
        taskId: z.string().optional(),
        parentSessionId: z.string().optional(),
      }),
    ),
    pendingWakes: z.record(z.string(), z.array(z.string())),
    pausedReason: z.string().optional(),
    pinnedModel: modelSchema.optional(),
    end: z
      .object({
        at: z.number(),
        reason: z.string(),
        budget: z.enum(['iterations', 'wallTime', 'childSessions', 'depth', 'breadth', 'tokens', 'cost']).optional(),
      })
      .optional(),
    workspaces: missionWorkspacesSchema.optional(),
  })
  return missionRecordSchema
}

let missionRecordSchema: ReturnType<typeof buildMissionRecordSchema> | undefined

/**
 * Why a journal's todos cannot form a plan — a repeated id, a dependency on a todo that is not
 * there, or a dependency cycle — or `undefined`. Every todo tool would fail on such a list, so it
 * is refused at load like any other malformed journal. (Core cannot use todo-engine's graph.)
 */
function todoGraphProblem(todos: ReadonlyArray<{ id: string; dependsOn: readonly string[] }>): string | undefined {
  const byId = new Map<string, readonly string[]>()
  for (const todo of todos) {
    if (byId.has(todo.id)) return `todo id ${todo.id} appears twice`
    byId.set(todo.id, todo.dependsOn)
  }
  for (const todo of todos) {
    const missing = todo.dependsOn.find((id) => !byId.has(id))
    if (missing !== undefined) return `todo ${todo.id} depends on ${missing}, which is not in the list`
  }
  // Iterative depth-first search; 1 = on the current path, 2 = done.
  const state = new Map<string, 1 | 2>()
  for (const start of byId.keys()) {
    if (state.has(start)) continue
    const path = [start]
    const cursors = [0]
    state.set(start, 1)
    while (path.length > 0) {
      const top = path.length - 1
      const id = path[top]!
      const next = byId.get(id)![cursors[top]!]
      if (next === undefined) {
        state.set(id, 2)
        path.pop()
        cursors.pop()
        continue
      }
      cursors[top]!++
      if (state.get(next) === 1) return `the todos' dependencies form a cycle ${[...path.slice(path.indexOf(next)), next].join(' → ')}`
      if (!state.has(next)) {
        state.set(next, 1)
        path.push(next)
        cursors.push(0)
      }
    }
  }
  return undefined
}

/** A journal file that could not be loaded. Other missions load regardless. */
export interface JournalProblem {
  file: string
  error: OrchestratorError
  /** Where the unreadable file was moved, when it was quarantined. */
  quarantinedAs?: string
}

export interface MissionJournal {
  /**
   * Persists the record. Writes of one mission are serialised and coalesced: the latest state always
   * lands. The record is serialised when it is written, not when `save` is called, so a burst of saves
   * (every token update of a busy mission) costs one serialisation per write.
   */
  save(record: MissionRecord): void
  /** Resolves once every requested write has landed. */
  flush(): Promise<void>
  /** Every readable record, plus the problems with the others. */
  loadAll(): Promise<{ records: MissionRecord[]; problems: JournalProblem[] }>
}

export interface CreateMissionJournalOptions {
  storage: Storage
  clock: Pick<Clock, 'now'>
  logger: Logger
  /** Folder inside the storage root. Default `missions`. */
  directory?: string
  /**
   * A mission's journal could not be written (read-only or full disk, a link refused, …): called
   * once when its writes start failing, not on every retry. The unwritten record stays queued and
   * is written by the next save; the file on disk keeps the last state that landed.
   */
  onWriteFailure?: (failure: { missionId: string; file: string; error: OrchestratorError }) => void
  /** Writes of a mission that failed before have landed again. */
  onWriteRecovered?: (missionId: string) => void
}

/** Parses one journal file; throws `journal-corrupt` or `journal-version` with the file named. */
export function parseMissionJournal(content: string, file: string): MissionRecord {
  let raw: unknown
  try {
    raw = JSON.parse(content)
  } catch (error) {
    throw new OrchestratorError({
      code: 'journal-corrupt',
      message: `Mission journal ${file} is not valid JSON (${errorMessage(error)}); it was probably cut off by a crash.`,
      cause: error,
      details: { file },
    })
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined
  if (typeof version === 'number' && version > MISSION_JOURNAL_VERSION) {
    throw new OrchestratorError({
      code: 'journal-version',
      message: `Mission journal ${file} has schema version ${version}, but this orchestrator reads version ${MISSION_JOURNAL_VERSION}. Upgrade opencode-orchestrator to resume it.`,
      details: { file, version },
    })
  }
  // `jitless`: each record is read once, at start; compiling zod's fast path for one parse costs more than it saves.
  const parsed = (missionRecordSchema ??= buildMissionRecordSchema()).safeParse(raw, { jitless: true })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new OrchestratorError({
      code: 'journal-corrupt',
      message: `Mission journal ${file} is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}.`,
      cause: parsed.error,
      details: { file },
    })
  }
  const graphProblem = todoGraphProblem(parsed.data.todos)
  if (graphProblem !== undefined) {
    throw new OrchestratorError({
      code: 'journal-corrupt',
      message: `Mission journal ${file} is malformed at todos: ${graphProblem}.`,
      details: { file },
    })
  }
  return parsed.data as MissionRecord
}

export function createMissionJournal({ storage, clock, logger, directory = 'missions', onWriteFailure, onWriteRecovered }: CreateMissionJournalOptions): MissionJournal {
  const pathOf = (missionId: string) => `${directory}/${missionId}.json`
  /** Record to write per mission (serialised at write time), and the write chain per mission. */
  const pending = new Map<string, MissionRecord>()
  const chains = new Map<string, Promise<void>>()
  /** Missions whose last write failed. */
  const failing = new Set<string>()
  const report = (name: string, call: () => void) => {
    try {
      call()
    } catch (error) {
      logger.log('error', `mission journal ${name} listener failed`, { error: errorMessage(error) })
    }
  }

  /**
   * Writes the newest content until none is left. The chain leaves `chains` in the same
   * synchronous step that finds nothing pending: a save arriving after that step starts a new
   * chain, and one arriving before it is written by this one. (Deleting it later, in a
   * `.finally`, dropped a save that landed in between: the last transition never reached disk.)
   */
  const drain = async (missionId: string): Promise<void> => {
    for (;;) {
      const record = pending.get(missionId)
      if (record === undefined) {
        chains.delete(missionId)
        return
      }
      pending.delete(missionId)
      try {
        await storage.write(pathOf(missionId), JSON.stringify(record, null, 2))
      } catch (error) {
        // Keep the record queued unless something newer arrived meanwhile, so the next save retries it.
        if (!pending.has(missionId)) pending.set(missionId, record)
        chains.delete(missionId)
        logger.log('error', 'mission journal write failed', { missionId, error: errorMessage(error) })
        if (!failing.has(missionId)) {
          failing.add(missionId)
          const file = pathOf(missionId)
          const problem = OrchestratorError.isInstance(error)
            ? error
            : new OrchestratorError({ code: 'storage-failed', message: `Could not write ${file}: ${errorMessage(error)}`, cause: error, details: { file } })
          if (onWriteFailure) report('write-failure', () => onWriteFailure({ missionId, file, error: problem }))
        }
        return
      }
      if (failing.delete(missionId) && onWriteRecovered) report('write-recovered', () => onWriteRecovered(missionId))
    }
  }

  return {
    save(record) {
      pending.set(record.id, record)
      if (chains.has(record.id)) return
      // Registered before the drain runs, so a storage that throws synchronously cannot leave a stale chain behind.
      chains.set(record.id, Promise.resolve().then(() => drain(record.id)))
    },
    async flush() {
      while (chains.size > 0) await Promise.all([...chains.values()])
    },
    async loadAll() {
      const records: MissionRecord[] = []
      const problems: JournalProblem[] = []
      for (const name of await storage.list(directory)) {
        if (!name.endsWith('.json')) continue
        const file = `${directory}/${name}`
        try {
          const content = await storage.read(file)
          if (content === undefined) continue
          records.push(parseMissionJournal(content, file))
        } catch (error) {
          const problem = OrchestratorError.isInstance(error)
            ? error
            : new OrchestratorError({ code: 'storage-failed', message: `Could not read ${file}: ${errorMessage(error)}`, cause: error })
          const entry: JournalProblem = { file, error: problem }
          if (problem.code === 'journal-corrupt' || problem.code === 'journal-version') {
            // Quarantine: keep the bytes for a human, out of the way of the loader, so the same file
            // does not fail every start. A newer version's file goes back once the user upgrades.
            const newer = problem.code === 'journal-version'
            const target = `${file}.${newer ? 'newer' : 'corrupt'}-${clock.now()}`
            try {
              await storage.rename(file, target)
              entry.quarantinedAs = target
              const advice = newer
                ? `It was moved to ${target} so the other missions load; after upgrading, rename it back to ${file} to resume that mission.`
                : `It was moved to ${target} (kept for inspection) so the other missions load; that mission cannot be resumed: start it again.`
              entry.error = new OrchestratorError({ code: problem.code, message: `${problem.message} ${advice}`, cause: problem.cause ?? problem, details: { ...problem.details, quarantinedAs: target } })
            } catch (renameError) {
              logger.log('error', 'could not quarantine the mission journal', { file, error: errorMessage(renameError) })
            }
          }
          logger.log('error', entry.error.message, { file, code: entry.error.code, quarantinedAs: entry.quarantinedAs })
          problems.push(entry)
        }
      }
      return { records, problems }
    },
  }
}
