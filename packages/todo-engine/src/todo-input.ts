import { OrchestratorError, TODO_STATUSES, type TodoStatus } from '@opencode-orchestrator/core'
import { describeValue, todoIdProblem } from './todo-id'
import { TODO_TEXT_LIMITS, normalizeTodoText, textProblem, titleProblem } from './todo-text'
import { isTodoStatus } from './validate-todo'

/** One todo as the Planner (or a person) writes it. */
export interface TodoInput {
  /** Keep an existing todo (replan) or choose an id; omitted → a new short id like `t4`. */
  id?: string
  /** One line saying what has to be done. */
  title: string
  /** Ids of todos that must be done first. */
  dependsOn?: string[]
  /** Details for whoever works on it. */
  note?: string
}

/** A status change as an agent asks for it (`orchestrator_todo_update`). */
export interface TodoStatusUpdate {
  id: string
  status: TodoStatus
  /** Why: required for `failed`, `blocked` and for sending a todo back to `pending`. */
  note?: string
  /** Required for `done`: what the Reviewer verified and how. */
  evidence?: string
}

/** One problem in tool input, addressed by path (`todos[2].dependsOn[0]`). */
export interface InputIssue {
  path: string
  message: string
}

const INPUT_KEYS = ['id', 'title', 'dependsOn', 'note'] as const
const UPDATE_KEYS = ['id', 'status', 'note', 'evidence'] as const

const EXAMPLE_INPUT = '{"title": "Add the login route", "dependsOn": ["t1"]}'
const EXAMPLE_UPDATE = '{"id": "t2", "status": "done", "evidence": "ran `pnpm test`: 14 passed; read src/login.ts"}'

/** `depends_on`, `DependsOn`, `deps` → `dependsOn`: the mistakes budget models make most. */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  const squash = (text: string) => text.toLowerCase().replace(/[^a-z]/g, '')
  const aliases: Record<string, string> = { deps: 'dependsOn', dependencies: 'dependsOn', name: 'title', text: 'title', content: 'title', description: 'note' }
  const direct = known.find((candidate) => squash(candidate) === squash(key))
  const alias = aliases[squash(key)]
  return direct ?? (alias && known.includes(alias) ? alias : undefined)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Optional fields: models often send `null` or `""` for "not given"; both mean absent. */
function isAbsent(value: unknown): boolean {
  return value === undefined || value === null || value === ''
}

function checkKeys(record: Record<string, unknown>, known: readonly string[], path: string, issues: InputIssue[]): void {
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue
    const suggestion = suggestKey(key, known)
    issues.push({
      path: `${path}.${key}`,
      message: suggestion ? `unknown field; did you mean "${suggestion}"?` : `unknown field; allowed fields: ${known.join(', ')}`,
    })
  }
}

function readText(value: unknown, path: string, limit: number, issues: InputIssue[]): string | undefined {
  if (isAbsent(value)) return undefined
  if (typeof value !== 'string') {
    issues.push({ path, message: `must be a string, got ${describeValue(value)}` })
    return undefined
  }
  const text = normalizeTodoText(value)
  if (text.length === 0) return undefined
  const problem = textProblem(text, limit)
  if (problem) issues.push({ path, message: problem })
  return text
}

function fail(kind: string, issues: readonly InputIssue[], example: string): never {
  const lines = issues.slice(0, 12).map((issue) => `- ${issue.path}: ${issue.message}`)
  if (issues.length > 12) lines.push(`- … and ${issues.length - 12} more`)
  throw new OrchestratorError({
    code: 'todo-invalid',
    message: `Invalid ${kind} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}\nFix these fields and call again. A valid item looks like ${example}`,
    details: { issues },
  })
}

