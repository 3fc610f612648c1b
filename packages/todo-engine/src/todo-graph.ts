import { OrchestratorError, type Todo } from '@opencode-orchestrator/core'

/** The part of a todo the dependency graph looks at. */
export type TodoNode = Pick<Todo, 'id' | 'dependsOn'>

const ARROW = ' → '

/** Ids in list order, shortened for messages. */
function listIds(ids: readonly string[], limit = 20): string {
  return ids.length <= limit ? ids.join(', ') : `${ids.slice(0, limit).join(', ')} … (${ids.length - limit} more)`
}

/**
 * A dependency cycle as a path that returns to its start, e.g. `['t1', 't3', 't1']`,
 * or `undefined` when the graph is acyclic. Dependencies on unknown ids are ignored.
 * Deterministic: the first cycle reachable in list order.
 */
export function findCycle(todos: readonly TodoNode[]): string[] | undefined {
  const byId = new Map(todos.map((todo) => [todo.id, todo]))
  // 1 = on the current path, 2 = finished (no cycle through it).
  const state = new Map<string, 1 | 2>()
  for (const start of todos) {
    if (state.has(start.id)) continue
    // Iterative DFS: long dependency chains must not overflow the stack.
    const path: string[] = [start.id]
    const cursors: number[] = [0]
    state.set(start.id, 1)
    while (path.length > 0) {
      const top = path.length - 1
      const id = path[top] as string
      const dependencies = byId.get(id)?.dependsOn ?? []
      const cursor = cursors[top] as number
      if (cursor >= dependencies.length) {
        state.set(id, 2)
        path.pop()
        cursors.pop()
        continue
      }
      cursors[top] = cursor + 1
      const next = dependencies[cursor] as string
      if (!byId.has(next)) continue
      const seen = state.get(next)
      if (seen === 1) return [...path.slice(path.indexOf(next)), next]
      if (seen === undefined) {
        state.set(next, 1)
        path.push(next)
        cursors.push(0)
      }
    }
  }
  return undefined
}

/**
 * Checks that ids are unique, every dependency names a todo of the list and
 * there is no cycle. Throws `OrchestratorError`:
 * - `todo-invalid` for a repeated id,
 * - `todo-unknown-dependency` naming each todo and the ids it is missing,
 * - `todo-cycle` with the path, e.g. `t1 → t3 → t1`.
 */
export function validateGraph(todos: readonly TodoNode[]): void {
  const ids = new Set<string>()
  const repeated = new Set<string>()
  for (const todo of todos) {
    if (ids.has(todo.id)) repeated.add(todo.id)
    ids.add(todo.id)
  }
  if (repeated.size > 0) {
    const list = [...repeated]
    throw new OrchestratorError({
      code: 'todo-invalid',
      message: `Todo ids must be unique; used more than once: ${listIds(list)}. Give each todo its own id.`,
      details: { field: 'id', duplicates: list },
    })
  }
  const unknown: Array<{ id: string; missing: string[] }> = []
  for (const todo of todos) {
    const missing = todo.dependsOn.filter((dependency) => !ids.has(dependency))
    if (missing.length > 0) unknown.push({ id: todo.id, missing })
  }
  if (unknown.length > 0) {
    const parts = unknown.map(({ id, missing }) => `${id} depends on ${missing.join(' and ')}`)
    throw new OrchestratorError({
      code: 'todo-unknown-dependency',
      message:
        `Unknown dependency id${parts.length === 1 && unknown[0]?.missing.length === 1 ? '' : 's'}: ${parts.join('; ')}. ` +
        `Known ids: ${ids.size > 0 ? listIds([...ids]) : '(none)'}. Depend only on todos in the list, or add the missing todos.`,
      details: { field: 'dependsOn', unknown, known: [...ids] },
    })
  }
  const cycle = findCycle(todos)
  if (cycle) {
    throw new OrchestratorError({
      code: 'todo-cycle',
      message: `Todo dependencies form a cycle: ${cycle.join(ARROW)}. Remove one of these dependencies so the work has an order.`,
      details: { field: 'dependsOn', cycle },
    })
  }
}

/**
 * Pending todos whose dependencies are all `done`: the work that can start now,
 * in list order. Independent todos come back together so they can run in parallel.
 * A dependency on an unknown id is never satisfied.
 */
export function ready(todos: readonly Todo[]): Todo[] {
  const done = new Set(todos.filter((todo) => todo.status === 'done').map((todo) => todo.id))
  return todos.filter((todo) => todo.status === 'pending' && todo.dependsOn.every((dependency) => done.has(dependency)))
}

/** Ids of the dependencies of `todo` that are not `done` yet (unknown ids included), in `dependsOn` order. */
export function blockedBy(todo: TodoNode, todos: readonly Todo[]): string[] {
  const done = new Set(todos.filter((candidate) => candidate.status === 'done').map((candidate) => candidate.id))
  return todo.dependsOn.filter((dependency) => !done.has(dependency))
}

/**
 * Todos ordered so that every todo comes after its dependencies; among todos
 * that could go next, list order wins (stable). Validates the graph first.
 */
export function topologicalOrder<T extends TodoNode>(todos: readonly T[]): T[] {
  validateGraph(todos)
  const position = new Map(todos.map((todo, index) => [todo.id, index]))
  const remaining = new Map(todos.map((todo) => [todo.id, todo.dependsOn.length]))
  const dependents = new Map<string, string[]>()
  for (const todo of todos) {
    for (const dependency of todo.dependsOn) dependents.set(dependency, [...(dependents.get(dependency) ?? []), todo.id])
  }
  // Lists are small (tens to hundreds): a sorted array beats a heap in clarity.
  const available = todos.filter((todo) => todo.dependsOn.length === 0).map((todo) => todo.id)
  const order: T[] = []
  while (available.length > 0) {
    const id = available.shift() as string
    order.push(todos[position.get(id) as number] as T)
    for (const dependent of dependents.get(id) ?? []) {
      const left = (remaining.get(dependent) as number) - 1
      remaining.set(dependent, left)
      if (left === 0) {
        available.push(dependent)
        available.sort((a, b) => (position.get(a) as number) - (position.get(b) as number))
      }
    }
  }
  return order
}
