import type { TodoStatus } from '@opencode-orchestrator/core'

/** The checkbox marker of each status in todo.md: `- [x] Title`. */
export const TODO_MARKERS: Readonly<Record<TodoStatus, string>> = {
  pending: ' ',
  in_progress: '~',
  done: 'x',
  failed: '!',
  blocked: '?',
  cancelled: '-',
}

/** Marker → status. `X` is accepted for done because people type it. */
export const STATUS_BY_MARKER: ReadonlyMap<string, TodoStatus> = new Map<string, TodoStatus>([
  ...Object.entries(TODO_MARKERS).map(([status, marker]) => [marker, status as TodoStatus] as const),
  ['X', 'done'],
])

/** Human-readable list of markers for messages and the legend. */
export const MARKER_LEGEND = '[ ] pending, [~] in progress, [x] done, [!] failed, [?] blocked, [-] cancelled'

/** The comment line written under the goal; it tells a person how to edit the file. */
export const TODO_MARKDOWN_LEGEND = `<!-- todo.md: ${MARKER_LEGEND}. Edit titles, order, notes and the markers of open todos freely; only the Reviewer marks [x] done, and verified todos stay as they are; keep each "id:" comment. A line without one becomes a new todo. -->`

/** Heading above the list. */
export const TODOS_HEADING = '## Todos'

/** Converts epoch ms to the ISO text todo.md uses. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString()
}

/** Parses todo.md's ISO timestamps (milliseconds optional), or `undefined` when `text` is not one. */
export function parseTimestamp(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{3})?Z$/.exec(text)
  if (!match) return undefined
  const canonical = `${match[1]}${match[2] ?? '.000'}Z`
  const ms = Date.parse(canonical)
  // Date.parse rolls 2025-02-30 over to March; the round trip catches it.
  if (Number.isNaN(ms) || formatTimestamp(ms) !== canonical) return undefined
  return ms
}
