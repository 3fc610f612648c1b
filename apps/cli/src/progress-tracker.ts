import { relative } from 'node:path'
import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2'
import { isMissionFinal, isTaskFinal, type MissionRecord, type MissionState, type Task } from '@opencode-orchestrator/core'
import type { ProgressSnapshot, RunEvent } from './run-event'

/** Toast titles of the plugin's terminal notices (`Mission sealed`, optionally `· <goal>`). */
const TERMINAL_TOAST = /^Mission (sealed|stopped|failed)\b/

/** Tool calls worth a line of their own: files changed and commands run. */
const NOTABLE_TOOLS: Readonly<Record<string, 'filePath' | 'command'>> = {
  write: 'filePath',
  edit: 'filePath',
  bash: 'command',
  orchestrator_bg_run: 'command',
}

export interface ProgressTracker {
  /** Folds in a journal read; returns the task and mission events it implies. */
  applyJournal(record: MissionRecord): RunEvent[]
  /** Folds in one server event; returns the events it implies (retries, recovery notices). */
  applyEvent(event: OpencodeEvent): RunEvent[]
  /** Adopts the mission's root session before its journal exists (its events count from the start). */
  setRootSession(sessionId: string): void
  /** What the display shows at `now`. */
  snapshot(now: number): ProgressSnapshot
  /** Same as the snapshot minus elapsed time: changes only when something happened. */
  progressKey(): string
  /** The mission's current state, `starting` before its journal exists. */
  readonly state: MissionState | 'starting'
  readonly missionId: string | undefined
  /** Why it ended: the journal's end reason, else the plugin's terminal notice. */
  readonly endReason: string | undefined
  /** The latest journal read. */
  readonly record: MissionRecord | undefined
}

interface TrackedTask {
  agent: string
  status: Task['status']
}

/**
 * The progress model: journal reads plus OpenCode events in, display state and
 * `--json` events out. No I/O and no clock of its own, so it is fully testable.
 */
