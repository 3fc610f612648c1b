import { OrchestratorError, errorMessage } from './orchestrator-error'
import type { Clock, Logger, Storage, TimerHandle } from './ports'
import { isTaskFinal } from './task'
import type { Task, TaskStatus } from './task'
import { createArchiveFiles, fileName, utf8Length } from './task-store/archive-files'

/** Where and how evicted tasks are archived. */
export interface TaskArchiveOptions {
  /** Archive directory inside the storage root, e.g. `tasks`. Files are named `tasks-000001.jsonl`, … */
  directory: string
  /** A file is closed and a new one started before it would grow past this many bytes (default 5,242,880). */
  maxFileBytes?: number
  /** Only the newest this many archive files are kept; older ones are deleted (default 20; 0 = keep all). */
  maxFiles?: number
}

export interface TaskStoreOptions {
  /** Time source for TTLs and retry delays. */
  clock: Clock
  /** Where the archive lives; writes go through `append`, rotation through `list`/`size`/`remove`. */
  storage: Storage
  logger: Logger
  /** Tasks kept in memory before the oldest finished ones are archived (default 1000). Live tasks are never evicted. */
  maxInMemory?: number
  /** Finished tasks are archived this long after their last `put`, in ms (default 3,600,000). */
  ttlMs?: number
  /** After a failed archive write, no new write is tried for this long, in ms (default 10,000). */
  retryDelayMs?: number
  archive: TaskArchiveOptions
}

export interface TaskStoreStats {
  /** Tasks in memory, including those being written to the archive. */
  inMemory: number
  /** Queued or running tasks in memory. */
  live: number
  /** Tasks handed to the archive writer and not yet confirmed. */
  archiving: number
  /** Tasks this store has written to the archive. */
  archived: number
  /** Archive writes that failed (their tasks stayed in memory). */
  failedWrites: number
}

export interface TaskFilter {
  missionId?: string
  status?: TaskStatus
}

/**
 * Bounded task memory with a JSONL archive. Every finished task is either in
 * memory or in the archive: a task leaves memory only after its archive line
 * was written. Tasks are values: `put` a new object to change one.
 */
export interface TaskStore {
  /** Inserts or replaces a task (by id). Throws `disposed` after {@link TaskStore.dispose}. */
  put(task: Task): void
  /** A task held in memory. */
  get(id: string): Task | undefined
  /** Tasks held in memory, in insertion order. */
  list(filter?: TaskFilter): Task[]
  /** A task from memory, else from the archive. */
  find(id: string): Promise<Task | undefined>
  /** The newest archived version of a task, searching newest files first. */
  findArchived(id: string): Promise<Task | undefined>
  /** Resolves when every archive write started so far has finished. */
  flush(): Promise<void>
  stats(): TaskStoreStats
  /** Stops the TTL timer, refuses new tasks and waits for pending writes. */
  dispose(): Promise<void>
}

interface Entry {
  readonly task: Task
  /** Clock time of the put that made it finished; undefined while live. */
  readonly finishedAt: number | undefined
  archiving: boolean
}

function positiveInteger(value: number, field: string, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `Task store option ${field}: got ${JSON.stringify(value)}, expected a whole number ≥ ${minimum}.`,
      details: { field, value },
    })
  }
  return value
}

/**
 * Creates a task store. Finished tasks leave memory after `ttlMs` or, when more
 * than `maxInMemory` tasks are held, oldest finished first; they are appended to
 * the archive as one JSON line each, in size-rotated files.
 *
 * @example
 * const tasks = createTaskStore({ clock, storage, logger, archive: { directory: 'tasks' } })
 * tasks.put(task)
 * const old = await tasks.find('task_42')
 */
