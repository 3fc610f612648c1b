import { describeContinuations, describeState, formatDuration, tallyTodos, truncateText, type MissionState, type Todo } from '@opencode-orchestrator/core'

/** What is left of each limited budget. Absent = unlimited. */
export interface BudgetsLeft {
  wallTimeMs?: number
  childSessions?: number
  tokens?: number
  costUsd?: number
}

/** The live state of a mission at one step. */
export interface StepSnapshot {
  goal: string
  state: MissionState
  /** Continuations used so far. */
  iteration: number
  /** Continuations allowed (config `budgets.maxIterations`). */
  maxIterations: number
  todos: readonly Todo[]
  /**
   * Todos a delegated task is queued or running for. An `in_progress` todo outside this list
   * is shown as such: its task ended and nothing runs for it. Absent: not known (no remark).
   */
  activeTodoIds?: readonly string[]
  budgetsLeft?: BudgetsLeft
}

/** Open todos listed one per line; more would cost tokens on every step. */
const MAX_LISTED_TODOS = 20
const MAX_TITLE = 90
const MAX_GOAL = 1000

function compactNumber(value: number): string {
  if (value >= 1_000_000) return `${Math.round(value / 100_000) / 10}M`
  if (value >= 10_000) return `${Math.round(value / 1000)}k`
  return String(Math.round(value))
}

function budgetLine(budgets: BudgetsLeft | undefined): string | undefined {
  if (budgets === undefined) return undefined
  const parts: string[] = []
  if (budgets.wallTimeMs !== undefined) parts.push(`time ${formatDuration(budgets.wallTimeMs, { smallest: 'min' })}`)
  if (budgets.childSessions !== undefined) parts.push(`child sessions ${Math.max(0, budgets.childSessions)}`)
  if (budgets.tokens !== undefined) parts.push(`tokens ${compactNumber(Math.max(0, budgets.tokens))}`)
  if (budgets.costUsd !== undefined) parts.push(`cost $${Math.max(0, budgets.costUsd).toFixed(2)}`)
  return parts.length === 0 ? undefined : `budgets left: ${parts.join(' · ')}`
}

/**
 * The per-step block that goes AFTER the stable system prompt (never in front of it):
 * goal, state and continuations used, a todo summary with the ready todos, and the budgets left.
 * The counts are core's words (`tallyTodos`, `describeContinuations`): what the user's notices say.
 *
 * @example
 * <mission-step>
 * goal: Build a REST API with authentication
 * state: dispatching · 3 of 20 continuations used
 * todos: 1/3 verified · 1 in progress
 * ready: t3
 * open:
 * - t2 [in_progress] POST /login returns a JWT
 * - t3 [pending] Tests for /login (after t2)
 * budgets left: time 1h12m · child sessions 150
 * </mission-step>
 */
export function buildStepContext(snapshot: StepSnapshot): string {
  const todos = snapshot.todos
  const byId = new Map(todos.map((todo) => [todo.id, todo]))
  const count = (status: Todo['status']) => todos.filter((todo) => todo.status === status).length
  const counted = todos.filter((todo) => todo.status !== 'cancelled')
  const lines = [
    '<mission-step>',
    `goal: ${truncateText(snapshot.goal, MAX_GOAL)}`,
    `state: ${describeState(snapshot.state)} · ${describeContinuations(snapshot.iteration, snapshot.maxIterations)}`,
  ]
  const active = snapshot.activeTodoIds === undefined ? undefined : new Set(snapshot.activeTodoIds)
  if (counted.length === 0) {
    lines.push('todos: none yet')
  } else {
    const tally = tallyTodos(counted)
    const summary = [`${tally.todosVerified}/${counted.length} verified`]
    if (tally.todosAwaitingReview > 0) summary.push(`${tally.todosAwaitingReview} done, awaiting review`)
    for (const [status, label] of [
      ['in_progress', 'in progress'],
      ['failed', 'failed'],
      ['blocked', 'blocked'],
    ] as const) {
      const value = count(status)
      if (value > 0) summary.push(`${value} ${label}`)
    }
    lines.push(`todos: ${summary.join(' · ')}`)
    const ready = todos.filter(
      (todo) => todo.status === 'pending' && todo.dependsOn.every((id) => byId.get(id)?.status === 'done'),
    )
    if (ready.length > 0) lines.push(`ready: ${ready.map((todo) => todo.id).join(', ')}`)
    const open = todos.filter((todo) => todo.status !== 'done' && todo.status !== 'cancelled')
    if (open.length > 0) {
      lines.push('open:')
      for (const todo of open.slice(0, MAX_LISTED_TODOS)) {
        const waiting = todo.dependsOn.filter((id) => byId.get(id)?.status !== 'done')
        const after = waiting.length > 0 ? ` (after ${waiting.join(', ')})` : ''
        const note = todo.note !== undefined && todo.note.trim() !== '' ? ` — note: ${truncateText(todo.note, MAX_TITLE)}` : ''
        const idle = todo.status === 'in_progress' && active !== undefined && !active.has(todo.id) ? ', nothing running for it' : ''
        lines.push(`- ${todo.id} [${todo.status}${idle}] ${truncateText(todo.title, MAX_TITLE)}${after}${note}`)
      }
      if (open.length > MAX_LISTED_TODOS) lines.push(`- … ${open.length - MAX_LISTED_TODOS} more (orchestrator_todo_read)`)
    }
  }
  const budgets = budgetLine(snapshot.budgetsLeft)
  if (budgets !== undefined) lines.push(budgets)
  lines.push('</mission-step>')
  return lines.join('\n')
}
