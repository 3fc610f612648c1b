import { describeTaskStatus, endReasonText, formatDuration, truncateText } from '@opencode-orchestrator/core'
import { escapeHtml } from './escape-html'
import { formatOffset } from './format-duration'
import { formatInteger } from './format-integer'
import type { MissionTimeline, TimelineMarkerKind, TimelineTask, TimelineTodo } from './mission-timeline'
import { REPORT_STYLES } from './report-styles'
import { markerShape, renderTimelineSvg } from './render-timeline-svg'

/** Options of {@link renderMissionReport}. */
export interface RenderMissionReportOptions {
  /** Width of the timeline drawing in CSS pixels (it scales down with the page). Default 1200. */
  timelineWidth?: number
}

/** Texts longer than this fold into a `<details>` element, so one huge evidence note cannot swamp a table. */
const FOLD_LIMIT = 280

const STATE_TEXT: Record<MissionTimeline['mission']['state'], string> = {
  planning: 'Planning',
  dispatching: 'Dispatching',
  waiting: 'Waiting',
  reviewing: 'Reviewing',
  sealed: 'Sealed',
  stopped: 'Stopped',
  failed: 'Failed',
}

const MARKER_LEGEND: ReadonlyArray<{ kind: TimelineMarkerKind; text: string }> = [
  { kind: 'recovery-start', text: 'recovery started' },
  { kind: 'recovery-end', text: 'recovery ended' },
  { kind: 'mission-continue', text: 'continuation' },
  { kind: 'mission-wake', text: 'wake (children reported)' },
  { kind: 'mission-seal', text: 'sealed' },
  { kind: 'mission-stop', text: 'stopped' },
  { kind: 'mission-fail', text: 'failed' },
]

/**
 * Renders a complete, self-contained HTML page for a mission: summary, the
 * SVG timeline with its legend, the todo table with the Reviewer's evidence
 * and the task table. Inline CSS and SVG only, no scripts, no external assets;
 * a Content-Security-Policy forbids both, and every text from the journal or
 * the messages is escaped (goals and tool output are untrusted).
 */
export function renderMissionReport(timeline: MissionTimeline, options: RenderMissionReportOptions = {}): string {
  const { mission } = timeline
  const title = `Mission report · ${truncateText(mission.goal, 80) || mission.id}`
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // Defence in depth: even if a string escaped the escaping, nothing could run or load.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="generator" content="OpenCode Orchestrator">',
    `<title>${escapeHtml(title)}</title>`,
    // An empty icon keeps the browser from requesting /favicon.ico next to the file.
    '<link rel="icon" href="data:,">',
    `<style>${REPORT_STYLES}</style>`,
    '</head>',
    '<body>',
    '<main class="page">',
    renderHeader(timeline),
    renderSummary(timeline),
    renderTimelineSection(timeline, options),
    renderTodos(timeline),
    renderTasks(timeline),
    renderWorktrees(timeline),
    renderNotes(timeline),
    `<footer class="footer">Generated ${escapeHtml(formatUtc(timeline.generatedAt))} by OpenCode Orchestrator · mission <code>${escapeHtml(mission.id)}</code> · root session <code>${escapeHtml(mission.rootSessionId)}</code></footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n')
}

function renderHeader({ mission }: MissionTimeline): string {
  const goal = mission.goal.trim() || '(no goal recorded)'
  const shortGoal = truncateText(goal, 300)
  return [
    '<header class="hero">',
    '<p class="eyebrow">OpenCode Orchestrator · mission report</p>',
    `<h1 class="goal">${escapeHtml(shortGoal)}</h1>`,
    shortGoal !== goal.replace(/\s+/g, ' ') ? `<details class="full-goal"><summary>Full goal</summary><pre>${escapeHtml(goal)}</pre></details>` : '',
    '<p class="outcome">',
    `<span class="state state-${mission.state}">${STATE_TEXT[mission.state]}</span>`,
    mission.endReason ? `<span class="end-reason">${escapeHtml(truncateText(endReasonText(mission.state, mission.endReason), 240))}</span>` : '',
    '</p>',
    '</header>',
  ].join('')
}

function renderSummary(timeline: MissionTimeline): string {
  const { mission, todos, tasks, lanes, markers } = timeline
  const verified = todos.filter((todo) => todo.status === 'done' && todo.evidence !== undefined).length
  const endedAt = mission.endedAt ?? timeline.end
  const failedTasks = tasks.filter((task) => task.status === 'failed').length
  const cancelledTasks = tasks.filter((task) => task.status === 'cancelled').length
  const recoveries = markers.filter((marker) => marker.kind === 'recovery-start').length
  const percent = todos.length === 0 ? 0 : Math.round((verified / todos.length) * 100)
  const cards: Array<[string, string, string?]> = [
    ['Duration', formatDuration(endedAt - mission.createdAt), mission.endedAt === undefined ? 'still running when recorded' : undefined],
    ['Todos verified', `${verified} / ${todos.length}`, `${percent}%`],
    ['Continuations', String(mission.iterations), 'prompts the loop sent on its own (wakes not counted)'],
    ['Tokens', formatInteger(mission.tokens), mission.costUsd > 0 ? `$${mission.costUsd.toFixed(mission.costUsd < 1 ? 4 : 2)}` : 'no cost reported'],
    ['Child sessions', String(mission.childSessions), `${lanes.length} lane${lanes.length === 1 ? '' : 's'} in the timeline`],
    ['Tasks', String(tasks.length), [failedTasks > 0 ? `${failedTasks} failed` : 'none failed', cancelledTasks > 0 ? `${cancelledTasks} cancelled` : ''].filter(Boolean).join(' · ')],
    ['Recoveries', String(recoveries), recoveries > 0 ? 'see the ◆ markers' : 'none needed'],
  ]
  const facts: Array<[string, string]> = [
    ['Mission', mission.id],
    ['State', STATE_TEXT[mission.state]],
    ['Started', formatUtc(mission.createdAt)],
    ['Ended', mission.endedAt !== undefined ? formatUtc(mission.endedAt) : '—'],
    ['End reason', mission.endReason ? `${endReasonText(mission.state, mission.endReason)}${mission.endBudget ? ` (budget: ${mission.endBudget})` : ''}` : '—'],
  ]
  return [
    '<section class="summary" aria-label="Summary">',
    '<div class="cards">',
    ...cards.map(
      ([label, value, hint]) =>
        `<div class="card"><div class="card-label">${escapeHtml(label)}</div><div class="card-value">${escapeHtml(value)}</div>${hint ? `<div class="card-hint">${escapeHtml(hint)}</div>` : ''}</div>`,
    ),
    '</div>',
    `<div class="progress" role="img" aria-label="${verified} of ${todos.length} todos verified"><div class="progress-bar" style="width:${percent}%"></div></div>`,
    '<dl class="facts">',
    ...facts.map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`),
    '</dl>',
    '</section>',
  ].join('')
}

