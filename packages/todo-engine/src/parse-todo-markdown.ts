import { OrchestratorError, type IdGenerator, type Todo, type TodoEvidence, type TodoStatus } from '@opencode-orchestrator/core'
import { findCycle } from './todo-graph'
import { createTodoIdAllocator, todoIdProblem } from './todo-id'
import { MARKER_LEGEND, STATUS_BY_MARKER, parseTimestamp } from './todo-markdown-format'
import { TODO_TEXT_LIMITS, normalizeTodoText, textProblem, titleProblem } from './todo-text'
import { TODO_TOKEN_PATTERN, validateTodo } from './validate-todo'

export interface ParseTodoMarkdownOptions {
  /** Epoch ms used for todos and evidence written without timestamps (lines a person added). */
  now: number
  /** Ids for todo lines without one. Default: `t<n>`, above the highest `t<n>` in the file. */
  ids?: IdGenerator
}

export interface ParsedTodoMarkdown {
  /** The quoted goal under the heading, if any. */
  goal?: string
  todos: Todo[]
  /** Ids given to todo lines that had none (a person added them), with their line numbers. */
  assignedIds: Array<{ line: number; id: string }>
}

/** One problem of a todo.md file. */
export interface TodoMarkdownProblem {
  /** 1-based line number. */
  line: number
  message: string
}

const EXPECTED_LINE =
  'expected a todo line "- [ ] Title <!-- id:t1 -->", a note or evidence line indented by two spaces ("  - note: …"), a heading, a quoted goal ("> …") or a blank line'
const MAX_PROBLEMS = 20

interface TextBlock {
  /** Line of the `- note:` / `- evidence:` sub-line. */
  line: number
  lines: string[]
  /** Blank lines seen since the last line of the block: kept only if the block goes on. */
  blanks: number
}

interface Entry {
  line: number
  id?: string
  title: string
  status: TodoStatus
  dependsOn: string[]
  agent?: string
  sessionId?: string
  createdAt?: number
  updatedAt?: number
  note?: TextBlock
  evidence?: TextBlock & { reviewerSessionId?: string; recordedAt?: number }
}

/** `rest` split into text and the `<!-- … -->` comment ending it, if there is one. */
function splitComment(rest: string): { text: string; comment?: string } {
  const trimmed = rest.trimEnd()
  const start = trimmed.lastIndexOf('<!--')
  if (!trimmed.endsWith('-->') || start < 0 || start + 4 > trimmed.length - 3) return { text: trimmed }
  return { text: trimmed.slice(0, start).trimEnd(), comment: trimmed.slice(start + 4, -3).trim() }
}

/** `key:value` fields of a comment. Reports unknown keys, repeats and empty values. */
function commentFields(comment: string, allowed: readonly string[], report: (message: string) => void): Map<string, string> {
  const fields = new Map<string, string>()
  for (const token of comment.split(/\s+/).filter((part) => part.length > 0)) {
    const colon = token.indexOf(':')
    const key = colon > 0 ? token.slice(0, colon) : ''
    const value = colon > 0 ? token.slice(colon + 1) : ''
    if (!allowed.includes(key)) {
      report(`"${token}" in the comment is not a known field; use ${allowed.map((name) => `${name}:…`).join(' ')}`)
    } else if (value.length === 0) report(`"${key}:" has no value; write ${key}:<value> or remove it`)
    else if (fields.has(key)) report(`"${key}:" appears twice in the comment`)
    else fields.set(key, value)
  }
  return fields
}

function problemsError(problems: readonly TodoMarkdownProblem[]): OrchestratorError {
  const shown = problems.slice(0, MAX_PROBLEMS).map((problem) => `line ${problem.line}: ${problem.message}`)
  if (problems.length > MAX_PROBLEMS) shown.push(`… and ${problems.length - MAX_PROBLEMS} more`)
  const head = problems.length === 1 ? 'todo.md ' : `todo.md has ${problems.length} problems:\n`
  return new OrchestratorError({
    code: 'todo-markdown',
    message: `${head}${shown.join('\n')}`,
    details: { line: problems[0]?.line, problems },
  })
}

