import {
  describeRecoveryGiveUp,
  describeRecoveryStart,
  describeReportLocation,
  errorMessage,
  formatDuration,
  OrchestratorError,
  readableReason,
  truncateText,
} from '@opencode-orchestrator/core'
import type {
  BudgetName,
  Clock,
  EventBus,
  HostToast,
  Logger,
  MissionState,
  OrchestratorEvents,
  Task,
  TimerHandle,
  Todo,
} from '@opencode-orchestrator/core'
import { formatProgress } from './format-progress'
import { createMissionProgress } from './mission-progress'
import type { MissionProgress } from './mission-progress'

/** Sends a desktop notification (e.g. through `notify-send` or `osascript`, supplied by the host). */
export interface OsNotifier {
  notify(title: string, message: string): Promise<void>
}

export interface CreateNotifierOptions {
  /** The orchestrator's event bus; the notifier only listens. */
  bus: EventBus<OrchestratorEvents>
  /** Shows a notice (the host port's `toast`). Failures are logged, never thrown into the bus. */
  toast: (toast: HostToast) => Promise<void>
  /** Time source for throttling; inject a fake in tests. */
  clock: Clock
  logger: Logger
  /**
   * Longest a change of the progress tally waits to be shown while events keep coming (config
   * `notifications.progressIntervalMs`): a burst becomes one notice per interval. Default 3000.
   */
  progressIntervalMs?: number
  /**
   * A change is shown once events have been quiet this long (ms), so the notice never says
   * "2 workers running" for seconds after both ended. Default 250; never more than the interval.
   */
  progressSettleMs?: number
  /** Where a mission's report is (shown in the seal, stop and failure notices), e.g. a path relative to the project. */
  reportPathOf?: (missionId: string) => string | undefined
  /** Sends an OS notification when a mission ends. Given by a host that has a desktop to notify; without it only toasts are shown. */
  osNotifier?: OsNotifier
  /** Recovery attempts allowed per session, shown as `attempt 2/3` (config `recovery.maxAttemptsPerSession`). */
  recoveryMaxAttempts?: number
  /** How long terminal notices stay on screen, in ms. Default 10_000. */
  terminalDurationMs?: number
}

export interface Notifier {
  /** Stops listening and cancels pending notices. Safe to call more than once. */
  dispose(): void
}

/** Missions remembered after their end so late events (a task ending after the seal) are ignored. */
const ENDED_MEMORY = 256
const LABEL_LIMIT = 28
const TITLE = 'Orchestrator'

const BUDGET_LABELS: Record<BudgetName, string> = {
  iterations: 'Iteration',
  wallTime: 'Time',
  childSessions: 'Child-session',
  depth: 'Depth',
  breadth: 'Breadth',
  tokens: 'Token',
  cost: 'Cost',
}

interface MissionEntry {
  id: string
  label: string
  startedAt?: number
  progress: MissionProgress
  timer?: TimerHandle
  lastProgressAt?: number
  /** When the oldest change not shown yet happened: it is shown at the latest one interval later. */
  pendingSince?: number
  lastProgressNotice?: string
  lastRecoveryNotice?: string
  lastRecoveryAt?: number
}

/**
 * Turns core events into a few short notices: one throttled progress line per mission
 * (leading + trailing edge, so the latest state is always shown), one notice when a mission
 * ends, and one per recovery. Each call creates an independent notifier.
 *
 * @example
 * const notifier = createNotifier({ bus, toast: (t) => host.toast(t), clock: systemClock, logger })
 * // later
 * notifier.dispose()
 */
