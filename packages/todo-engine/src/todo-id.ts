import { OrchestratorError, type IdGenerator } from '@opencode-orchestrator/core'

/**
 * Shape of a todo id: a letter or digit, then letters, digits, `_`, `.` or `-`,
 * at most 64 characters. No spaces or commas, so ids fit todo.md's
 * `<!-- id:t1 deps:t2,t3 -->` comment without quoting.
 */
export const TODO_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

export function isTodoId(value: unknown): value is string {
  return typeof value === 'string' && TODO_ID_PATTERN.test(value)
}

/** Why `value` is not a todo id, phrased for whoever has to fix it. */
export function todoIdProblem(value: unknown): string | undefined {
  if (isTodoId(value)) return undefined
  if (typeof value !== 'string') return `must be a string like "t1", got ${describeValue(value)}`
  return `"${value}" is not a valid id: use letters, digits, "_", "." or "-" (no spaces or commas, at most 64 characters), e.g. "t1"`
}

/** Short, safe rendering of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value.length > 40 ? `the string "${value.slice(0, 40)}…"` : `the string "${value}"`
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${String(value)}`
}

/** Tries of an injected generator before giving up (it keeps returning taken ids). */
const MAX_ATTEMPTS = 1000

/**
 * Hands out new todo ids that are not in `taken` (and records each one there).
 *
 * Without `ids` the ids are `t<n>` with `n` above the highest `t<number>` id in
 * `taken`: short for people and models, and never an id that is still in the
 * list. With `ids`, `ids.next('t')` is called until it yields a free, valid id.
 */
export function createTodoIdAllocator(taken: Set<string>, ids?: IdGenerator): () => string {
  let highest = 0
  if (!ids) {
    for (const id of taken) {
      const match = /^t(\d{1,15})$/.exec(id)
      if (match?.[1]) highest = Math.max(highest, Number(match[1]))
    }
  }
  return () => {
    const id = ids ? fromGenerator(taken, ids) : `t${++highest}`
    taken.add(id)
    return id
  }
}

function fromGenerator(taken: ReadonlySet<string>, ids: IdGenerator): string {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const id = ids.next('t')
    if (!taken.has(id) && isTodoId(id)) return id
  }
  throw new OrchestratorError({
    code: 'invalid-argument',
    message: `The id generator returned no free todo id in ${MAX_ATTEMPTS} tries; pass a generator whose ids match ${TODO_ID_PATTERN} and do not repeat.`,
    details: { field: 'ids' },
  })
}

/** One new todo id not in `taken` (see {@link createTodoIdAllocator}). */
export function nextTodoId(taken: ReadonlySet<string>, ids?: IdGenerator): string {
  return createTodoIdAllocator(new Set(taken), ids)()
}