function renderTimelineSection(timeline: MissionTimeline, options: RenderMissionReportOptions): string {
  const legendIcon = (kind: TimelineMarkerKind) =>
    `<svg class="legend-icon marker-${kind}" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true"><line x1="8" y1="1" x2="8" y2="15"/>${markerShape(kind, 8, 8, 5)}</svg>`
  const bar = (className: string) => `<svg class="legend-icon" viewBox="0 0 22 12" width="22" height="12" aria-hidden="true"><rect class="${className}" x="1" y="2" width="20" height="8" rx="2"/></svg>`
  const presentMarkers = new Set(timeline.markers.map((marker) => marker.kind))
  return [
    '<section class="timeline-section">',
    '<h2>Timeline</h2>',
    `<p class="section-hint">One lane per session, ${escapeHtml(formatDuration(timeline.end - timeline.start))} from ${escapeHtml(formatUtc(timeline.start))}. Hover a bar or marker for details.</p>`,
    `<figure class="timeline-figure">${renderTimelineSvg(timeline, options.timelineWidth !== undefined ? { width: options.timelineWidth } : {})}</figure>`,
    '<ul class="legend">',
    `<li>${bar('span span-turn status-ok')}model turn</li>`,
    `<li>${bar('span span-tool status-ok')}tool call</li>`,
    `<li>${bar('span span-turn status-error')}error</li>`,
    `<li>${bar('span span-turn status-open')}unfinished</li>`,
    timeline.lanes.some((lane) => lane.spans.some((span) => span.status === 'cancelled')) ? `<li>${bar('span span-turn status-cancelled')}cancelled (by the stop, not failed)</li>` : '',
    timeline.lanes.some((lane) => lane.source !== 'messages') ? `<li>${bar('span span-session status-ok')}messages unavailable</li>` : '',
    ...MARKER_LEGEND.map(({ kind, text }) => `<li class="${presentMarkers.has(kind) ? '' : 'absent'}">${legendIcon(kind)}${escapeHtml(text)}</li>`),
    '</ul>',
    '</section>',
  ].join('')
}

function renderTodos({ todos }: MissionTimeline): string {
  if (todos.length === 0) return '<section><h2>Todos</h2><p class="empty">The mission has no todos.</p></section>'
  const rows = todos.map((todo) =>
    [
      `<tr data-todo="${escapeHtml(todo.id)}">`,
      `<td class="id"><code>${escapeHtml(todo.id)}</code></td>`,
      `<td>${escapeHtml(todo.title)}${todo.note ? `<div class="note">${fold(todo.note)}</div>` : ''}</td>`,
      `<td>${statusBadge(todo)}</td>`,
      `<td class="deps">${todo.dependsOn.length ? todo.dependsOn.map((id) => `<code>${escapeHtml(id)}</code>`).join(' ') : '<span class="muted">—</span>'}</td>`,
      `<td class="evidence">${renderEvidence(todo)}</td>`,
      '</tr>',
    ].join(''),
  )
  return [
    '<section>',
    '<h2>Todos</h2>',
    '<div class="table-wrap"><table class="todos">',
    '<thead><tr><th>ID</th><th>Todo</th><th>Status</th><th>Depends on</th><th>Evidence</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table></div>',
    '</section>',
  ].join('')
}

