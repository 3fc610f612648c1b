import {
  OrchestratorError,
  type Clock,
  type IdGenerator,
  type Todo,
  type TodoAssignee,
  type TodoStatus,
} from '@opencode-orchestrator/core'
import { blockedBy, ready, topologicalOrder, validateGraph } from './todo-graph'
import { createTodoIdAllocator } from './todo-id'
import type { TodoInput } from './todo-input'
import { summarizeTodos, type TodoSummary } from './todo-summary'
import { normalizeTodoText } from './todo-text'
import { assertValidTodos } from './validate-todo'

export interface TodoListOptions {
  /** Source of `createdAt`, `updatedAt` and `evidence.recordedAt`. */
  clock: Pick<Clock, 'now'>
  /**
   * Generator for new ids, called as `ids.next('t')` until it returns an id not in the list.
   * Default: `t<n>`, one above the highest `t<n>` already in the list (`t1`, `t2`, …).
   */
  ids?: IdGenerator
}

export interface CreateTodoListOptions extends TodoListOptions {
  /** Initial todos, e.g. from the mission journal or a parsed todo.md. Validated. */
  todos?: readonly Todo[]
}

/** What the Reviewer hands over when it accepts a todo. */
export interface EvidenceInput {
  /** What was verified and how: commands run and their result, files read. */
  summary: string
  /** Reviewer session that verified it. */
  reviewerSessionId?: string
}

export interface SetStatusOptions {
  /** Why; required for `failed` and `blocked`. Replaces the todo's note. */
  note?: string
  /** Who works on it; recorded when the todo moves to `in_progress`. */
  assignee?: TodoAssignee
}

/** Changes a planner may make to an existing todo without touching its status. */
export interface TodoEdit {
  title?: string
  /** Replaces the dependencies; `[]` removes them all. */
  dependsOn?: string[]
  /** Replaces the note; `''` removes it. */
  note?: string
}

/** Status changes `setStatus` allows. `done` is reached only through `markDone`. */
const TRANSITIONS: Readonly<Record<TodoStatus, readonly TodoStatus[]>> = {
  pending: ['in_progress', 'blocked', 'failed', 'cancelled'],
  in_progress: ['pending', 'blocked', 'failed', 'cancelled'],
  blocked: ['pending', 'in_progress', 'failed', 'cancelled'],
  failed: ['pending', 'in_progress', 'cancelled'],
  cancelled: ['pending'],
  done: [],
}

function freezeTodo(todo: Todo): Todo {
  Object.freeze(todo.dependsOn)
  if (todo.assignee) Object.freeze(todo.assignee)
  if (todo.evidence) Object.freeze(todo.evidence)
  return Object.freeze(todo)
}

/** A copy of `todo` with `changes` applied; `undefined` values remove optional fields. */
function patch(todo: Todo, changes: Partial<Todo>): Todo {
  // Copies nested objects too: frozen todos must never share objects with the caller.
  const next: Todo = {
    ...todo,
    dependsOn: [...todo.dependsOn],
    ...(todo.assignee ? { assignee: { ...todo.assignee } } : {}),
    ...(todo.evidence ? { evidence: { ...todo.evidence } } : {}),
    ...changes,
  }
  for (const key of ['assignee', 'evidence', 'note'] as const) {
    if (next[key] === undefined) delete next[key]
  }
  return next
}

/** Equal apart from `updatedAt`. */
function sameContent(a: Todo, b: Todo): boolean {
  return (
    a.id === b.id &&
    a.title === b.title &&
    a.status === b.status &&
    a.dependsOn.join(',') === b.dependsOn.join(',') &&
    a.note === b.note &&
    a.assignee?.agent === b.assignee?.agent &&
    a.assignee?.sessionId === b.assignee?.sessionId &&
    (a.assignee === undefined) === (b.assignee === undefined) &&
    a.evidence?.summary === b.evidence?.summary &&
    a.evidence?.reviewerSessionId === b.evidence?.reviewerSessionId &&
    a.evidence?.recordedAt === b.evidence?.recordedAt &&
    a.createdAt === b.createdAt
  )
}