/**
 * Reads todo.md (format: see the package README). Nothing is skipped silently:
 * an unknown marker, a malformed or misplaced line, a duplicate id, an unknown
 * dependency or a cycle is an error naming its line. A todo line without an id
 * (a person added it) gets a new id, reported in `assignedIds`; headings,
 * blank lines and standalone `<!-- … -->` comments carry no data and are skipped.
 *
 * @throws OrchestratorError `todo-markdown` listing every problem with its line number.
 */
export function parseTodoMarkdown(text: string, options: ParseTodoMarkdownOptions): ParsedTodoMarkdown {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/)
  const problems: TodoMarkdownProblem[] = []
  const entries: Entry[] = []
  let goal: string[] | undefined
  let lastGoalLine = 0
  /** Current todo; `null` after a broken todo line, so its sub-lines do not add more errors. */
  let current: Entry | null | undefined
  let block: TextBlock | undefined
  let openComment: number | undefined

  lines.forEach((raw, index) => {
    const lineNumber = index + 1
    const report = (message: string) => problems.push({ line: lineNumber, message })
    if (openComment !== undefined) {
      const end = raw.indexOf('-->')
      if (end >= 0) {
        openComment = undefined
        if (raw.slice(end + 3).trim().length > 0) report('text after "-->" on the line that closes a comment; put it on its own line')
      }
      return
    }
    if (block && (raw.startsWith('    ') || raw.startsWith('\t'))) {
      for (; block.blanks > 0; block.blanks--) block.lines.push('')
      block.lines.push(raw.startsWith('\t') ? raw.slice(1) : raw.slice(4))
      return
    }
    if (raw.trim().length === 0) {
      if (block) block.blanks++
      return
    }
    block = undefined

    const todoLine = /^[-*+]\s+\[([^\]]*)\](.*)$/.exec(raw)
    if (todoLine) {
      current = null
      const marker = todoLine[1] ?? ''
      const status = STATUS_BY_MARKER.get(marker)
      if (!status) return report(`unknown marker "[${marker}]"; use one of ${MARKER_LEGEND}`)
      const rest = todoLine[2] ?? ''
      if (rest.length > 0 && !/^\s/.test(rest)) return report(`put a space between the marker "[${marker}]" and the title`)
      const { text: title, comment } = splitComment(rest.trim())
      if (title.length === 0) return report(`the todo has no title; write one after "[${marker}]"`)
      const titleIssue = titleProblem(title)
      if (titleIssue) return report(`the title ${titleIssue}`)
      const entry: Entry = { line: lineNumber, title, status, dependsOn: [] }
      if (comment !== undefined) {
        const fields = commentFields(comment, ['id', 'deps', 'agent', 'session', 'created', 'updated'], report)
        const id = fields.get('id')
        if (id !== undefined) {
          const problem = todoIdProblem(id)
          if (problem) report(`id ${problem}`)
          else entry.id = id
        }
        const deps = fields.get('deps')
        if (deps !== undefined) {
          for (const dependency of deps.split(',')) {
            const problem = todoIdProblem(dependency)
            if (problem) report(`deps: ${dependency.length === 0 ? 'empty id between commas' : problem}; write deps:t1,t2`)
            else if (!entry.dependsOn.includes(dependency)) entry.dependsOn.push(dependency)
          }
        }
        for (const [key, target] of [['agent', 'agent'], ['session', 'sessionId']] as const) {
          const value = fields.get(key)
          if (value === undefined) continue
          if (TODO_TOKEN_PATTERN.test(value)) entry[target] = value
          else report(`${key}:${value} is not a valid name (letters, digits, _ . : @ / + -)`)
        }
        for (const [key, target] of [['created', 'createdAt'], ['updated', 'updatedAt']] as const) {
          const value = fields.get(key)
          if (value === undefined) continue
          const ms = parseTimestamp(value)
          if (ms === undefined) report(`${key}:${value} is not a timestamp; write it like ${key}:2025-01-31T12:00:00.000Z or remove it`)
          else entry[target] = ms
        }
      }
      entries.push(entry)
      current = entry
      return
    }

    const subLine = /^(?: {1,3}|\t)[-*+]\s+(.*)$/.exec(raw)
    if (subLine) {
      const content = subLine[1] ?? ''
      if (/^\[[^\]]*\]/.test(content)) return report('nested todos are not supported; put the todo at the start of the line and use deps: for the order')
      const field = /^(note|evidence)\s*:(.*)$/i.exec(content)
      if (!field) return report(`unknown sub-line; expected "  - note: …" or "  - evidence: …" under a todo`)
      const kind = (field[1] ?? '').toLowerCase() as 'note' | 'evidence'
      if (current === null) return
      if (current === undefined) return report(`"${kind}:" line without a todo line above it`)
      const earlier = current[kind]
      if (earlier) return report(`second "${kind}:" line for this todo (first on line ${earlier.line}); merge them into one`)
      const value = field[2] ?? ''
      if (kind === 'note') {
        current.note = { line: lineNumber, lines: [value], blanks: 0 }
        block = current.note
        return
      }
      const { text: summary, comment } = splitComment(value)
      const evidence: NonNullable<Entry['evidence']> = { line: lineNumber, lines: [summary], blanks: 0 }
      if (comment !== undefined) {
        const fields = commentFields(comment, ['by', 'at'], report)
        const by = fields.get('by')
        if (by !== undefined) {
          if (TODO_TOKEN_PATTERN.test(by)) evidence.reviewerSessionId = by
          else report(`by:${by} is not a valid session id`)
        }
        const at = fields.get('at')
        if (at !== undefined) {
          const ms = parseTimestamp(at)
          if (ms === undefined) report(`at:${at} is not a timestamp; write it like at:2025-01-31T12:00:00.000Z or remove it`)
          else evidence.recordedAt = ms
        }
      }
      current.evidence = evidence
      block = evidence
      return
    }

    if (/^#{1,6}(\s|$)/.test(raw)) {
      // A heading ends the todo above it: a note below a heading belongs to no todo.
      current = undefined
      return
    }
    const quote = /^>\s?(.*)$/.exec(raw)
    if (quote) {
      if (entries.length > 0 || current === null) return report('a quoted goal line ("> …") after the todos; the goal belongs above the list')
      goal ??= []
      if (lastGoalLine > 0 && lineNumber > lastGoalLine + 1) goal.push('')
      goal.push(quote[1] ?? '')
      lastGoalLine = lineNumber
      return
    }
    if (raw.startsWith('<!--')) {
      const end = raw.indexOf('-->')
      if (end < 0) openComment = lineNumber
      else if (raw.slice(end + 3).trim().length > 0) report('text after a comment on the same line; put it on its own line')
      return
    }
    if (/^[-*+]\s/.test(raw)) return report(`a list item without a checkbox; write "- [ ] ${raw.replace(/^[-*+]\s+/, '').slice(0, 60)}" (or another marker: ${MARKER_LEGEND})`)
    if (/^\s/.test(raw)) return report(`indented text that does not continue a note or evidence; indent continuation lines by four spaces under "  - note: …"`)
    report(`malformed line "${raw.length > 60 ? `${raw.slice(0, 60)}…` : raw}"; ${EXPECTED_LINE}`)
  })
  if (openComment !== undefined) problems.push({ line: openComment, message: 'comment "<!--" is never closed with "-->"' })

  // Ids: explicit ones must be unique; lines without one get fresh ids once all explicit ids are known.
  const lineOfId = new Map<string, number>()
  for (const entry of entries) {
    if (entry.id === undefined) continue
    const first = lineOfId.get(entry.id)
    if (first !== undefined) problems.push({ line: entry.line, message: `duplicate id ${entry.id} (also on line ${first}); give each todo its own id, or remove the id to get a new one` })
    else lineOfId.set(entry.id, entry.line)
  }
  const assignedIds: ParsedTodoMarkdown['assignedIds'] = []
  const newId = createTodoIdAllocator(new Set(lineOfId.keys()), options.ids)
  for (const entry of entries) {
    if (entry.id !== undefined) continue
    entry.id = newId()
    lineOfId.set(entry.id, entry.line)
    assignedIds.push({ line: entry.line, id: entry.id })
  }

  const todos = entries.map((entry) => toTodo(entry, options.now, problems))
  for (const entry of entries) {
    const missing = entry.dependsOn.filter((dependency) => !lineOfId.has(dependency))
    if (missing.length > 0) {
      problems.push({ line: entry.line, message: `${entry.id} depends on ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not in the file; fix or remove deps:` })
    }
  }
  const cycle = findCycle(todos)
  if (cycle) {
    const where = cycle.slice(0, -1).map((id) => lineOfId.get(id)).join(', ')
    problems.push({ line: lineOfId.get(cycle[0] as string) ?? 1, message: `dependency cycle ${cycle.join(' → ')} (lines ${where}); remove one of these deps` })
  }
  if (problems.length > 0) throw problemsError(problems.sort((a, b) => a.line - b.line))

  const goalText = goal === undefined ? undefined : normalizeTodoText(goal.join('\n'))
  if (goalText !== undefined && goalText.length > 0) {
    const problem = textProblem(goalText, TODO_TEXT_LIMITS.goal)
    if (problem) throw problemsError([{ line: lastGoalLine, message: `the goal ${problem}` }])
  }
  return { ...(goalText ? { goal: goalText } : {}), todos, assignedIds }
}

