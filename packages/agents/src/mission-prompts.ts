import type { Clock, MissionPrompts, MissionSnapshot, Task } from '@opencode-orchestrator/core'
import { describeTaskSettlement } from '@opencode-orchestrator/core'
import { buildStepContext } from './build-step-context'
import type { StepSnapshot } from './build-step-context'

/** Budget for all task results of one wake message together; each result gets a share of it. */
const WAKE_RESULTS_BUDGET = 12_000
const RESULT_MIN = 300
const RESULT_MAX = 1500

/**
 * The live state the `<mission-step>` block shows, from the mission record. `iteration`
 * defaults to the continuations used so far; 0-valued token and cost budgets are unlimited.
 */
export function stepSnapshotFromMission(mission: MissionSnapshot, now: number, iteration = mission.counters.iterations): StepSnapshot {
  const { budgets, counters } = mission
  const budgetsLeft: StepSnapshot['budgetsLeft'] = {}
  if (budgets.maxWallTimeMs > 0 && Number.isFinite(budgets.maxWallTimeMs)) {
    budgetsLeft.wallTimeMs = budgets.maxWallTimeMs - (now - mission.createdAt)
  }
  if (budgets.maxChildSessions > 0) budgetsLeft.childSessions = budgets.maxChildSessions - counters.childSessions
  if (budgets.maxTokens > 0) budgetsLeft.tokens = budgets.maxTokens - counters.tokens
  if (budgets.maxCostUsd > 0) budgetsLeft.costUsd = budgets.maxCostUsd - counters.costUsd
  const activeTodoIds = [...new Set(mission.tasks.filter((task) => task.status === 'queued' || task.status === 'running').flatMap((task) => task.todoIds))]
  return { goal: mission.goal, state: mission.state, iteration, maxIterations: budgets.maxIterations, todos: mission.todos, activeTodoIds, budgetsLeft }
}

function clip(text: string, limit: number): string {
  const trimmed = text.trim()
  return trimmed.length <= limit ? trimmed : `${trimmed.slice(0, limit)}… (cut; full text: orchestrator_task_result)`
}

/** What the Commander should do next, from which roles just reported. */
function nextSteps(tasks: readonly Task[]): string {
  const agents = new Set(tasks.map((task) => task.agent))
  const steps: string[] = []
  if (tasks.some((task) => task.status !== 'completed')) steps.push('decide about failed or cancelled tasks (retry once with a better prompt, or report)')
  if (agents.has('planner')) steps.push('delegate every ready todo to its own worker, in one message')
  if (agents.has('worker')) steps.push("have the reviewer verify the finished todos, passing the workers' reports")
  if (agents.has('reviewer')) steps.push("re-delegate todos sent back with the reviewer's note, and dispatch newly ready todos")
  return steps.length === 0 ? 'Next: continue the loop.' : `Next: ${steps.join('; ')}. Then end your turn.`
}

export interface CreateMissionPromptsOptions {
  /** For the time budget left in the `<mission-step>` block. */
  clock: Pick<Clock, 'now'>
}

/**
 * The production wording of the messages the mission engine sends (core's `MissionPrompts`).
 * Each message is short and ends with the `<mission-step>` block, the per-step context that
 * the agents' stable system prompts tell them to trust.
 */
export function createMissionPrompts(options: CreateMissionPromptsOptions): MissionPrompts {
  const { clock } = options
  return {
    continuation({ mission, reason }) {
      const step = stepSnapshotFromMission(mission, clock.now(), mission.counters.iterations + 1)
      const ended = mission.tasks.filter((task) => task.status === 'completed' || task.status === 'failed' || task.status === 'cancelled').length
      const next =
        mission.todos.length === 0
          ? ended > 0
            ? `No todo list yet, though ${ended} delegated task${ended === 1 ? '' : 's'} ended: have the planner write the todo list from the goal and their results.`
            : 'No plan yet: delegate the goal to the planner.'
          : 'Delegate the ready todos, have the reviewer verify finished ones, then end your turn. If nothing can move, stop and say why.'
      return [`[orchestrator] The mission continues: ${reason}`, next, buildStepContext(step)].join('\n\n')
    },
    wake({ mission, tasks }) {
      const limit = Math.max(RESULT_MIN, Math.min(RESULT_MAX, Math.floor(WAKE_RESULTS_BUDGET / Math.max(1, tasks.length))))
      const sections = tasks.map((task) => {
        const todos = task.todoIds.length > 0 ? ` · todos ${task.todoIds.join(', ')}` : ''
        const body =
          task.status === 'completed'
            ? clip(task.result ?? '(no answer)', limit)
            : `${task.status}: ${clip(task.error?.message ?? 'no reason given', limit)}`
        const worktree = describeTaskSettlement(task)
        return `## ${task.id} · ${task.agent} · ${task.status}${todos}\n${task.title}\n${body}${worktree === '' ? '' : `\n${worktree}`}`
      })
      return [
        `[orchestrator] ${tasks.length} delegated task${tasks.length === 1 ? '' : 's'} ended.`,
        ...sections,
        nextSteps(tasks),
        buildStepContext(stepSnapshotFromMission(mission, clock.now())),
      ].join('\n\n')
    },
    resume({ mission, agent, task }) {
      const head = `[orchestrator] Your work was interrupted (restart or recovery). Carry on as the ${agent} from where you stopped; do not redo finished steps.`
      if (task !== undefined) return [head, `Your task (${task.id}): ${task.title}`, task.prompt].join('\n\n')
      return [head, buildStepContext(stepSnapshotFromMission(mission, clock.now()))].join('\n\n')
    },
  }
}