export function createProgressTracker({ startedAt, directory }: { startedAt: number; /** The project: file paths are shown relative to it. */ directory?: string }): ProgressTracker {
  let record: MissionRecord | undefined
  let toastEnd: string | undefined
  const tasks = new Map<string, TrackedTask>()
  const sessions = new Set<string>()
  /** Tokens per assistant message, per session: OpenCode re-sends a message with growing counts. */
  const messageTokens = new Map<string, Map<string, number>>()
  const retrying = new Map<string, number>()
  let recoveryNotices = 0
  const reportedCalls = new Set<string>()

  const liveTokens = () => {
    let sum = 0
    for (const sessionId of sessions) for (const tokens of messageTokens.get(sessionId)?.values() ?? []) sum += tokens
    return sum
  }

  const counts = () => {
    const todos = record?.todos ?? []
    const agents: Record<string, number> = {}
    let workersRunning = 0
    let workersQueued = 0
    let tasksEnded = 0
    for (const task of record?.tasks ?? []) {
      if (isTaskFinal(task)) tasksEnded++
      if (task.status === 'running') agents[task.agent] = (agents[task.agent] ?? 0) + 1
      if (task.agent !== 'worker') continue
      if (task.status === 'running') workersRunning++
      if (task.status === 'queued') workersQueued++
    }
    return {
      todos: {
        // Only the Reviewer's verdict counts, exactly as the seal policy does.
        verified: todos.filter((todo) => todo.status === 'done' && todo.evidence !== undefined).length,
        total: todos.length,
        failed: todos.filter((todo) => todo.status === 'failed').length,
      },
      workers: { running: workersRunning, queued: workersQueued },
      agents,
      tasksEnded,
    }
  }

  const taskStart = (task: Task): RunEvent => ({
    type: 'task-start',
    taskId: task.id,
    agent: task.agent,
    title: task.title,
    todoIds: [...task.todoIds],
    ...(task.sessionId !== undefined ? { sessionId: task.sessionId } : {}),
  })

  const taskEnd = (task: Task): RunEvent => ({
    type: 'task-end',
    taskId: task.id,
    agent: task.agent,
    title: task.title,
    status: task.status,
    ...(task.error !== undefined ? { error: task.error.message } : {}),
    ...(task.startedAt !== undefined && task.endedAt !== undefined ? { durationMs: task.endedAt - task.startedAt } : {}),
  })

  const tracker: ProgressTracker = {
    applyJournal(next) {
      const events: RunEvent[] = []
      record = next
      for (const session of next.sessions) sessions.add(session.sessionId)
      sessions.add(next.rootSessionId)
      for (const task of next.tasks) {
        const seen = tasks.get(task.id)
        const started = task.status !== 'queued' && task.startedAt !== undefined
        // A task can start and end between two journal reads: it still gets both lines, in order.
        if (started && (seen === undefined || seen.status === 'queued')) events.push(taskStart(task))
        if (isTaskFinal(task) && (seen === undefined || !isTaskFinal(seen))) events.push(taskEnd(task))
        tasks.set(task.id, { agent: task.agent, status: task.status })
      }
      return events
    },

    applyEvent(event) {
      switch (event.type) {
        case 'session.created': {
          const parent = event.properties.info.parentID
          if (parent !== undefined && sessions.has(parent)) sessions.add(event.properties.info.id)
          return []
        }
        case 'message.updated': {
          const info = event.properties.info
          if (info.role !== 'assistant') return []
          const perSession = messageTokens.get(info.sessionID) ?? new Map<string, number>()
          messageTokens.set(info.sessionID, perSession)
          perSession.set(info.id, info.tokens.input + info.tokens.output + info.tokens.reasoning)
          return []
        }
        case 'session.status': {
          const { sessionID, status } = event.properties
          if (!sessions.has(sessionID)) return []
          if (status.type !== 'retry') {
            retrying.delete(sessionID)
            return []
          }
          if (retrying.get(sessionID) === status.attempt) return []
          retrying.set(sessionID, status.attempt)
          return [{ type: 'recovery', source: 'host-retry', sessionId: sessionID, attempt: status.attempt, message: status.message }]
        }
        case 'message.part.updated': {
          const part = event.properties.part
          if (part.type !== 'tool' || part.state.status !== 'completed' || !sessions.has(part.sessionID)) return []
          const field = NOTABLE_TOOLS[part.tool]
          const value = field === undefined ? undefined : part.state.input[field]
          if (typeof value !== 'string' || reportedCalls.has(part.callID)) return []
          reportedCalls.add(part.callID)
          const agent = record?.sessions.find((session) => session.sessionId === part.sessionID)?.agent
          const target = field === 'filePath' && directory !== undefined && value.startsWith(directory) ? relative(directory, value) : value
          return [{ type: 'tool', tool: part.tool, sessionId: part.sessionID, ...(agent !== undefined ? { agent } : {}), target }]
        }
        case 'session.idle': {
          retrying.delete(event.properties.sessionID)
          return []
        }
        case 'tui.toast.show': {
          const { title = '', message, variant } = event.properties
          const terminal = TERMINAL_TOAST.exec(title)
          if (terminal) {
            toastEnd = message
            return []
          }
          // The plugin's progress notices are `info`; recovery notices are warnings and errors.
          if (variant !== 'warning' && variant !== 'error') return []
          recoveryNotices++
          return [{ type: 'recovery', source: 'orchestrator', message }]
        }
        default:
          return []
      }
    },

    setRootSession(sessionId) {
      sessions.add(sessionId)
    },

    snapshot(now) {
      const { todos, workers, agents, tasksEnded } = counts()
      return {
        missionId: record?.id,
        state: record?.state ?? 'starting',
        todos,
        workers,
        agents,
        tasksEnded,
        recoveries: { inProgress: retrying.size, notices: recoveryNotices },
        tokens: Math.max(record?.counters.tokens ?? 0, liveTokens()),
        elapsedMs: Math.max(0, now - startedAt),
      }
    },

    progressKey() {
      const { elapsedMs: _elapsed, ...rest } = tracker.snapshot(startedAt)
      return JSON.stringify(rest)
    },

    get state() {
      return record?.state ?? 'starting'
    },
    get missionId() {
      return record?.id
    },
    get endReason() {
      if (record !== undefined && isMissionFinal(record.state)) return record.end?.reason ?? toastEnd
      return toastEnd
    },
    get record() {
      return record
    },
  }
  return tracker
}