export function createNotifier(options: CreateNotifierOptions): Notifier {
  const { bus, toast, clock, logger } = options
  const progressIntervalMs = options.progressIntervalMs ?? 3000
  if (!Number.isFinite(progressIntervalMs) || progressIntervalMs < 0) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `progressIntervalMs must be a finite number of ms >= 0, got ${String(progressIntervalMs)}; use e.g. 3000.`,
      details: { field: 'progressIntervalMs', value: progressIntervalMs },
    })
  }
  const settleMs = Math.min(options.progressSettleMs ?? 250, progressIntervalMs)
  if (!Number.isFinite(settleMs) || settleMs < 0) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `progressSettleMs must be a finite number of ms >= 0, got ${String(options.progressSettleMs)}; use e.g. 250.`,
      details: { field: 'progressSettleMs', value: options.progressSettleMs },
    })
  }
  const terminalDurationMs = options.terminalDurationMs ?? 10_000

  const missions = new Map<string, MissionEntry>()
  const ended = new Set<string>()
  const sessionMission = new Map<string, string>()
  let disposed = false
  let lastGlobalRecovery: { text: string; at: number } | undefined

  function send(notice: HostToast, fields: Record<string, unknown>): void {
    if (disposed) return
    try {
      toast(notice).catch((error: unknown) => {
        logger.log('error', 'toast failed', { ...fields, error: errorMessage(error) })
      })
    } catch (error) {
      logger.log('error', 'toast failed', { ...fields, error: errorMessage(error) })
    }
  }

  /** A mission is named in notices only when the user has more than one to tell apart. */
  function titleFor(entry: MissionEntry, base: string): string {
    return missions.size > 1 ? `${base} · ${entry.label}` : base
  }

  function entryFor(missionId: string): MissionEntry | undefined {
    if (disposed || ended.has(missionId)) return undefined
    let entry = missions.get(missionId)
    if (entry === undefined) {
      // Events can precede `mission-start` (a resumed mission): track it under its id until the goal is known.
      entry = { id: missionId, label: truncateText(missionId, LABEL_LIMIT), progress: createMissionProgress() }
      missions.set(missionId, entry)
    }
    return entry
  }

  function showProgress(entry: MissionEntry): void {
    entry.timer = undefined
    entry.pendingSince = undefined
    const message = formatProgress(entry.progress.counts())
    const notice: HostToast = { title: titleFor(entry, TITLE), message: truncateText(message), variant: 'info' }
    const key = `${notice.title}\n${notice.message}`
    // Same text as the last notice: nothing new to say.
    if (key === entry.lastProgressNotice) return
    entry.lastProgressNotice = key
    entry.lastProgressAt = clock.now()
    send(notice, { missionId: entry.id, notice: 'progress' })
  }

  /**
   * Leading edge: a change after a quiet interval is shown at once. Otherwise it is shown once
   * events have been quiet for `settleMs`, and at the latest one interval after the oldest
   * change not shown yet — so a burst is one notice per interval, and a notice never lags.
   */
  function scheduleProgress(entry: MissionEntry): void {
    const now = clock.now()
    if (entry.timer === undefined && (entry.lastProgressAt === undefined || now - entry.lastProgressAt >= progressIntervalMs)) {
      showProgress(entry)
      return
    }
    entry.pendingSince ??= now
    if (entry.timer !== undefined) clock.clearTimeout(entry.timer)
    const waitMs = Math.max(0, Math.min(now + settleMs, entry.pendingSince + progressIntervalMs) - now)
    entry.timer = clock.setTimeout(() => showProgress(entry), waitMs)
  }

  function finish(missionId: string, notice: HostToast, osMessage: string): void {
    const entry = entryFor(missionId)
    if (entry === undefined) return
    if (entry.timer !== undefined) clock.clearTimeout(entry.timer)
    entry.timer = undefined
    const title = titleFor(entry, notice.title ?? TITLE)
    missions.delete(missionId)
    ended.add(missionId)
    if (ended.size > ENDED_MEMORY) {
      const oldest = ended.values().next().value
      if (oldest !== undefined) ended.delete(oldest)
    }
    for (const [sessionId, owner] of sessionMission) if (owner === missionId) sessionMission.delete(sessionId)
    send({ ...notice, title, durationMs: terminalDurationMs }, { missionId, notice: 'terminal' })
    if (options.osNotifier !== undefined) {
      const osNotifier = options.osNotifier
      try {
        osNotifier.notify(title, osMessage).catch((error: unknown) => {
          logger.log('error', 'OS notification failed', { missionId, error: errorMessage(error) })
        })
      } catch (error) {
        logger.log('error', 'OS notification failed', { missionId, error: errorMessage(error) })
      }
    }
  }

  /** The terminal notice's text plus, on its own line, where the report is written. */
  function withReport(missionId: string, message: string): string {
    const path = options.reportPathOf?.(missionId)
    return path === undefined ? message : `${message}\n${describeReportLocation(path, true)}`
  }

  function onTask({ task }: { task: Task }): void {
    const entry = entryFor(task.missionId)
    if (entry === undefined) return
    if (task.sessionId !== undefined) sessionMission.set(task.sessionId, task.missionId)
    if (entry.progress.applyTask(task)) scheduleProgress(entry)
  }

  function recoveryNotice(missionId: string | undefined, text: string, variant: HostToast['variant']): void {
    const now = clock.now()
    const entry = missionId === undefined ? undefined : missions.get(missionId)
    // Many sessions hitting the same limit at once would otherwise flood the screen:
    // an identical line is shown again only after a full progress interval.
    if (entry === undefined) {
      if (lastGlobalRecovery?.text === text && now - lastGlobalRecovery.at < progressIntervalMs) return
      lastGlobalRecovery = { text, at: now }
      send({ title: TITLE, message: text, variant }, { notice: 'recovery' })
      return
    }
    const sameAsLast = entry.lastRecoveryNotice === text
    if (sameAsLast && entry.lastRecoveryAt !== undefined && now - entry.lastRecoveryAt < progressIntervalMs) return
    entry.lastRecoveryNotice = text
    entry.lastRecoveryAt = now
    send({ title: titleFor(entry, TITLE), message: text, variant }, { missionId: entry.id, notice: 'recovery' })
  }

  function missionOf(event: { missionId?: string; sessionId: string }): string | undefined {
    return event.missionId ?? sessionMission.get(event.sessionId)
  }

  const subscriptions: Array<() => void> = [
    bus.on('mission-start', ({ missionId, rootSessionId, goal }) => {
      // A new start of a known id is a new run (e.g. a mission resumed by a fresh server): forget its end.
      ended.delete(missionId)
      const entry = entryFor(missionId)
      if (entry === undefined) return
      entry.label = truncateText(goal, LABEL_LIMIT)
      entry.startedAt = clock.now()
      entry.progress.setState('planning')
      sessionMission.set(rootSessionId, missionId)
      scheduleProgress(entry)
    }),
    bus.on('task-queue', onTask),
    bus.on('task-start', onTask),
    bus.on('task-end', onTask),
    bus.on('todo-update', ({ missionId, todos }: { missionId: string; todos: Todo[] }) => {
      const entry = entryFor(missionId)
      if (entry === undefined) return
      entry.progress.setTodos(todos)
      scheduleProgress(entry)
    }),
    bus.on('mission-transition', ({ missionId, to }: { missionId: string; to: MissionState }) => {
      const entry = entryFor(missionId)
      if (entry === undefined) return
      entry.progress.setState(to)
      // The terminal event that follows says how it ended; a progress line now would only be noise.
      if (to === 'sealed' || to === 'stopped' || to === 'failed') {
        if (entry.timer !== undefined) clock.clearTimeout(entry.timer)
        entry.timer = undefined
        return
      }
      scheduleProgress(entry)
    }),
    bus.on('recovery-start', (event) => {
      const missionId = missionOf(event)
      const entry = missionId === undefined ? undefined : entryFor(missionId)
      if (missionId !== undefined && entry === undefined) return
      entry?.progress.recoveryStart(event.sessionId)
      const text = describeRecoveryStart(event, {
        providerId: event.providerId ?? entry?.progress.providerOf(event.sessionId),
        maxAttempts: options.recoveryMaxAttempts,
      })
      recoveryNotice(missionId, text, event.kind === 'auth' ? 'error' : 'warning')
      if (entry !== undefined) scheduleProgress(entry)
    }),
    bus.on('recovery-end', (event) => {
      const missionId = missionOf(event)
      const entry = missionId === undefined ? undefined : entryFor(missionId)
      if (missionId !== undefined && entry === undefined) return
      entry?.progress.recoveryEnd(event.sessionId)
      if (event.outcome === 'gave-up') {
        const text = describeRecoveryGiveUp(event, { providerId: entry?.progress.providerOf(event.sessionId) })
        recoveryNotice(missionId, text, 'error')
      }
      if (entry !== undefined) scheduleProgress(entry)
    }),
    bus.on('mission-seal', ({ missionId, todos }) => {
      const entry = missions.get(missionId)
      const verified = todos.filter((todo) => todo.status === 'done' && todo.evidence !== undefined).length
      const took = entry?.startedAt === undefined ? '' : ` in ${formatDuration(clock.now() - entry.startedAt, { smallest: 's' })}`
      const message =
        verified === 0 ? `Mission complete${took}.` : `All ${verified} todo${verified === 1 ? '' : 's'} verified${took}.`
      finish(missionId, { title: 'Mission sealed', message: withReport(missionId, message), variant: 'success' }, message)
    }),
    bus.on('mission-stop', ({ missionId, reason, budget }) => {
      const text = budget === undefined ? reason : `${BUDGET_LABELS[budget]} budget reached — ${reason}`
      const message = readableReason(text)
      finish(missionId, { title: 'Mission stopped', message: withReport(missionId, message), variant: 'warning' }, message)
    }),
    bus.on('mission-fail', ({ missionId, reason, error }) => {
      const detail = typeof error?.data?.message === 'string' ? error.data.message : undefined
      const text = detail === undefined || reason.includes(detail) ? reason : `${reason}: ${detail}`
      const message = readableReason(text)
      finish(missionId, { title: 'Mission failed', message: withReport(missionId, message), variant: 'error' }, message)
    }),
  ]

  return {
    dispose() {
      if (disposed) return
      disposed = true
      for (const unsubscribe of subscriptions) unsubscribe()
      for (const entry of missions.values()) if (entry.timer !== undefined) clock.clearTimeout(entry.timer)
      missions.clear()
      sessionMission.clear()
    },
  }
}
