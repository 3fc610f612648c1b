import type { MissionState } from '../events'
import { isMissionFinal, type MissionSnapshot } from '../mission'
import type { Task, TaskStatus } from '../task'
import type { Todo } from '../todo'
import { plural } from './sentence'

/**
 * What a mission looks like right now, in counts: the one shape every progress text is made
 * from (the toast, the status command, the CLI's progress line), so a counter cannot say one
 * thing in one place and another elsewhere.
 */
export interface MissionTally {
  state: MissionState
  /** Every todo of the plan. */
  todosTotal: number
  /** Done with the Reviewer's evidence. */
  todosVerified: number
  /** Done, waiting for the Reviewer. */
  todosAwaitingReview: number
  todosFailed: number
  todosCancelled: number
  /** Tasks running, per agent. */
  running: Record<string, number>
  queued: number
  /** Delegated tasks that have ended (any outcome). */
  tasksEnded: number
  /** Sessions of the mission with a recovery in progress. */
  retrying: number
  /** Background commands still running. */
  background: number
}

/** Counts the todos of a plan into a tally's todo fields. */
export function tallyTodos(todos: readonly Todo[]): Pick<MissionTally, 'todosTotal' | 'todosVerified' | 'todosAwaitingReview' | 'todosFailed' | 'todosCancelled'> {
  let todosVerified = 0
  let todosAwaitingReview = 0
  let todosFailed = 0
  let todosCancelled = 0
  for (const todo of todos) {
    if (todo.status === 'done' && todo.evidence !== undefined) todosVerified++
    else if (todo.status === 'done') todosAwaitingReview++
    else if (todo.status === 'failed') todosFailed++
    else if (todo.status === 'cancelled') todosCancelled++
  }
  return { todosTotal: todos.length, todosVerified, todosAwaitingReview, todosFailed, todosCancelled }
}

/** Counts tasks into a tally's task fields (each task once, by its current status). */
export function tallyTasks(tasks: Iterable<Pick<Task, 'agent' | 'status'>>): Pick<MissionTally, 'running' | 'queued' | 'tasksEnded'> {
  const running: Record<string, number> = {}
  let queued = 0
  let tasksEnded = 0
  for (const task of tasks) {
    if (task.status === 'running') running[task.agent] = (running[task.agent] ?? 0) + 1
    else if (task.status === 'queued') queued++
    else tasksEnded++
  }
  return { running, queued, tasksEnded }
}

/** The tally of a mission snapshot; what the engine does not know (recoveries, background commands) comes in `extra`. */
export function tallyMission(mission: Pick<MissionSnapshot, 'state' | 'todos' | 'tasks'>, extra: { retrying?: number; background?: number } = {}): MissionTally {
  return { state: mission.state, ...tallyTodos(mission.todos), ...tallyTasks(mission.tasks), retrying: extra.retrying ?? 0, background: extra.background ?? 0 }
}

const STATE_WORDS: Readonly<Record<MissionState, string>> = {
  planning: 'planning',
  dispatching: 'dispatching',
  waiting: 'waiting for tasks',
  reviewing: 'reviewing',
  sealed: 'sealed',
  stopped: 'stopped',
  failed: 'failed',
}

/** The word for a mission state, e.g. `waiting for tasks`. */
export function describeState(state: MissionState): string {
  return STATE_WORDS[state]
}

/**
 * The one-line progress text, e.g. `3/7 todos verified · 4 workers running · 2 queued · 1 retrying`.
 * Zero counts are left out. Without a plan it says so, and counts the work already done
 * rather than claiming the mission is still planning after a fan-out.
 */
export function describeTally(tally: MissionTally): string {
  const parts: string[] = []
  const runningTotal = Object.values(tally.running).reduce((sum, count) => sum + count, 0)
  if (tally.todosTotal > 0) {
    parts.push(`${tally.todosVerified}/${plural(tally.todosTotal, 'todo')} verified`)
    if (tally.todosAwaitingReview > 0) parts.push(`${tally.todosAwaitingReview} awaiting review`)
    if (tally.todosFailed > 0) parts.push(`${tally.todosFailed} failed`)
    if (tally.todosCancelled > 0) parts.push(`${tally.todosCancelled} cancelled`)
  } else if (isMissionFinal(tally.state)) {
    parts.push(`${describeState(tally.state)}, no todos`)
  } else if (tally.tasksEnded > 0 || runningTotal > 0 || tally.queued > 0) {
    parts.push('no todo list yet')
    if (tally.tasksEnded > 0) parts.push(`${plural(tally.tasksEnded, 'task')} done`)
  } else {
    parts.push('planning')
  }
  // Workers first: they are the fan-out the user watches; other roles follow by name.
  const agents = Object.keys(tally.running).sort((a, b) => (a === 'worker' ? -1 : b === 'worker' ? 1 : a.localeCompare(b)))
  for (const agent of agents) {
    const count = tally.running[agent] ?? 0
    if (count > 0) parts.push(`${plural(count, agent)} running`)
  }
  if (tally.queued > 0) parts.push(`${tally.queued} queued`)
  if (tally.retrying > 0) parts.push(`${tally.retrying} retrying`)
  if (tally.background > 0) parts.push(`${plural(tally.background, 'background command')} running`)
  return parts.join(' · ')
}

/**
 * The continuations counter, e.g. `2 of 20 continuations used`. It counts the prompts the loop
 * sent on its own — not the wakes that report finished tasks — so a mission that only ever
 * woke its Commander truly shows 0.
 */
export function describeContinuations(used: number, max: number): string {
  return `${used} of ${plural(max, 'continuation')} used`
}

/** A mission's end reason without a repeat of its state: `sealed` + `sealed: all 3 …` → `all 3 …`. */
export function endReasonText(state: MissionState, reason: string): string {
  const trimmed = reason.trim()
  const prefix = `${state}:`
  return trimmed.toLowerCase().startsWith(prefix) ? trimmed.slice(prefix.length).trim() : trimmed
}

/** How a mission ended, the state named once: `sealed: all 3 todos are done and verified by the Reviewer`. */
export function describeEnd(state: MissionState, reason: string): string {
  const why = endReasonText(state, reason)
  if (why.length === 0) return describeState(state)
  // `stopped by the user (/stop)` already says it: prefixing the state would say it twice.
  if (why.toLowerCase().startsWith(`${state} `)) return why
  return `${describeState(state)}: ${why}`
}

/** Where the mission's report is, for notices and the status text. */
export function describeReportLocation(path: string, written: boolean): string {
  return written ? `Report: ${path}` : `Report (written when the mission ends): ${path}`
}

const TASK_STATUS_WORDS: Readonly<Record<TaskStatus, string>> = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled (not failed)',
}

/** The word for a task's status in reports and texts; a cancelled task is never called failed. */
export function describeTaskStatus(status: TaskStatus): string {
  return TASK_STATUS_WORDS[status]
}
