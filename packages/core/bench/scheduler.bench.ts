/**
 * Scheduler and task store benchmarks (run by `pnpm bench` from the root).
 *
 * - dispatch overhead: µs per task for request → grant → release, uncontended
 *   and through a long queue with keys, priorities and missions mixed;
 * - heap growth after 10,000 tasks have gone through scheduler + task store.
 */
import { createLogger, createScheduler, createTaskStore, systemClock } from '../src/index'
import type { Scheduler, SchedulerRequest, Storage, Task } from '../src/index'

type Report = (name: string, value: number, unit: string, target?: number) => void

const logger = createLogger(() => {})

/** Storage that keeps file sizes but drops content: the archive lives on disk in production, not in the heap. */
function sizeOnlyStorage(): Storage {
  const sizes = new Map<string, number>()
  const directoryOf = (path: string) => path.slice(0, Math.max(0, path.lastIndexOf('/')))
  return {
    read: async () => undefined,
    write: async (path, content) => void sizes.set(path, content.length),
    append: async (path, content) => void sizes.set(path, (sizes.get(path) ?? 0) + content.length),
    list: async (directory) => [...sizes.keys()].filter((path) => directoryOf(path) === directory).map((path) => path.slice(directory.length + 1)),
    size: async (path) => sizes.get(path),
    rename: async (from, to) => {
      sizes.set(to, sizes.get(from) ?? 0)
      sizes.delete(from)
    },
    remove: async (path) => void sizes.delete(path),
  }
}

function requests(count: number, prefix: string, shape: (index: number) => Partial<SchedulerRequest> = () => ({})): SchedulerRequest[] {
  return Array.from({ length: count }, (_, index) => ({
    taskId: `${prefix}_${index}`,
    missionId: 'mission_1',
    parentSessionId: `ses_${index % 1000}`,
    agent: 'worker',
    depth: 1,
    ...shape(index),
  }))
}

/** Request, await the grant, release — one after another. */
async function sequential(scheduler: Scheduler, batch: SchedulerRequest[]): Promise<number> {
  const start = performance.now()
  for (const request of batch) (await scheduler.request(request).granted).release()
  return ((performance.now() - start) * 1000) / batch.length
}

/** Everything requested at once; each grant is released as soon as it arrives, which grants the next. */
async function queued(scheduler: Scheduler, batch: SchedulerRequest[]): Promise<number> {
  const start = performance.now()
  const done = batch.map((request) => scheduler.request(request).granted.then((lease) => void lease.release()))
  await Promise.all(done)
  return ((performance.now() - start) * 1000) / batch.length
}

/** Median of several rounds: the machine may be busy with other work, and one slow round should not decide. */
async function median(rounds: number, measure: (round: number) => Promise<number>): Promise<number> {
  const values: number[] = []
  for (let round = 0; round < rounds; round++) values.push(await measure(round))
  values.sort((a, b) => a - b)
  return values[Math.floor(values.length / 2)]!
}

function collect(): number {
  globalThis.gc?.()
  globalThis.gc?.()
  return process.memoryUsage().heapUsed
}

function task(index: number, status: Task['status'], now: number): Task {
  return {
    id: `task_${index}`,
    missionId: `mission_${index % 10}`,
    agent: 'worker',
    title: `Implement part ${index} of the feature`,
    prompt: `Implement part ${index}. Follow the plan in docs/plan.md, run the tests, and report what you changed.`,
    todoIds: [`todo_${index}`],
    status,
    priority: 0,
    parentSessionId: `ses_root_${index % 10}`,
    depth: 1,
    createdAt: now,
    ...(status === 'completed' ? { endedAt: now, result: `Part ${index} is done: 3 files changed, all tests pass. `.repeat(3) } : {}),
  }
}

export default async function schedulerBench(report: Report): Promise<void> {
  // Uncontended: the fast path, a slot is free every time.
  {
    const scheduler = createScheduler({ clock: systemClock, logger })
    await sequential(scheduler, requests(20_000, 'warm'))
    const perTask = await median(5, (round) => sequential(scheduler, requests(50_000, `run${round}`)))
    report('scheduler dispatch, uncontended (request+grant+release)', perTask, 'µs/task', 20)
  }

  // Contended: 10,000 requests queue behind small keyed limits, across 20 missions and 3 priorities.
  {
    const shape = (index: number): Partial<SchedulerRequest> => ({
      missionId: `mission_${index % 20}`,
      agent: ['worker', 'reviewer', 'planner'][index % 3]!,
      priority: index % 3,
      ...(index % 4 === 0 ? { model: { providerId: 'anthropic', modelId: 'claude-sonnet-4' } } : {}),
    })
    const limits = { global: 16, default: 4, agents: { worker: 8 }, providers: { anthropic: 3 } }
    const fresh = () => createScheduler({ clock: systemClock, logger, limits, missionLimits: { maxBreadth: 100 } })
    await queued(fresh(), requests(10_000, 'warm', shape))
    const perTask = await median(5, (round) => queued(fresh(), requests(10_000, `run${round}`, shape)))
    report('scheduler dispatch, 10k queued (keys, priorities, 20 missions)', perTask, 'µs/task', 20)
  }

  // Heap: 10,000 tasks through scheduler + task store, the way the mission engine uses them.
  {
    const before = collect()
    const scheduler = createScheduler({ clock: systemClock, logger, limits: { agents: { worker: 16 } }, missionLimits: { maxBreadth: 10_000 } })
    const store = createTaskStore({ clock: systemClock, storage: sizeOnlyStorage(), logger, archive: { directory: 'tasks' } })
    const putStart = performance.now()
    const runs: Array<Promise<void>> = []
    for (let index = 0; index < 10_000; index++) {
      const now = Date.now()
      store.put(task(index, 'queued', now))
      const ticket = scheduler.request({
        taskId: `task_${index}`,
        missionId: `mission_${index % 10}`,
        parentSessionId: `ses_root_${index % 10}`,
        agent: 'worker',
        depth: 1,
      })
      runs.push(
        ticket.granted.then((lease) => {
          store.put({ ...task(index, 'running', now), startedAt: Date.now() })
          lease.release()
          store.put(task(index, 'completed', Date.now()))
        }),
      )
    }
    await Promise.all(runs)
    runs.length = 0
    await store.flush()
    const perTask = ((performance.now() - putStart) * 1000) / 10_000
    const after = collect()
    const stats = store.stats()
    report('scheduler + task store, per task (3 puts, dispatch, archive)', perTask, 'µs/task')
    report('heap growth after 10,000 tasks (after gc)', (after - before) / 1024 / 1024, 'MB', 10)
    report('tasks in memory after 10,000 (bound 1,000)', stats.inMemory, 'tasks', 1000)
    // Keep both alive until measured, then release their timers.
    scheduler.dispose()
    await store.dispose()
  }
}