export function createTaskStore(options: TaskStoreOptions): TaskStore {
  const { clock, storage, logger } = options
  const maxInMemory = positiveInteger(options.maxInMemory ?? 1000, 'maxInMemory', 1)
  const ttlMs = positiveInteger(options.ttlMs ?? 3_600_000, 'ttlMs', 1)
  const retryDelayMs = positiveInteger(options.retryDelayMs ?? 10_000, 'retryDelayMs', 0)
  const maxFileBytes = positiveInteger(options.archive.maxFileBytes ?? 5_242_880, 'archive.maxFileBytes', 1)
  const maxFiles = positiveInteger(options.archive.maxFiles ?? 20, 'archive.maxFiles', 0)
  const directory = options.archive.directory.replace(/\/+$/, '')
  const files = createArchiveFiles({ storage, logger, directory, maxFiles })
  const { pathOf, archiveFiles, applyRetention } = files

  const entries = new Map<string, Entry>()
  /** Finished entries not yet handed to the writer, oldest first (so `finishedAt` ascends). */
  let finished = new Map<string, Entry>()
  let pending: Entry[] = []
  let archivingCount = 0
  let archivedCount = 0
  let failedWrites = 0
  /** No new archive write starts before this clock time (set after a failure). */
  let retryAfter = Number.NEGATIVE_INFINITY
  let timer: TimerHandle | undefined
  let timerDue: number | undefined
  let disposed = false
  /** Every archive operation runs on this chain, so writes, rotation and reads never interleave. */
  let chain: Promise<void> = Promise.resolve()
  let writeQueued = false
  let currentFile: { index: number; size: number } | undefined

  const enqueue = <Result>(operation: () => Promise<Result>): Promise<Result> => {
    const result = chain.then(operation)
    chain = result.then(
      () => undefined,
      () => undefined,
    )
    return result
  }

  const openCurrentFile = async (): Promise<{ index: number; size: number }> => {
    if (currentFile) return currentFile
    const last = (await archiveFiles()).at(-1)
    const index = last?.index ?? 1
    currentFile = { index, size: (await storage.size(pathOf(fileName(index)))) ?? 0 }
    return currentFile
  }

  /** Confirms a written entry: it leaves memory unless a newer version was put meanwhile. */
  const settleWritten = (entry: Entry) => {
    entry.archiving = false
    archivingCount--
    archivedCount++
    if (entries.get(entry.task.id) === entry) entries.delete(entry.task.id)
  }

  /** A write failed: the entries stay in memory, first in line for the next attempt. */
  const settleFailed = (failed: Entry[], error: unknown, file: string) => {
    failedWrites++
    currentFile = undefined
    retryAfter = clock.now() + retryDelayMs
    const kept: Array<[string, Entry]> = []
    for (const entry of failed) {
      entry.archiving = false
      archivingCount--
      if (entries.get(entry.task.id) === entry) kept.push([entry.task.id, entry])
    }
    finished = new Map([...kept, ...finished])
    logger.log('error', 'task archive write failed; the tasks stay in memory and are retried later', {
      file,
      tasks: failed.length,
      retryInMs: retryDelayMs,
      error: errorMessage(error),
    })
  }

  const writeBatch = async () => {
    writeQueued = false
    const batch = pending
    pending = []
    if (batch.length === 0) return
    let file: { index: number; size: number }
    try {
      file = await openCurrentFile()
    } catch (error) {
      settleFailed(batch, error, directory)
      return
    }
    let rotated = false
    let chunk: Entry[] = []
    let chunkText = ''
    let chunkBytes = 0
    let written = 0
    const writeChunk = async (): Promise<boolean> => {
      if (chunk.length === 0) return true
      const path = pathOf(fileName(file.index))
      try {
        await storage.append(path, chunkText)
      } catch (error) {
        settleFailed(batch.slice(written), error, path)
        return false
      }
      file.size += chunkBytes
      for (const entry of chunk) settleWritten(entry)
      written += chunk.length
      chunk = []
      chunkText = ''
      chunkBytes = 0
      return true
    }
    for (const entry of batch) {
      const line = `${JSON.stringify(entry.task)}\n`
      const bytes = utf8Length(line)
      if (file.size + chunkBytes > 0 && file.size + chunkBytes + bytes > maxFileBytes) {
        if (!(await writeChunk())) return
        file.index++
        file.size = 0
        rotated = true
      }
      chunk.push(entry)
      chunkText += line
      chunkBytes += bytes
    }
    if (!(await writeChunk())) return
    if (rotated) await applyRetention()
  }

  const startWrites = () => {
    if (writeQueued || pending.length === 0) return
    writeQueued = true
    void enqueue(writeBatch).then(afterWrite, (error: unknown) => {
      // writeBatch handles storage errors itself; anything else is a bug worth seeing.
      logger.log('error', 'task archive writer crashed', { error: errorMessage(error) })
      afterWrite()
    })
  }

  const handOver = (entry: Entry) => {
    finished.delete(entry.task.id)
    entry.archiving = true
    archivingCount++
    pending.push(entry)
  }

  /** Hands expired and surplus finished tasks to the writer, then re-arms the TTL timer. */
  const evict = () => {
    const now = clock.now()
    if (now >= retryAfter) {
      for (const entry of finished.values()) {
        if (entry.finishedAt! + ttlMs > now) break
        handOver(entry)
      }
      while (entries.size - archivingCount > maxInMemory && finished.size > 0) {
        handOver(finished.values().next().value!)
      }
      startWrites()
    }
    armTimer(now)
  }

  function afterWrite() {
    // A failure may have put tasks back; a success may have made room. Either way, look again.
    if (!disposed) evict()
  }

  function armTimer(now: number) {
    const oldest = finished.values().next().value
    let due: number | undefined
    if (!disposed && oldest !== undefined) {
      due = oldest.finishedAt! + ttlMs
      // Over the bound after a failed write: try again as soon as the retry delay allows, not only at the TTL.
      if (entries.size - archivingCount > maxInMemory) due = Math.min(due, retryAfter)
      due = Math.max(due, retryAfter)
    }
    if (due === timerDue) return
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    timerDue = due
    if (due !== undefined) {
      timer = clock.setTimeout(
        () => {
          timer = undefined
          timerDue = undefined
          evict()
        },
        Math.max(0, due - now),
      )
    }
  }

  const findArchived = (id: string): Promise<Task | undefined> => enqueue(() => files.find(id))

  async function flush(): Promise<void> {
    // Writes may queue follow-up work (new evictions after a write); wait until the chain is quiet.
    let seen: Promise<void> | undefined
    while (seen !== chain) {
      seen = chain
      await seen
    }
  }

  return {
    put(task) {
      if (disposed) {
        throw new OrchestratorError({ code: 'disposed', message: `Cannot store task ${task.id}: the task store was disposed.` })
      }
      if (typeof task.id !== 'string' || task.id.length === 0) {
        throw new OrchestratorError({
          code: 'invalid-argument',
          message: `Task store: task.id: got ${JSON.stringify(task.id)}, expected a non-empty string.`,
          details: { field: 'id', value: task.id },
        })
      }
      const previous = entries.get(task.id)
      if (previous !== undefined && !previous.archiving) finished.delete(task.id)
      const entry: Entry = { task, finishedAt: isTaskFinal(task) ? clock.now() : undefined, archiving: false }
      entries.set(task.id, entry)
      if (entry.finishedAt === undefined) {
        // Live tasks never trigger eviction; only a finished put or a full store does.
        if (entries.size - archivingCount <= maxInMemory) return
      } else {
        finished.set(task.id, entry)
      }
      if (timer === undefined || entries.size - archivingCount > maxInMemory) evict()
    },
    get: (id) => entries.get(id)?.task,
    list(filter) {
      const tasks: Task[] = []
      for (const { task } of entries.values()) {
        if (filter?.missionId !== undefined && task.missionId !== filter.missionId) continue
        if (filter?.status !== undefined && task.status !== filter.status) continue
        tasks.push(task)
      }
      return tasks
    },
    async find(id) {
      return entries.get(id)?.task ?? (await findArchived(id))
    },
    findArchived,
    flush,
    stats() {
      let live = 0
      for (const { finishedAt } of entries.values()) if (finishedAt === undefined) live++
      return { inMemory: entries.size, live, archiving: archivingCount, archived: archivedCount, failedWrites }
    },
    async dispose() {
      disposed = true
      armTimer(clock.now())
      await flush()
    },
  }
}
