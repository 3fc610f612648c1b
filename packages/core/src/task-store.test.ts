import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { OrchestratorError } from './orchestrator-error'
import { createLogger, createMemoryStorage, systemClock } from './ports'
import type { LogLevel, Storage } from './ports'
import type { Task, TaskStatus } from './task'
import { createTaskStore } from './task-store'
import type { TaskStoreOptions } from './task-store'

let logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }>

function task(id: number | string, status: TaskStatus = 'completed', extra: Partial<Task> = {}): Task {
  return {
    id: typeof id === 'number' ? `task_${id}` : id,
    missionId: 'mission_1',
    agent: 'worker',
    title: `Task ${id}`,
    prompt: 'Do the thing',
    todoIds: ['todo_1'],
    status,
    priority: 0,
    parentSessionId: 'ses_root',
    depth: 1,
    createdAt: 1_700_000_000_000,
    ...extra,
  }
}

function store(options: Partial<TaskStoreOptions> & { storage: Storage }) {
  return createTaskStore({
    clock: systemClock,
    logger: createLogger((entry) => logs.push(entry)),
    archive: { directory: 'archive' },
    ...options,
  })
}

/** Every archived task, file by file in order. */
function archivedTasks(files: Record<string, string>): Task[] {
  return Object.keys(files)
    .filter((path) => path.startsWith('archive/'))
    .sort()
    .flatMap((path) =>
      files[path]!.split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Task),
    )
}

/** A storage whose appends fail while `broken` is set. */
function breakableStorage() {
  const inner = createMemoryStorage()
  const control = { broken: false, appends: 0 }
  const storage: Storage & { files(): Record<string, string> } = {
    ...inner,
    async append(path, content) {
      control.appends++
      if (control.broken) throw new Error('ENOSPC: no space left on device')
      await inner.append(path, content)
    },
  }
  return { storage, control }
}

