import { errorMessage, type Logger } from '@opencode-orchestrator/core'
import type { FleetJobContext, FleetProgress } from '@opencode-orchestrator/fleet'
import { formatJsonLine, type ProgressSnapshot, type RunEvent } from '../run-event'
import type { RunReporter } from '../run-reporter'

/**
 * The runner's event stream, as `orchestrator run --json` prints it, into a
 * fleet job: every event line goes to the job's log, and the progress
 * snapshot becomes the job's progress (when it changed, at most every
 * `minIntervalMs`), so `fleet status` and the dashboard follow the mission live.
 */
export function createFleetJobReporter(options: { context: FleetJobContext; workerId: string; now: () => number; logger: Logger; minIntervalMs?: number }): RunReporter & { latest(): ProgressSnapshot | undefined; flush(): Promise<void> } {
  const { context, workerId, now, logger } = options
  const minIntervalMs = options.minIntervalMs ?? 500
  let latest: ProgressSnapshot | undefined
  let lastSentKey: string | undefined
  let lastSentAt = 0
  let last: string | undefined
  let pending: Promise<void> = Promise.resolve()
  const queue = (work: () => Promise<void>) => {
    pending = pending.then(work).catch((error: unknown) => logger.log('warn', 'could not update the fleet job', { id: context.id, error: errorMessage(error) }))
  }
  const toProgress = (snapshot: ProgressSnapshot): FleetProgress => ({
    state: snapshot.state,
    todos: snapshot.todos,
    workers: snapshot.workers,
    tokens: snapshot.tokens,
    elapsedMs: snapshot.elapsedMs,
    worker: workerId,
    ...(last !== undefined ? { last } : {}),
  })
  const send = (force: boolean) => {
    if (latest === undefined) return
    const { elapsedMs: _elapsed, ...rest } = latest
    const key = JSON.stringify({ ...rest, last })
    const at = now()
    if (!force && (key === lastSentKey || at - lastSentAt < minIntervalMs)) return
    lastSentKey = key
    lastSentAt = at
    const progress = toProgress(latest)
    queue(() => context.progress(progress))
  }
  const describe = (event: RunEvent): string | undefined => {
    switch (event.type) {
      case 'task-start':
        return `${event.agent}: ${event.title}`
      case 'task-end':
        return `${event.agent} ${event.status}: ${event.title}`
      case 'tool':
        return `${event.tool} ${event.target}`
      case 'mission-start':
        return `mission ${event.missionId} started`
      default:
        return undefined
    }
  }
  return {
    note(text) {
      queue(() => context.log(text))
    },
    emit(event) {
      const line = formatJsonLine(event, now()).trimEnd()
      queue(() => context.log(line))
      last = describe(event) ?? last
      send(event.type === 'task-end' || event.type === 'mission-start')
    },
    progress(snapshot) {
      latest = snapshot
      send(false)
    },
    close() {
      send(true)
    },
    latest: () => latest,
    flush: async () => {
      send(true)
      await pending
    },
  }
}
