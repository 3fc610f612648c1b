import type { MissionSnapshot } from './mission'
import type { Task } from './task'
import type { Todo } from './todo'
import { describeTaskSettlement } from './words/describe-workspaces'

/**
 * Texts the mission engine sends to sessions. The agents package provides the
 * production wording; these defaults keep the core usable on its own.
 */
export interface MissionPrompts {
  /** Sent to the root session when the loop continues. */
  continuation(input: { mission: MissionSnapshot; reason: string }): string
  /** Sent to a parent session once its children have ended (one consolidated message). */
  wake(input: { mission: MissionSnapshot; tasks: readonly Task[] }): string
  /** Sent to a session whose work was interrupted (restart, recovery) so it resumes in its role. */
  resume(input: { mission: MissionSnapshot; sessionId: string; agent: string; task?: Task }): string
}

const RESULT_LIMIT = 1500

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}… (truncated; the whole answer is kept with the task)`
}

function todoLine(todo: Todo): string {
  return `- [${todo.status}] ${todo.id}: ${todo.title}`
}

/** Plain, deterministic default texts. */
export const defaultMissionPrompts: MissionPrompts = {
  continuation({ mission, reason }) {
    const open = mission.todos.filter((todo) => todo.status !== 'done' || !todo.evidence)
    return [
      `[orchestrator] Mission continues (iteration ${mission.counters.iterations + 1}/${mission.budgets.maxIterations}): ${reason}`,
      `Goal: ${mission.goal}`,
      open.length > 0 ? `Open todos:\n${open.map(todoLine).join('\n')}` : 'No todos yet: have the Planner write the plan.',
      'Delegate the ready todos, have the Reviewer verify finished ones, and end your turn when nothing else can be done now.',
    ].join('\n\n')
  },
  wake({ tasks }) {
    const lines = tasks.map((task) => {
      const head = `## ${task.id} · ${task.agent} · ${task.status}${task.todoIds.length > 0 ? ` · todos ${task.todoIds.join(', ')}` : ''}\n${task.title}`
      const body =
        task.status === 'completed'
          ? clip(task.result ?? '(no answer)', RESULT_LIMIT)
          : `Reason: ${task.error?.message ?? task.status}`
      const worktree = describeTaskSettlement(task)
      return `${head}\n${body}${worktree === '' ? '' : `\n${worktree}`}`
    })
    return [`[orchestrator] ${tasks.length} delegated task${tasks.length === 1 ? '' : 's'} ended:`, ...lines].join('\n\n')
  },
  resume({ mission, agent, task }) {
    return [
      `[orchestrator] Your work was interrupted; carry on as the ${agent} of this mission.`,
      `Goal: ${mission.goal}`,
      task ? `Your task (${task.id}): ${task.title}\n\n${task.prompt}` : `Todos:\n${mission.todos.map(todoLine).join('\n') || '(none yet)'}`,
    ].join('\n\n')
  },
}