function toTodo(entry: Entry, now: number, problems: TodoMarkdownProblem[]): Todo {
  const todo: Todo = {
    id: entry.id as string,
    title: entry.title,
    status: entry.status,
    dependsOn: entry.dependsOn,
    createdAt: entry.createdAt ?? now,
    updatedAt: entry.updatedAt ?? entry.createdAt ?? now,
  }
  if (entry.agent !== undefined || entry.sessionId !== undefined) {
    todo.assignee = { ...(entry.agent !== undefined ? { agent: entry.agent } : {}), ...(entry.sessionId !== undefined ? { sessionId: entry.sessionId } : {}) }
  }
  if (entry.note) {
    const note = normalizeTodoText(entry.note.lines.join('\n'))
    if (note.length === 0) problems.push({ line: entry.note.line, message: 'the note is empty; write the note after "note:" or remove the line' })
    else todo.note = note
  }
  if (entry.evidence) {
    const summary = normalizeTodoText(entry.evidence.lines.join('\n'))
    if (summary.length === 0) problems.push({ line: entry.evidence.line, message: 'the evidence line is empty; say what was verified and how' })
    else {
      const evidence: TodoEvidence = { summary, recordedAt: entry.evidence.recordedAt ?? now }
      if (entry.evidence.reviewerSessionId !== undefined) evidence.reviewerSessionId = entry.evidence.reviewerSessionId
      todo.evidence = evidence
    }
  }
  for (const issue of validateTodo(todo)) {
    const line = issue.field.startsWith('evidence.') && entry.evidence ? entry.evidence.line : issue.field === 'note' && entry.note ? entry.note.line : entry.line
    const message =
      issue.field === 'evidence' && todo.status === 'done' && !entry.evidence
        ? `${todo.id} is marked done ([x]) but has no evidence; add a line "  - evidence: what the Reviewer verified" below it, or change the marker`
        : `${todo.id}, ${issue.field}: ${issue.message}`
    problems.push({ line, message })
  }
  return todo
}
