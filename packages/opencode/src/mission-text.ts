import {
  describeContinuations,
  describeEnd,
  describeIsolationFallback,
  describeLeftWorkspaces,
  describeReportLocation,
  describeWorkspacesEnd,
  describeState,
  describeTally,
  isMissionFinal,
  tallyMission,
  type MissionSession,
  type MissionSnapshot,
} from '@opencode-orchestrator/core'
import type { BackgroundJob } from './node'
import { slash } from './orchestrator-commands'

export interface StatusTextOptions {
  /** Where the mission's report is (or will be) written, relative to the project. */
  reportPath?: string
  /** Sessions of the mission with a recovery in progress. */
  retrying?: number
}

/**
 * The status command's text: short enough for a toast, complete enough to act on. Every
 * count comes from core's words (`describeTally`), the same the progress notice shows.
 */
export function statusText(mission: MissionSnapshot | undefined, jobs: readonly BackgroundJob[], options: StatusTextOptions = {}): string {
  if (!mission) return `No mission in this session. Start one with ${slash('task')} "<what to build>".`
  const background = jobs.filter((job) => job.status === 'running').length
  const tally = describeTally(tallyMission(mission, { background, retrying: options.retrying ?? 0 }))
  const state = describeState(mission.state)
  const lines = [
    tally.startsWith(state) ? tally : `${state} · ${tally}`,
    `${describeContinuations(mission.counters.iterations, mission.budgets.maxIterations)} · ${mission.counters.childSessions} child sessions · ${mission.counters.tokens.toLocaleString('en-US')} tokens`,
  ]
  if (mission.pausedReason) lines.push(`paused: ${mission.pausedReason} — ${slash('task')} to resume`)
  if (mission.end) lines.push(describeEnd(mission.state, mission.end.reason))
  lines.push(...worktreeLines(mission))
  if (options.reportPath !== undefined) lines.push(describeReportLocation(options.reportPath, isMissionFinal(mission.state)))
  return lines.join('\n')
}

/** The mission's worktrees: the ones in use while it runs; where the result went and what was left once it ended. */
function worktreeLines(mission: MissionSnapshot): string[] {
  const workspaces = mission.workspaces
  if (workspaces?.fallback !== undefined) return [describeIsolationFallback(workspaces.fallback)]
  if (workspaces?.end !== undefined) {
    const text = describeWorkspacesEnd(workspaces.end)
    return text === '' ? [] : [text]
  }
  const inUse = mission.tasks.flatMap((task) =>
    task.workspace !== undefined && (task.settlement === undefined || task.settlement.kind === 'conflict' || task.settlement.kind === 'kept')
      ? [{ branch: task.workspace.branch, path: task.workspace.path, taskId: task.id, reason: task.settlement === undefined ? task.status : task.settlement.kind === 'conflict' ? 'merge conflict' : task.settlement.reason }]
      : [],
  )
  const text = describeLeftWorkspaces(inUse, 'Worktrees')
  return text === '' ? [] : [text]
}

/** What a compacted session must keep: who it is, the plan, the budgets, the open work. */
export function compactionContext(mission: MissionSnapshot, role: MissionSession): string {
  const task = role.taskId ? mission.tasks.find((item) => item.id === role.taskId) : undefined
  const open = mission.tasks.filter((item) => item.status === 'queued' || item.status === 'running')
  return [
    `## Orchestrated mission (keep this after compaction)`,
    `You are the ${role.agent} of mission ${mission.id}. Goal: ${mission.goal}`,
    task ? `Your task ${task.id}: ${task.title}\n${task.prompt}` : '',
    `Todos:\n${mission.todos.map((todo) => `- [${todo.status}] ${todo.id}: ${todo.title}`).join('\n') || '(none yet)'}`,
    `Open tasks: ${open.map((item) => `${item.id} (${item.agent}, ${item.status})`).join(', ') || 'none'}`,
    `Budgets: ${describeContinuations(mission.counters.iterations, mission.budgets.maxIterations)}, child sessions ${mission.counters.childSessions}/${mission.budgets.maxChildSessions}.`,
    'After compaction, carry on in this role with the todo list above; use orchestrator_todo_read for the live state.',
  ]
    .filter((line) => line.length > 0)
    .join('\n\n')
}