beforeEach(() => {
  vi.useFakeTimers()
  logs = []
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createTaskStore', () => {
  it('keeps at most maxInMemory tasks and loses none: memory ∪ archive = everything inserted', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage })
    const inserted = Array.from({ length: 10_000 }, (_, index) => task(index + 1, index % 3 === 0 ? 'failed' : 'completed'))
    for (const item of inserted) tasks.put(item)
    await tasks.flush()

    const stats = tasks.stats()
    expect(stats.inMemory).toBeLessThanOrEqual(1000)
    const archived = archivedTasks(storage.files())
    expect(archived).toHaveLength(10_000 - stats.inMemory)
    expect(stats.archived).toBe(archived.length)

    const union = new Map<string, Task>()
    for (const item of archived) union.set(item.id, item)
    for (const item of tasks.list()) {
      expect(union.has(item.id)).toBe(false)
      union.set(item.id, item)
    }
    expect(union.size).toBe(10_000)
    for (const item of inserted) expect(union.get(item.id)).toEqual(item)
    // Oldest finished leave first: memory holds the newest ones.
    expect(tasks.get('task_10000')).toBeDefined()
    expect(tasks.get('task_1')).toBeUndefined()
  })

  it('never evicts live tasks, even beyond the bound', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, maxInMemory: 10 })
    for (let index = 1; index <= 15; index++) tasks.put(task(index, index % 2 ? 'running' : 'completed'))
    await tasks.flush()
    // The bound evicts only down to the bound: 8 live + the 2 newest finished.
    expect(tasks.stats()).toMatchObject({ inMemory: 10, live: 8, archived: 5 })
    for (let index = 16; index <= 20; index++) tasks.put(task(index, 'queued'))
    await tasks.flush()
    // 13 live tasks: over the bound, and no finished task is left to evict.
    expect(tasks.list().map((item) => item.status)).toEqual([...Array(8).fill('running'), ...Array(5).fill('queued')])
    // Finishing a task lets it go at once, since the store is over the bound.
    tasks.put(task(1, 'completed', { result: 'done' }))
    await tasks.flush()
    expect(tasks.get('task_1')).toBeUndefined()
    expect(await tasks.find('task_1')).toMatchObject({ status: 'completed', result: 'done' })
    expect(tasks.stats().live).toBe(12)
  })

  it('archives finished tasks after the TTL and keeps no timer when nothing is finished', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, ttlMs: 60 * 60_000 })
    tasks.put(task('live', 'running'))
    expect(vi.getTimerCount()).toBe(0)
    tasks.put(task('early'))
    vi.advanceTimersByTime(10 * 60_000)
    tasks.put(task('late'))
    expect(vi.getTimerCount()).toBe(1)

    vi.advanceTimersByTime(50 * 60_000 - 1)
    await tasks.flush()
    expect(tasks.get('early')).toBeDefined()
    vi.advanceTimersByTime(1)
    await tasks.flush()
    expect(tasks.get('early')).toBeUndefined()
    expect(tasks.get('late')).toBeDefined()

    vi.advanceTimersByTime(10 * 60_000)
    await tasks.flush()
    expect(tasks.list().map((item) => item.id)).toEqual(['live'])
    expect(archivedTasks(storage.files()).map((item) => item.id)).toEqual(['early', 'late'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('restarts the TTL when a finished task is put again', async () => {
    const tasks = store({ storage: createMemoryStorage(), ttlMs: 1000 })
    tasks.put(task('a'))
    vi.advanceTimersByTime(800)
    tasks.put(task('a', 'completed', { result: 'updated' }))
    vi.advanceTimersByTime(800)
    await tasks.flush()
    expect(tasks.get('a')?.result).toBe('updated')
    vi.advanceTimersByTime(200)
    await tasks.flush()
    expect(tasks.get('a')).toBeUndefined()
    expect(await tasks.findArchived('a')).toMatchObject({ result: 'updated' })
  })

  it('rotates archive files by size and keeps only the newest maxFiles', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, maxInMemory: 1, archive: { directory: 'archive', maxFileBytes: 1000, maxFiles: 3 } })
    const lineBytes = JSON.stringify(task(100)).length + 1
    for (let index = 100; index < 160; index++) tasks.put(task(index))
    await tasks.flush()

    const files = storage.files()
    const names = Object.keys(files).sort()
    expect(names).toHaveLength(3)
    const perFile = Math.floor(1000 / lineBytes)
    const totalFiles = Math.ceil(59 / perFile)
    expect(names).toEqual([totalFiles - 2, totalFiles - 1, totalFiles].map((n) => `archive/tasks-${String(n).padStart(6, '0')}.jsonl`))
    for (const name of names) expect(new TextEncoder().encode(files[name]).byteLength).toBeLessThanOrEqual(1000)
    // The kept files hold the newest evicted tasks, in order.
    const kept = archivedTasks(files).map((item) => item.id)
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, offset) => `task_${159 - kept.length + offset}`))
    expect(logs.filter((entry) => entry.message.includes('retention'))).toHaveLength(totalFiles - 3)
    expect(await tasks.findArchived('task_100')).toBeUndefined()
    expect(await tasks.findArchived('task_158')).toMatchObject({ id: 'task_158' })
  })

  it('puts an oversized task alone in its own file and keeps every file when maxFiles is 0', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, maxInMemory: 1, archive: { directory: 'archive', maxFileBytes: 300, maxFiles: 0 } })
    tasks.put(task(1))
    tasks.put(task(2, 'completed', { result: 'é'.repeat(400) }))
    tasks.put(task(3))
    tasks.put(task(4))
    await tasks.flush()
    const files = storage.files()
    expect(Object.keys(files).sort()).toEqual(['archive/tasks-000001.jsonl', 'archive/tasks-000002.jsonl', 'archive/tasks-000003.jsonl'])
    expect(archivedTasks(files).map((item) => item.id)).toEqual(['task_1', 'task_2', 'task_3'])
  })

  it('continues the newest archive file of a previous run', async () => {
    const storage = createMemoryStorage({ 'archive/tasks-000004.jsonl': `${JSON.stringify(task('old'))}\n`, 'archive/notes.txt': 'x' })
    const tasks = store({ storage, maxInMemory: 1 })
    tasks.put(task('a'))
    tasks.put(task('b'))
    await tasks.flush()
    expect(storage.files()['archive/tasks-000004.jsonl']!.split('\n').filter(Boolean)).toHaveLength(2)
    expect(await tasks.findArchived('old')).toMatchObject({ id: 'old' })
  })

  it('keeps a task in memory when its archive write fails, logs it, and archives it later', async () => {
    const { storage, control } = breakableStorage()
    const tasks = store({ storage, maxInMemory: 2, retryDelayMs: 5000 })
    control.broken = true
    for (let index = 1; index <= 5; index++) tasks.put(task(index))
    await tasks.flush()
    expect(tasks.list().map((item) => item.id)).toEqual(['task_1', 'task_2', 'task_3', 'task_4', 'task_5'])
    expect(tasks.stats()).toMatchObject({ failedWrites: 1, archived: 0, archiving: 0 })
    const error = logs.find((entry) => entry.level === 'error')
    expect(error?.fields).toMatchObject({ tasks: 3, error: 'ENOSPC: no space left on device' })

    // No new write until the retry delay has passed, however many tasks arrive.
    const appends = control.appends
    tasks.put(task(6))
    await tasks.flush()
    expect(control.appends).toBe(appends)

    control.broken = false
    vi.advanceTimersByTime(5000)
    await tasks.flush()
    expect(tasks.list().map((item) => item.id)).toEqual(['task_5', 'task_6'])
    expect(archivedTasks(storage.files()).map((item) => item.id)).toEqual(['task_1', 'task_2', 'task_3', 'task_4'])
  })

  it('keeps the newer version when a task is put again while its old version is being written', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, maxInMemory: 1 })
    tasks.put(task('a'))
    tasks.put(task('b'))
    // `a` is now handed to the writer; a newer `a` arrives before the write lands.
    tasks.put(task('a', 'completed', { result: 'v2' }))
    await tasks.flush()
    // The old version landed in the archive, but memory keeps the newer one.
    expect(tasks.get('a')).toMatchObject({ result: 'v2' })
    expect(await tasks.find('a')).toMatchObject({ result: 'v2' })
    expect((await tasks.findArchived('a'))?.result).toBeUndefined()
    // Once the newer one is archived too, the archive answers with the newest line.
    tasks.put(task('c'))
    await tasks.flush()
    expect(tasks.get('a')).toBeUndefined()
    expect(await tasks.findArchived('a')).toMatchObject({ result: 'v2' })
  })

  it('finds tasks in memory and in the archive, skipping unreadable lines', async () => {
    const storage = createMemoryStorage({
      'archive/tasks-000001.jsonl': `{"id":"broken"\n${JSON.stringify(task('x', 'failed'))}\n`,
    })
    const tasks = store({ storage })
    tasks.put(task('m', 'running'))
    expect(await tasks.find('m')).toMatchObject({ id: 'm', status: 'running' })
    expect(await tasks.find('x')).toMatchObject({ id: 'x', status: 'failed' })
    expect(await tasks.find('broken')).toBeUndefined()
    expect(await tasks.find('nope')).toBeUndefined()
    expect(logs.some((entry) => entry.level === 'warn' && entry.fields['line'] === 1)).toBe(true)
    expect(tasks.list({ status: 'running' })).toHaveLength(1)
    expect(tasks.list({ missionId: 'other' })).toHaveLength(0)
  })

  it('disposes: waits for writes, clears the timer and refuses new tasks', async () => {
    const storage = createMemoryStorage()
    const tasks = store({ storage, maxInMemory: 1 })
    tasks.put(task(1))
    tasks.put(task(2))
    expect(vi.getTimerCount()).toBe(1)
    await tasks.dispose()
    expect(vi.getTimerCount()).toBe(0)
    expect(archivedTasks(storage.files()).map((item) => item.id)).toEqual(['task_1'])
    let caught: unknown
    try {
      tasks.put(task(3))
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.hasCode(caught, 'disposed')).toBe(true)
  })

  it('rejects bad options and bad tasks, naming the field', () => {
    const storage = createMemoryStorage()
    expect(() => store({ storage, maxInMemory: 0 })).toThrowError(/maxInMemory: got 0/)
    expect(() => store({ storage, archive: { directory: 'a', maxFileBytes: 1.5 } })).toThrowError(/archive\.maxFileBytes/)
    expect(() => store({ storage }).put(task(''))).toThrowError(/task\.id: got ""/)
  })
})
