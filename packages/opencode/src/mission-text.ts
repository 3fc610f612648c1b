import type { MissionSession, MissionSnapshot } from '@opencode-orchestrator/core'
import type { BackgroundJob } from './node'

/** The status command's (`/mission`) text: short enough for a toast, complete enough to act on. */
export function statusText(mission: MissionSnapshot | undefined, jobs: readonly BackgroundJob[]): string {
  if (!mission) return 'No mission in this session. Start one with /task "<what to build>".'
  const done = mission.todos.filter((todo) => todo.status === 'done' && todo.evidence).length
  const running = mission.tasks.filter((task) => task.status === 'running').length
  const queued = mission.tasks.filter((task) => task.status === 'queued').length
  const jobsRunning = jobs.filter((job) => job.status === 'running').length
  const lines = [
    `${mission.state} · ${done}/${mission.todos.length} todos verified · ${running} running · ${queued} queued · ${jobsRunning} background`,
    `iteration ${mission.counters.iterations}/${mission.budgets.maxIterations} · ${mission.counters.childSessions} child sessions · ${mission.counters.tokens} tokens`,
  ]
  if (mission.pausedReason) lines.push(`paused: ${mission.pausedReason} — /task to resume`)
  if (mission.end) lines.push(`ended: ${mission.end.reason}`)
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
    `Budgets: iteration ${mission.counters.iterations}/${mission.budgets.maxIterations}, child sessions ${mission.counters.childSessions}/${mission.budgets.maxChildSessions}.`,
    'After compaction, carry on in this role with the todo list above; use orchestrator_todo_read for the live state.',
  ]
    .filter((line) => line.length > 0)
    .join('\n\n')
}
