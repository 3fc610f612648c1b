import { formatDuration } from '@opencode-orchestrator/core'
import type { Colors } from 'picocolors/types'
import { describeState, describeTally, endReasonText, isMissionFinal } from '@opencode-orchestrator/core'
import type { ProgressSnapshot, RunEvent, RunFiles } from './run-event'

/** Text styling; `createColors(false)` from picocolors gives plain text. */
export type Palette = Pick<Colors, 'bold' | 'dim' | 'green' | 'yellow' | 'red' | 'cyan' | 'magenta'>

/** `950`, `12.3k`, `4.1M`. */
export function formatTokens(tokens: number): string {
  if (tokens < 1000) return String(tokens)
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k`
  return `${(tokens / 1_000_000).toFixed(1)}M`
}

/** `[██████░░░░░░] ` with `width` cells; an empty plan is an empty bar. */
export function progressBar(done: number, total: number, width: number): string {
  const filled = total === 0 ? 0 : Math.min(width, Math.round((done / total) * width))
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
}

/** The mission state in core's words (what the toasts and the status command say). */
const stateLabel = (state: ProgressSnapshot['state']) => (state === 'starting' ? 'starting' : describeState(state))

/**
 * The one-line progress text of a log (not a terminal): core's `describeTally`, the words of the
 * plugin's progress notice, plus the tokens, e.g. `waiting for tasks · 1/3 todos verified · 2 workers running · 1,234 tokens`.
 */
export function progressLine(snapshot: ProgressSnapshot): string {
  if (snapshot.state === 'starting') return `starting · ${snapshot.tokens} tokens`
  const tally = describeTally({
    state: snapshot.state,
    todosTotal: snapshot.todos.total,
    todosVerified: snapshot.todos.verified,
    todosAwaitingReview: 0,
    todosFailed: snapshot.todos.failed,
    todosCancelled: 0,
    running: snapshot.agents,
    queued: snapshot.workers.queued,
    tasksEnded: snapshot.tasksEnded ?? 0,
    retrying: snapshot.recoveries.inProgress,
    background: 0,
  })
  const state = describeState(snapshot.state)
  return `${tally.startsWith(state) ? tally : `${state} · ${tally}`} · ${snapshot.tokens} tokens`
}

/** The live block under the activity lines, redrawn in place on a terminal. */
export function renderProgressBlock(snapshot: ProgressSnapshot, options: { goal: string; colors: Palette; barWidth?: number }): string {
  const { colors } = options
  const { todos, workers, recoveries } = snapshot
  const others = Object.entries(snapshot.agents)
    .filter(([agent, count]) => agent !== 'worker' && count > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([agent, count]) => `${agent} ${count}`)
  const recoveryText =
    recoveries.inProgress === 0 && recoveries.notices === 0
      ? colors.dim('none')
      : [
          recoveries.inProgress > 0 ? colors.yellow(`${recoveries.inProgress} retrying now`) : '',
          recoveries.notices > 0 ? `${recoveries.notices} notice${recoveries.notices === 1 ? '' : 's'}` : '',
        ]
          .filter((part) => part.length > 0)
          .join(' · ')
  const bar = progressBar(todos.verified, todos.total, options.barWidth ?? 24)
  return [
    `${colors.bold(colors.cyan('orchestrator'))} ${colors.dim('·')} ${options.goal}`,
    `  ${colors.dim('mission ')} ${snapshot.missionId ?? colors.dim('(starting)')} ${colors.dim('·')} ${stateLabel(snapshot.state)} ${colors.dim('·')} ${formatDuration(snapshot.elapsedMs)}`,
    `  ${colors.dim('todos   ')} ${colors.green(bar)} ${todos.verified}/${todos.total} verified${todos.failed > 0 ? ` ${colors.red(`· ${todos.failed} failed`)}` : ''}`,
    `  ${colors.dim('workers ')} ${workers.running} running · ${workers.queued} queued${others.length > 0 ? colors.dim(`  (also running: ${others.join(', ')})`) : ''}`,
    `  ${colors.dim('recovery')} ${recoveryText}`,
    `  ${colors.dim('tokens  ')} ${formatTokens(snapshot.tokens)}`,
  ].join('\n')
}

/** A permanent activity line for an event; undefined for events that only update the block. */
export function renderEventLine(event: RunEvent, colors: Palette): string | undefined {
  switch (event.type) {
    case 'mission-start':
      return `${colors.cyan('●')} mission ${event.missionId} started in ${event.directory}`
    case 'task-start':
      return `${colors.cyan('▶')} ${event.agent} ${colors.dim(event.taskId)} ${event.title}`
    case 'task-end': {
      const took = event.durationMs === undefined ? '' : colors.dim(` (${formatDuration(event.durationMs)})`)
      if (event.status === 'completed') return `${colors.green('✔')} ${event.agent} ${colors.dim(event.taskId)} ${event.title}${took}`
      // Cancelled (by a stop or a seal) is not failed: no red cross.
      if (event.status === 'cancelled') return `${colors.yellow('■')} ${event.agent} ${colors.dim(event.taskId)} ${event.title} — cancelled${event.error ? `: ${event.error}` : ''}${took}`
      return `${colors.red('✖')} ${event.agent} ${colors.dim(event.taskId)} ${event.title} — ${event.status}${event.error ? `: ${event.error}` : ''}${took}`
    }
    case 'tool': {
      const who = event.agent === undefined ? '' : `${event.agent} `
      if (event.tool === 'write' || event.tool === 'edit') return `  ${colors.magenta('✎')} ${colors.dim(who)}${event.tool === 'write' ? 'wrote' : 'edited'} ${event.target}`
      if (event.tool === 'orchestrator_bg_run') return `  ${colors.magenta('⚙')} ${colors.dim(who)}background: ${event.target}`
      return `  ${colors.magenta('$')} ${colors.dim(who)}${event.target}`
    }
    case 'recovery':
      return event.source === 'host-retry'
        ? `${colors.yellow('↻')} model call retried (attempt ${event.attempt ?? '?'}): ${event.message}`
        : `${colors.yellow('↻')} ${event.message}`
    default:
      return undefined
  }
}

/** The closing lines: outcome, reason, where the files are. */
export function renderMissionEnd(event: Extract<RunEvent, { type: 'mission-end' }>, colors: Palette): string {
  const headline =
    event.state === 'sealed'
      ? colors.green(colors.bold(`✔ Mission sealed in ${formatDuration(event.elapsedMs)}: ${event.todos.verified}/${event.todos.total} todos verified.`))
      : event.state === 'stopped'
        ? colors.yellow(colors.bold(`■ Mission stopped after ${formatDuration(event.elapsedMs)}.`))
        : event.state === 'interrupted'
          ? colors.yellow(colors.bold(`■ Interrupted after ${formatDuration(event.elapsedMs)}.`))
          : colors.red(colors.bold(`✖ Mission failed after ${formatDuration(event.elapsedMs)}.`))
  const lines = [headline]
  // The headline names the state: the reason does not say it again ("stopped: stopped: …").
  const reason = event.state !== 'interrupted' && isMissionFinal(event.state) ? endReasonText(event.state, event.reason) : event.reason
  if (event.state !== 'sealed' && reason.length > 0) lines.push(`  Reason: ${reason}`)
  if (event.files) lines.push(...renderFiles(event.files, colors))
  lines.push(colors.dim(`  exit code ${event.exitCode}`))
  return lines.join('\n')
}

function renderFiles(files: RunFiles, colors: Palette): string[] {
  return [
    `  ${colors.dim('Project:')} ${files.directory}`,
    `  ${colors.dim('Plan:   ')} ${files.todo}`,
    `  ${colors.dim('Journal:')} ${files.journal}`,
    ...(files.report !== undefined ? [`  ${colors.dim('Report: ')} ${files.report}`] : []),
  ]
}
