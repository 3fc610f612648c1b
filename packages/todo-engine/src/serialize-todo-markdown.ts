import { OrchestratorError, type Todo } from '@opencode-orchestrator/core'
import { validateGraph } from './todo-graph'
import { TODOS_HEADING, TODO_MARKDOWN_LEGEND, TODO_MARKERS, formatTimestamp } from './todo-markdown-format'
import { TODO_TEXT_LIMITS, textProblem } from './todo-text'
import { assertValidTodos } from './validate-todo'

/** What todo.md shows besides the todos. */
export interface TodoMarkdownMeta {
  /** The mission goal, written as a quote under the `# Mission` heading. Multi-line is fine. */
  goal?: string
}

/** `  - label: first line` followed by continuation lines indented by four spaces. */
function textBlock(label: string, text: string, trailer = ''): string[] {
  const [first = '', ...rest] = text.split('\n')
  return [`  - ${label}: ${first}${trailer}`, ...rest.map((line) => (line.length > 0 ? `    ${line}` : ''))]
}

function todoLines(todo: Todo): string[] {
  const fields = [`id:${todo.id}`]
  if (todo.dependsOn.length > 0) fields.push(`deps:${todo.dependsOn.join(',')}`)
  if (todo.assignee?.agent !== undefined) fields.push(`agent:${todo.assignee.agent}`)
  if (todo.assignee?.sessionId !== undefined) fields.push(`session:${todo.assignee.sessionId}`)
  fields.push(`created:${formatTimestamp(todo.createdAt)}`, `updated:${formatTimestamp(todo.updatedAt)}`)
  const lines = [`- [${TODO_MARKERS[todo.status]}] ${todo.title} <!-- ${fields.join(' ')} -->`]
  if (todo.note !== undefined) lines.push(...textBlock('note', todo.note))
  if (todo.evidence !== undefined) {
    const evidence = todo.evidence
    const meta = [...(evidence.reviewerSessionId !== undefined ? [`by:${evidence.reviewerSessionId}`] : []), `at:${formatTimestamp(evidence.recordedAt)}`]
    lines.push(...textBlock('evidence', evidence.summary, ` <!-- ${meta.join(' ')} -->`))
  }
  return lines
}

/**
 * Writes todos as todo.md (format: see the package README). Only valid lists are
 * written, so whatever this returns, `parseTodoMarkdown` reads back to the same
 * todos and goal.
 *
 * @throws OrchestratorError `todo-invalid` (bad todo or goal), `todo-unknown-dependency`, `todo-cycle`.
 */
export function serializeTodoMarkdown(todos: readonly Todo[], meta: TodoMarkdownMeta = {}): string {
  assertValidTodos(todos)
  validateGraph(todos)
  const lines = ['# Mission', '']
  if (meta.goal !== undefined) {
    const problem = textProblem(meta.goal, TODO_TEXT_LIMITS.goal)
    if (problem) throw new OrchestratorError({ code: 'todo-invalid', message: `The mission goal ${problem}.`, details: { field: 'goal' } })
    lines.push(...meta.goal.split('\n').map((line) => (line.length > 0 ? `> ${line}` : '>')), '')
  }
  lines.push(TODO_MARKDOWN_LEGEND, '', TODOS_HEADING, '')
  for (const todo of todos) lines.push(...todoLines(todo))
  return `${lines.join('\n')}\n`
}