function invalid(message: string, details: Record<string, unknown>): OrchestratorError {
  return new OrchestratorError({ code: 'todo-invalid', message, details })
}

/**
 * An immutable todo list: every operation validates the result and returns a
 * new list, so a failed operation leaves the old list untouched and a list can
 * be shared with the journal and notices without copying.
 *
 * @example
 * let list = createTodoList({ clock })
 * list = list.add([{ title: 'Schema' }, { title: 'Routes', dependsOn: ['t1'] }])
 * list = list.setStatus('t1', 'in_progress', { assignee: { agent: 'worker' } })
 * list = list.markDone('t1', { summary: 'ran `pnpm test`: 14 passed' })
 * list.ready() // → [t2]
 */
export class TodoList {
  readonly todos: readonly Todo[]
  readonly #options: TodoListOptions
  readonly #byId: ReadonlyMap<string, Todo>

  /** Use {@link createTodoList}. */
  private constructor(options: TodoListOptions, todos: readonly Todo[]) {
    this.#options = options
    this.todos = Object.freeze(todos.map(freezeTodo))
    this.#byId = new Map(this.todos.map((todo) => [todo.id, todo]))
  }

  /** @internal Validates `todos` and wraps them; the entry point is {@link createTodoList}. */
  static of(options: TodoListOptions, todos: readonly Todo[]): TodoList {
    assertValidTodos(todos)
    validateGraph(todos)
    return new TodoList(options, todos.map((todo) => patch(todo, {})))
  }

  get size(): number {
    return this.todos.length
  }

  get(id: string): Todo | undefined {
    return this.#byId.get(id)
  }

  /** The todo with `id`; throws `todo-invalid` naming the known ids when there is none. */
  require(id: string): Todo {
    const todo = this.#byId.get(id)
    if (todo) return todo
    const known = this.todos.map((candidate) => candidate.id)
    throw invalid(`No todo with id "${id}". Known ids: ${known.length > 0 ? known.join(', ') : '(none: the list is empty)'}.`, { field: 'id', id, known })
  }

