import type { Todo } from '@opencode-orchestrator/core'

/** What {@link adoptTodoEdits} made of a person's edit of todo.md. */
export interface AdoptedTodoEdits {
  /** The todos to keep: the edit, with every verification as the journal has it. */
  todos: Todo[]
  /**
   * True when the edit holds no todo at all while the journal has some: an emptied or
   * truncated file, never taken as "remove every todo". `todos` is then the journal's list.
   */
  wiped: boolean
  /** One sentence per part of the edit that was not taken, for the person's notice. */
  refused: string[]
}

function sameEvidence(a: Todo['evidence'], b: Todo['evidence']): boolean {
  return a?.summary === b?.summary && a?.reviewerSessionId === b?.reviewerSessionId
}

/**
 * Merges a person's edit of todo.md (already parsed) into the journal's todos. A person may
 * add, reword, reorder, re-link, annotate and re-status open todos; a verification belongs
 * to the Reviewer's tool alone (docs/decisions/030), so:
 * - a todo the journal has verified (`done`) stays exactly as journaled — title, status,
 *   evidence, note — wherever the edit moved it; removing it from the file does not remove it;
 * - a todo the file marks done (`[x]`) without a Reviewer verdict in the journal keeps its
 *   journaled status (new todos: `pending`), and evidence written into the file is dropped;
 * - who works on a todo (assignee) and when it was created come from the journal.
 *
 * The result is not validated: a caller checks the graph (a verified todo that comes back may
 * depend on todos the edit removed; such dependencies are dropped here).
 */
export function adoptTodoEdits(journal: readonly Todo[], edited: readonly Todo[]): AdoptedTodoEdits {
  if (edited.length === 0 && journal.length > 0) {
    return { todos: journal.map((todo) => structuredClone(todo)), wiped: true, refused: [] }
  }
  const journaled = new Map(journal.map((todo) => [todo.id, todo]))
  const refused: string[] = []
  const todos: Todo[] = edited.map((todo) => {
    const before = journaled.get(todo.id)
    if (before?.status === 'done') {
      const changed = todo.title !== before.title || todo.status !== 'done' || !sameEvidence(todo.evidence, before.evidence) || todo.note !== before.note
      if (changed) refused.push(`${todo.id} is verified by the Reviewer: its title, status, evidence and note stay as verified.`)
      return structuredClone(before)
    }
    const next: Todo = structuredClone(todo)
    delete next.evidence
    delete next.assignee
    if (before?.assignee) next.assignee = structuredClone(before.assignee)
    if (before) next.createdAt = before.createdAt
    if (todo.status === 'done') {
      next.status = before?.status ?? 'pending'
      refused.push(`${todo.id} is marked done in todo.md, but only the Reviewer's verdict marks a todo done; it stays ${next.status}.`)
    } else if (todo.evidence) {
      refused.push(`${todo.id}: evidence is recorded only by the Reviewer; the evidence line was dropped.`)
    }
    return next
  })
  const present = new Set(todos.map((todo) => todo.id))
  for (const todo of journal) {
    if (todo.status !== 'done' || present.has(todo.id)) continue
    todos.push(structuredClone(todo))
    present.add(todo.id)
    refused.push(`${todo.id} is verified by the Reviewer and cannot be removed through todo.md; it was kept.`)
  }
  // A verified todo keeps its place in the graph only towards todos that are still there.
  for (const todo of todos) if (todo.status === 'done') todo.dependsOn = todo.dependsOn.filter((id) => present.has(id))
  return { todos, wiped: false, refused }
}