function parseInput(value: unknown, path: string, issues: InputIssue[]): TodoInput | undefined {
  if (!isRecord(value)) {
    issues.push({ path, message: `must be an object like ${EXAMPLE_INPUT}, got ${describeValue(value)}` })
    return undefined
  }
  checkKeys(value, INPUT_KEYS, path, issues)
  const input: TodoInput = { title: '' }
  if (!isAbsent(value['id'])) {
    const problem = todoIdProblem(value['id'])
    if (problem) issues.push({ path: `${path}.id`, message: `${problem}; or leave it out to get a new id` })
    else input.id = value['id'] as string
  }
  if (typeof value['title'] !== 'string') {
    issues.push({ path: `${path}.title`, message: `required: a one-line description of the work, got ${describeValue(value['title'])}` })
  } else {
    input.title = value['title'].trim()
    const problem = titleProblem(input.title)
    if (problem) issues.push({ path: `${path}.title`, message: problem })
  }
  const dependsOn = value['dependsOn']
  if (!isAbsent(dependsOn)) {
    if (!Array.isArray(dependsOn)) {
      issues.push({ path: `${path}.dependsOn`, message: `must be an array of todo ids like ["t1", "t2"], got ${describeValue(dependsOn)}` })
    } else {
      dependsOn.forEach((dependency: unknown, position) => {
        const problem = todoIdProblem(dependency)
        if (problem) issues.push({ path: `${path}.dependsOn[${position}]`, message: problem })
      })
      input.dependsOn = [...new Set(dependsOn.filter((dependency): dependency is string => typeof dependency === 'string'))]
    }
  }
  const note = readText(value['note'], `${path}.note`, TODO_TEXT_LIMITS.note, issues)
  if (note !== undefined) input.note = note
  return input
}

/**
 * Validates todo items written by a model or a person (the Planner's
 * `orchestrator_todo_write`). Titles are trimmed, notes normalised, repeated
 * dependencies dropped, `null`/`""` optional fields treated as absent.
 * Whether dependency ids exist is checked when the items join a list.
 *
 * @throws OrchestratorError `todo-invalid` listing every problem by path, with
 * a valid example, so a model can fix its call in one go.
 */
export function parseTodoInputs(value: unknown, path = 'todos'): TodoInput[] {
  const issues: InputIssue[] = []
  if (!Array.isArray(value)) {
    fail('todo list', [{ path, message: `must be an array of todo items like [${EXAMPLE_INPUT}], got ${describeValue(value)}` }], EXAMPLE_INPUT)
  }
  const inputs = value.map((item, index) => parseInput(item, `${path}[${index}]`, issues))
  const seen = new Map<string, number>()
  inputs.forEach((input, index) => {
    if (input?.id === undefined) return
    const earlier = seen.get(input.id)
    if (earlier !== undefined) issues.push({ path: `${path}[${index}].id`, message: `"${input.id}" is already used by ${path}[${earlier}]; ids must be unique` })
    else seen.set(input.id, index)
  })
  if (issues.length > 0) fail('todo list', issues, EXAMPLE_INPUT)
  return inputs as TodoInput[]
}

/**
 * Validates one status change (`orchestrator_todo_update`). Checks the shape
 * only; whether the change is allowed is decided by `applyTodoUpdate`.
 *
 * @throws OrchestratorError `todo-invalid` naming each bad field and the fix.
 */
export function parseTodoStatusUpdate(value: unknown, path = 'update'): TodoStatusUpdate {
  const issues: InputIssue[] = []
  if (!isRecord(value)) fail('todo update', [{ path, message: `must be an object like ${EXAMPLE_UPDATE}, got ${describeValue(value)}` }], EXAMPLE_UPDATE)
  checkKeys(value, UPDATE_KEYS, path, issues)
  const idProblem = todoIdProblem(value['id'])
  if (idProblem) issues.push({ path: `${path}.id`, message: `required: the id of the todo to update; ${idProblem}` })
  const status = value['status']
  if (!isTodoStatus(status)) {
    issues.push({ path: `${path}.status`, message: `required: one of ${TODO_STATUSES.join(', ')}; got ${describeValue(status)}` })
  }
  const note = readText(value['note'], `${path}.note`, TODO_TEXT_LIMITS.note, issues)
  const evidence = readText(value['evidence'], `${path}.evidence`, TODO_TEXT_LIMITS.evidence, issues)
  if (issues.length > 0) fail('todo update', issues, EXAMPLE_UPDATE)
  return {
    id: value['id'] as string,
    status: status as TodoStatus,
    ...(note !== undefined ? { note } : {}),
    ...(evidence !== undefined ? { evidence } : {}),
  }
}
