import { formatDuration, truncateText } from '@opencode-orchestrator/core'
import type { MissionRecord } from '@opencode-orchestrator/core'
import type { JournalProblem } from './mission-journals'
import type { Palette } from './progress-view'

/** One row of `orchestrator status`. */
export interface MissionSummary {
  id: string
  state: MissionRecord['state']
  goal: string
  todos: { verified: number; total: number }
  createdAt: number
  updatedAt: number
  ageMs: number
  endReason?: string
}

export function summarizeMission(record: MissionRecord, now: number): MissionSummary {
  return {
    id: record.id,
    state: record.state,
    goal: record.goal,
    todos: { verified: record.todos.filter((todo) => todo.status === 'done' && todo.evidence !== undefined).length, total: record.todos.length },
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ageMs: Math.max(0, now - record.createdAt),
    ...(record.end !== undefined ? { endReason: record.end.reason } : {}),
  }
}


/** The `orchestrator status` table, newest mission first, then the journals that could not be read. */
export function renderMissionList(input: { summaries: readonly MissionSummary[]; problems: readonly JournalProblem[]; missions: string; colors: Palette }): string {
  const { summaries, problems, colors } = input
  const lines: string[] = []
  if (summaries.length === 0 && problems.length === 0) {
    return `No missions in ${input.missions} yet. Start one with \`orchestrator run "<mission>"\` (or /task in OpenCode).`
  }
  if (summaries.length > 0) {
    const rows = summaries.map((summary) => [
      summary.id,
      summary.state,
      `${summary.todos.verified}/${summary.todos.total}`,
      `${formatDuration(summary.ageMs)} ago`,
      truncateText(summary.endReason ?? summary.goal, 70),
    ])
    const header = ['MISSION', 'STATE', 'TODOS', 'AGE', 'END REASON / GOAL']
    const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)))
    const format = (row: string[]) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  ')
        .trimEnd()
    lines.push(colors.bold(format(header)))
    for (const row of rows) {
      const state = row[1]!
      const paint = state === 'sealed' ? colors.green : state === 'failed' ? colors.red : state === 'stopped' ? colors.yellow : (text: string) => text
      const text = format(row)
      lines.push(text.replace(state.padEnd(widths[1]!), paint(state.padEnd(widths[1]!))))
    }
  }
  for (const problem of problems) lines.push(colors.red(`unreadable: ${problem.error.message}`))
  return lines.join('\n')
}
