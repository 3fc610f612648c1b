import {
  describeContinuations,
  describeEnd,
  describeLeftWorkspaces,
  describeReportLocation,
  describeState,
  describeTally,
  isMissionFinal,
  tallyMission,
  type LeftWorkspace,
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
  /** The mission's worktrees and branches (isolation "worktree"), listed when there are any. */
  worktrees?: readonly LeftWorkspace[]
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
  if (options.reportPath !== undefined) lines.push(describeReportLocation(options.reportPath, isMissionFinal(mission.state)))
  if (options.worktrees !== undefined && options.worktrees.length > 0) lines.push(describeLeftWorkspaces(options.worktrees))
  return lines.join('\n')
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