function statusBadge(todo: TimelineTodo): string {
  const verified = todo.status === 'done' && todo.evidence !== undefined
  const text = verified ? 'verified' : todo.status === 'done' ? 'done, unverified' : todo.status.replace('_', ' ')
  return `<span class="badge badge-${escapeHtml(todo.status)}${verified ? ' badge-verified' : ''}">${escapeHtml(text)}</span>`
}

function renderEvidence(todo: TimelineTodo): string {
  if (!todo.evidence) return '<span class="muted">—</span>'
  return `${fold(todo.evidence.summary)}<div class="meta">recorded ${escapeHtml(formatUtc(todo.evidence.recordedAt))}${todo.evidence.reviewerSessionId ? ` by <code>${escapeHtml(todo.evidence.reviewerSessionId)}</code>` : ''}</div>`
}

function renderTasks(timeline: MissionTimeline): string {
  const { tasks } = timeline
  if (tasks.length === 0) return '<section><h2>Tasks</h2><p class="empty">No work was delegated.</p></section>'
  const rows = tasks.map((task) =>
    [
      `<tr data-task="${escapeHtml(task.id)}">`,
      `<td class="id"><code>${escapeHtml(task.id)}</code></td>`,
      `<td><span class="agent agent-${escapeHtml(task.agent.replace(/[^a-z0-9-]/gi, '').toLowerCase())}">${escapeHtml(task.agent)}</span></td>`,
      `<td>${escapeHtml(task.title)}${task.todoIds.length ? `<div class="meta">${task.todoIds.map((id) => `<code>${escapeHtml(id)}</code>`).join(' ')}</div>` : ''}</td>`,
      `<td><span class="badge task-${task.status}">${escapeHtml(describeTaskStatus(task.status))}</span></td>`,
      `<td class="num">${task.startedAt !== undefined ? `+${escapeHtml(formatOffset(task.startedAt - timeline.start))}` : '<span class="muted">—</span>'}</td>`,
      `<td class="num">${task.startedAt !== undefined && task.endedAt !== undefined ? escapeHtml(formatDuration(task.endedAt - task.startedAt)) : '<span class="muted">—</span>'}</td>`,
      `<td class="result">${renderOutcome(task)}</td>`,
      '</tr>',
    ].join(''),
  )
  return [
    '<section>',
    '<h2>Tasks</h2>',
    '<div class="table-wrap"><table class="tasks">',
    '<thead><tr><th>Task</th><th>Agent</th><th>Title</th><th>Status</th><th>Started</th><th>Took</th><th>Result</th></tr></thead>',
    `<tbody>${rows.join('')}</tbody>`,
    '</table></div>',
    '</section>',
  ].join('')
}

function renderOutcome(task: TimelineTask): string {
  if (task.error) return `<div class="${task.status === 'cancelled' ? 'cancelled-text' : 'error-text'}">${fold(task.error)}</div>`
  if (task.result) return fold(task.result)
  return '<span class="muted">—</span>'
}

function renderWorktrees({ worktrees }: MissionTimeline): string {
  if (worktrees === undefined) return ''
  const intro = [worktrees.landing, worktrees.fallback].filter((line): line is string => line !== undefined).map((line) => `<p>${escapeHtml(line)}</p>`)
  const rows = worktrees.left.map(
    (entry) =>
      `<tr><td><code>${escapeHtml(entry.branch)}</code></td><td>${entry.path === undefined ? '—' : `<code>${escapeHtml(entry.path)}</code>`}</td><td>${escapeHtml(entry.taskId ?? '—')}</td><td>${escapeHtml(entry.reason)}</td></tr>`,
  )
  const table = rows.length === 0 ? '<p>No worktree or branch was left.</p>' : `<table><thead><tr><th>Branch</th><th>Worktree</th><th>Task</th><th>Why it is left</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  return `<section class="worktrees"><h2>Worktrees</h2>${intro.join('')}${table}</section>`
}

function renderNotes({ notes }: MissionTimeline): string {
  if (notes.length === 0) return ''
  return `<section class="notes"><h2>Notes</h2><ul>${notes.map((note) => `<li>${escapeHtml(note)}</li>`).join('')}</ul></section>`
}

/** Escaped text; long text shows its start and folds the rest away. */
function fold(text: string): string {
  const trimmed = text.trim()
  if (trimmed.length <= FOLD_LIMIT) return `<span class="text">${escapeHtml(trimmed)}</span>`
  return `<details class="fold"><summary>${escapeHtml(truncateText(trimmed, 160))}</summary><div class="text">${escapeHtml(trimmed)}</div></details>`
}

/** `2026-11-25 20:40:12 UTC`: the report has no script, so it cannot know the reader's time zone. */
function formatUtc(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} UTC`
}
