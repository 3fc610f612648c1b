import { OrchestratorError, TODO_STATUSES, type Todo, type TodoStatus } from '@opencode-orchestrator/core'
import { describeValue, todoIdProblem } from './todo-id'
import { TODO_TEXT_LIMITS, textProblem, titleProblem } from './todo-text'

/** One problem with one field of one todo. */
export interface TodoIssue {
  /** Id of the todo, when it has a usable one. */
  id?: string
  /** Position of the todo in the list that was checked. */
  index?: number
  /** Field path, e.g. `title`, `dependsOn[1]`, `evidence.summary`. */
  field: string
  /** What is wrong and how to fix it. */
  message: string
}

/**
 * Shape of assignee agent names and session ids: no whitespace, so they fit
 * todo.md's `agent:worker session:ses_1` comment fields.
 */
export const TODO_TOKEN_PATTERN = /^[A-Za-z0-9_.:@/+-]{1,128}$/

/** Latest epoch ms whose ISO form still has a four-digit year (todo.md writes timestamps as ISO). */
const MAX_TIMESTAMP = 253_402_300_799_999

const STATUSES: ReadonlySet<string> = new Set(TODO_STATUSES)

export function isTodoStatus(value: unknown): value is TodoStatus {
  return typeof value === 'string' && STATUSES.has(value)
}

export function isTimestamp(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TIMESTAMP
}

function tokenProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && TODO_TOKEN_PATTERN.test(value)) return undefined
  return `must be a name without spaces (letters, digits, _ . : @ / + -), got ${describeValue(value)}`
}

/**
 * Checks one todo on its own (no list context: dependency ids are checked for
 * shape here and for existence by `validateGraph`). Returns every problem found.
 */
export function validateTodo(todo: Todo): TodoIssue[] {
  const issues: TodoIssue[] = []
  const id = typeof todo.id === 'string' && todoIdProblem(todo.id) === undefined ? todo.id : undefined
  const add = (field: string, message: string) => issues.push({ ...(id !== undefined ? { id } : {}), field, message })

  const idProblem = todoIdProblem(todo.id)
  if (idProblem) add('id', idProblem)
  if (typeof todo.title !== 'string') add('title', `must be a string, got ${describeValue(todo.title)}`)
  else {
    const problem = titleProblem(todo.title)
    if (problem) add('title', problem)
  }
  if (!isTodoStatus(todo.status)) {
    add('status', `${describeValue(todo.status)} is not a status; use one of ${TODO_STATUSES.join(', ')}`)
  }
  if (!Array.isArray(todo.dependsOn)) add('dependsOn', `must be an array of todo ids, got ${describeValue(todo.dependsOn)}`)
  else {
    const seen = new Set<string>()
    todo.dependsOn.forEach((dependency: unknown, position) => {
      const problem = todoIdProblem(dependency)
      if (problem) return add(`dependsOn[${position}]`, problem)
      const dependencyId = dependency as string
      if (dependencyId === todo.id) add(`dependsOn[${position}]`, `a todo cannot depend on itself (${dependencyId})`)
      else if (seen.has(dependencyId)) add(`dependsOn[${position}]`, `${dependencyId} is listed twice; list each dependency once`)
      seen.add(dependencyId)
    })
  }
  if (todo.assignee !== undefined) {
    if (typeof todo.assignee !== 'object' || todo.assignee === null) add('assignee', `must be an object, got ${describeValue(todo.assignee)}`)
    else {
      for (const key of ['agent', 'sessionId'] as const) {
        const value = todo.assignee[key]
        const problem = value === undefined ? undefined : tokenProblem(value)
        if (problem) add(`assignee.${key}`, problem)
      }
    }
  }
  if (todo.evidence !== undefined) {
    const evidence = todo.evidence
    if (typeof evidence !== 'object' || evidence === null) add('evidence', `must be an object, got ${describeValue(evidence)}`)
    else {
      const problem =
        typeof evidence.summary === 'string'
          ? textProblem(evidence.summary, TODO_TEXT_LIMITS.evidence)
          : `must be a string, got ${describeValue(evidence.summary)}`
      if (problem) add('evidence.summary', problem)
      if (evidence.reviewerSessionId !== undefined) {
        const sessionProblem = tokenProblem(evidence.reviewerSessionId)
        if (sessionProblem) add('evidence.reviewerSessionId', sessionProblem)
      }
      if (!isTimestamp(evidence.recordedAt)) add('evidence.recordedAt', `must be epoch milliseconds, got ${describeValue(evidence.recordedAt)}`)
    }
  }
  if (todo.status === 'done' && todo.evidence === undefined) {
    add('evidence', 'a done todo needs Reviewer evidence: what was verified and how (commands run, files read)')
  }
  if (todo.note !== undefined) {
    const problem = typeof todo.note === 'string' ? textProblem(todo.note, TODO_TEXT_LIMITS.note) : `must be a string, got ${describeValue(todo.note)}`
    if (problem) add('note', problem)
  }
  for (const key of ['createdAt', 'updatedAt'] as const) {
    if (!isTimestamp(todo[key])) add(key, `must be epoch milliseconds, got ${describeValue(todo[key])}`)
  }
  return issues
}

/** Checks every todo of a list and that ids are unique. Dependencies are the graph's job (`validateGraph`). */
export function validateTodos(todos: readonly Todo[]): TodoIssue[] {
  const issues: TodoIssue[] = []
  const firstIndex = new Map<string, number>()
  todos.forEach((todo, index) => {
    for (const issue of validateTodo(todo)) issues.push({ ...issue, index })
    if (typeof todo.id !== 'string') return
    const earlier = firstIndex.get(todo.id)
    if (earlier !== undefined) {
      issues.push({ id: todo.id, index, field: 'id', message: `${todo.id} is used by todos #${earlier + 1} and #${index + 1}; ids must be unique` })
    } else firstIndex.set(todo.id, index)
  })
  return issues
}

/** Lines of an issue list for an error message, capped so a huge bad list stays readable. */
export function formatTodoIssues(issues: readonly TodoIssue[], limit = 10): string {
  const lines = issues.slice(0, limit).map((issue) => {
    const where = issue.id !== undefined ? `todo ${issue.id}` : issue.index !== undefined ? `todo #${issue.index + 1}` : 'todo'
    return `- ${where}, ${issue.field}: ${issue.message}`
  })
  if (issues.length > limit) lines.push(`- … and ${issues.length - limit} more`)
  return lines.join('\n')
}

/** Throws `todo-invalid` listing every problem when any todo is invalid. */
export function assertValidTodos(todos: readonly Todo[]): void {
  const issues = validateTodos(todos)
  if (issues.length === 0) return
  throw new OrchestratorError({
    code: 'todo-invalid',
    message: `Invalid todo list (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${formatTodoIssues(issues)}`,
    details: { issues },
  })
}