  /** Appends new todos. Inputs may depend on each other (by given id) and on todos already in the list. */
  add(inputs: readonly TodoInput[]): TodoList {
    const now = this.#options.clock.now()
    const newId = this.#allocator(inputs)
    const added: Todo[] = []
    for (const input of inputs) {
      if (input.id !== undefined && this.#byId.has(input.id)) {
        throw invalid(`Todo ${input.id} already exists; leave the id out to add a new todo, or use replan/edit to change it.`, { field: 'id', id: input.id })
      }
      added.push(this.#create(input.id ?? newId(), input, now))
    }
    return this.#with([...this.todos, ...added])
  }

  /**
   * Replaces the plan with `inputs`, in their order. An input whose id is in the
   * list updates that todo (fields it leaves out keep their values; status,
   * evidence and assignee always stay); other inputs become new todos; todos
   * missing from `inputs` are removed.
   */
  replan(inputs: readonly TodoInput[]): TodoList {
    const now = this.#options.clock.now()
    const newId = this.#allocator(inputs)
    const todos = inputs.map((input) => {
      const existing = input.id === undefined ? undefined : this.#byId.get(input.id)
      return existing ? this.#edited(existing, input, now) : this.#create(input.id ?? newId(), input, now)
    })
    return this.#with(todos)
  }

  /** Changes title, dependencies or note of one todo. */
  edit(id: string, changes: TodoEdit): TodoList {
    const todo = this.require(id)
    return this.#replace(this.#edited(todo, changes, this.#options.clock.now()))
  }

  /** Removes a todo; fails when other todos depend on it (naming them). */
  remove(id: string): TodoList {
    this.require(id)
    const dependents = this.todos.filter((todo) => todo.dependsOn.includes(id)).map((todo) => todo.id)
    if (dependents.length > 0) {
      throw invalid(`Cannot remove ${id}: ${dependents.join(', ')} depend${dependents.length === 1 ? 's' : ''} on it. Remove or edit those dependencies first.`, {
        field: 'id',
        id,
        dependents,
      })
    }
    return this.#with(this.todos.filter((todo) => todo.id !== id))
  }

  /**
   * Moves a todo to any status but `done` (see {@link TodoList.markDone}).
   * Allowed: pending → in_progress | blocked | failed | cancelled;
   * in_progress → pending | blocked | failed | cancelled; blocked → pending | in_progress | failed | cancelled;
   * failed → pending | in_progress | cancelled; cancelled → pending. `in_progress` needs every
   * dependency done; `failed` and `blocked` need a note saying why. Setting the current status
   * again only updates note/assignee (tool calls may repeat).
   */
  setStatus(id: string, status: Exclude<TodoStatus, 'done'>, options: SetStatusOptions = {}): TodoList {
    const todo = this.require(id)
    if ((status as TodoStatus) === 'done') {
      throw invalid(`Todo ${id} cannot be set to done directly: only the Reviewer marks a todo done, with evidence (markDone).`, { field: 'status', id })
    }
    if (todo.status !== status && !TRANSITIONS[todo.status].includes(status)) {
      const allowed = TRANSITIONS[todo.status]
      const hint = todo.status === 'done' ? 'a done todo goes back only through sendBack (the Reviewer rejects it) with a note' : `allowed from ${todo.status}: ${allowed.join(', ')}`
      throw invalid(`Todo ${id} cannot go from ${todo.status} to ${status}; ${hint}.`, { field: 'status', id, from: todo.status, to: status })
    }
    const note = options.note === undefined ? undefined : normalizeTodoText(options.note)
    if ((status === 'failed' || status === 'blocked') && !note) {
      throw invalid(`Todo ${id}: status ${status} needs a note saying why (what failed, or what it is waiting for).`, { field: 'note', id, status })
    }
    if (status === 'in_progress') this.#requireDependenciesDone(todo, 'start')
    const changes: Partial<Todo> = { status }
    if (note !== undefined) changes.note = note.length > 0 ? note : undefined
    if (status === 'in_progress' && options.assignee) changes.assignee = { ...options.assignee }
    // Back in the queue: whoever picks it up next becomes the assignee.
    if (status === 'pending') changes.assignee = undefined
    return this.#update(todo, changes)
  }

  /**
   * The Reviewer's acceptance: marks a todo done and records what was verified.
   * Allowed from every status but `cancelled` (reopen it first); on a done todo it
   * replaces the evidence. Every dependency must be done.
   */
  markDone(id: string, evidence: EvidenceInput): TodoList {
    const todo = this.require(id)
    if (todo.status === 'cancelled') {
      throw invalid(`Todo ${id} is cancelled; set it back to pending before it can be marked done.`, { field: 'status', id, from: 'cancelled', to: 'done' })
    }
    const summary = typeof evidence.summary === 'string' ? normalizeTodoText(evidence.summary) : ''
    if (summary.length === 0) {
      throw invalid(`Todo ${id}: done needs evidence — say what you verified and how (commands run and their result, files read).`, { field: 'evidence.summary', id })
    }
    this.#requireDependenciesDone(todo, 'mark done')
    return this.#update(todo, {
      status: 'done',
      evidence: {
        summary,
        ...(evidence.reviewerSessionId !== undefined ? { reviewerSessionId: evidence.reviewerSessionId } : {}),
        recordedAt: this.#options.clock.now(),
      },
    })
  }

  /**
   * The Reviewer's rejection: a todo that is in progress, done, failed or blocked
   * goes back to `pending` with `note` saying what is missing. Evidence and
   * assignee are cleared, so the todo is dispatched again and must be verified again.
   */
  sendBack(id: string, note: string): TodoList {
    const todo = this.require(id)
    if (todo.status === 'pending' || todo.status === 'cancelled') {
      throw invalid(`Todo ${id} is ${todo.status}; only work in progress, done, failed or blocked can be sent back.`, { field: 'status', id, from: todo.status })
    }
    const text = typeof note === 'string' ? normalizeTodoText(note) : ''
    if (text.length === 0) {
      throw invalid(`Todo ${id}: sending it back needs a note saying what is missing or wrong.`, { field: 'note', id })
    }
    return this.#update(todo, { status: 'pending', note: text, evidence: undefined, assignee: undefined })
  }

  /** Pending todos whose dependencies are all done (see `ready`). */
  ready(): Todo[] {
    return ready(this.todos)
  }

  /** Dependencies of `id` that are not done yet. */
  blockedBy(id: string): string[] {
    return blockedBy(this.require(id), this.todos)
  }

  /** Todos with every todo after its dependencies (stable). */
  topologicalOrder(): Todo[] {
    return topologicalOrder(this.todos)
  }

  summary(): TodoSummary {
    return summarizeTodos(this.todos)
  }

  /** Plain mutable copies, e.g. for `structuredClone`-based storage. */
  toArray(): Todo[] {
    return this.todos.map((todo) => structuredClone(patch(todo, {})))
  }

  /** New ids avoid the list's ids and the ids `inputs` bring along. */
  #allocator(inputs: readonly TodoInput[]): () => string {
    const taken = new Set(this.#byId.keys())
    for (const input of inputs) if (input.id !== undefined) taken.add(input.id)
    return createTodoIdAllocator(taken, this.#options.ids)
  }

  #requireDependenciesDone(todo: Todo, action: string): void {
    const waiting = blockedBy(todo, this.todos)
    if (waiting.length === 0) return
    const detail = waiting.map((id) => `${id} (${this.#byId.get(id)?.status ?? 'unknown'})`).join(', ')
    throw invalid(`Cannot ${action} ${todo.id}: it depends on ${detail}, which must be done first.`, { field: 'dependsOn', id: todo.id, waitingFor: waiting })
  }

  #create(id: string, input: TodoInput, now: number): Todo {
    return patch(
      { id, title: input.title.trim(), status: 'pending', dependsOn: [...(input.dependsOn ?? [])], createdAt: now, updatedAt: now },
      { note: input.note === undefined ? undefined : normalizeTodoText(input.note) || undefined },
    )
  }

  /** `todo` with the title/dependsOn/note of `changes`; bumps `updatedAt` only when something changed. */
  #edited(todo: Todo, changes: TodoEdit, now: number): Todo {
    const next = patch(todo, {})
    if (changes.title !== undefined) next.title = changes.title.trim()
    if (changes.dependsOn !== undefined) next.dependsOn = [...new Set(changes.dependsOn)]
    if (changes.note !== undefined) {
      const note = normalizeTodoText(changes.note)
      if (note.length > 0) next.note = note
      else delete next.note
    }
    return sameContent(next, todo) ? todo : { ...next, updatedAt: now }
  }

  #update(todo: Todo, changes: Partial<Todo>): TodoList {
    const next = patch(todo, changes)
    // A repeated tool call that changes nothing keeps the list (and updatedAt) as it is.
    if (sameContent(next, todo)) return this
    return this.#replace({ ...next, updatedAt: this.#options.clock.now() })
  }

  #replace(todo: Todo): TodoList {
    const todos = this.todos.map((candidate) => (candidate.id === todo.id ? todo : candidate))
    const before = this.require(todo.id)
    // Same dependencies: the rest of the list is already valid, so checking the one todo is enough.
    if (before.dependsOn.join(',') === todo.dependsOn.join(',')) {
      assertValidTodos([todo])
      return new TodoList(this.#options, todos)
    }
    return this.#with(todos)
  }

  #with(todos: readonly Todo[]): TodoList {
    assertValidTodos(todos)
    validateGraph(todos)
    return new TodoList(this.#options, todos)
  }
}

/** A validated, immutable todo list. Throws `todo-invalid`, `todo-unknown-dependency` or `todo-cycle` for bad initial todos. */
export function createTodoList(options: CreateTodoListOptions): TodoList {
  const { todos = [], ...listOptions } = options
  return TodoList.of(listOptions, todos)
}
