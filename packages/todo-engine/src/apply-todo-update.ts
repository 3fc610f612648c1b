import { OrchestratorError, type TodoStatus } from '@opencode-orchestrator/core'
import type { TodoStatusUpdate } from './todo-input'
import type { TodoList } from './todo-list'

/** Agents that may change todo statuses. */
export const TODO_AGENTS = ['commander', 'planner', 'worker', 'reviewer'] as const
export type TodoAgent = (typeof TODO_AGENTS)[number]

/** Who asks for a status change. */
export interface TodoActor {
  /** Agent of the calling session; compared in lower case. */
  agent: string
  /** Calling session: becomes the assignee (worker) or the evidence's reviewer session (reviewer). */
  sessionId?: string
}

/**
 * Statuses each agent may set. Only the Reviewer sets `done` (with evidence):
 * a Worker's own "it works" is never enough to seal a mission.
 */
export const TODO_STATUS_PERMISSIONS: Readonly<Record<TodoAgent, readonly TodoStatus[]>> = {
  commander: ['pending', 'in_progress', 'blocked', 'failed', 'cancelled'],
  planner: ['pending', 'cancelled'],
  worker: ['in_progress', 'blocked', 'failed'],
  reviewer: ['done', 'pending', 'blocked', 'failed'],
}

function isTodoAgent(name: string): name is TodoAgent {
  return (TODO_AGENTS as readonly string[]).includes(name)
}

function denied(agent: TodoAgent, update: TodoStatusUpdate): OrchestratorError {
  const allowed = TODO_STATUS_PERMISSIONS[agent]
  const advice =
    update.status === 'done'
      ? 'Only the reviewer marks a todo done, with evidence of what it verified. Finish your work, report what you did and how to check it; the commander has it reviewed.'
      : `The ${agent} may set: ${allowed.join(', ')}.`
  return new OrchestratorError({
    code: 'permission-denied',
    message: `The ${agent} cannot set todo ${update.id} to ${update.status}. ${advice}`,
    details: { field: 'status', id: update.id, agent, status: update.status, allowed },
  })
}

/**
 * Applies a status change requested by an agent (`orchestrator_todo_update`),
 * enforcing who may do what (see {@link TODO_STATUS_PERMISSIONS}):
 * - `done` → `markDone` with the evidence (Reviewer only; evidence required);
 * - `pending` on work in progress or done, by the Reviewer or Commander → `sendBack` (note required);
 * - anything else → `setStatus`; a Worker starting a todo becomes its assignee.
 *
 * @throws OrchestratorError `agent-unknown`, `permission-denied`, or `todo-invalid`
 * (unknown id, transition not allowed, missing note/evidence).
 */
export function applyTodoUpdate(list: TodoList, update: TodoStatusUpdate, actor: TodoActor): TodoList {
  const agent = actor.agent.trim().toLowerCase()
  if (!isTodoAgent(agent)) {
    throw new OrchestratorError({
      code: 'agent-unknown',
      message: `Agent "${actor.agent}" may not update todos; only ${TODO_AGENTS.join(', ')} can.`,
      details: { field: 'agent', agent: actor.agent },
    })
  }
  if (!TODO_STATUS_PERMISSIONS[agent].includes(update.status)) throw denied(agent, update)
  const todo = list.require(update.id)
  if (update.evidence !== undefined && update.status !== 'done') {
    throw new OrchestratorError({
      code: 'todo-invalid',
      message: `Todo ${update.id}: evidence is recorded only with status "done"; put the text into "note" instead.`,
      details: { field: 'evidence', id: update.id, status: update.status },
    })
  }
  if (update.status === 'done') {
    if (update.evidence === undefined) {
      throw new OrchestratorError({
        code: 'todo-invalid',
        message: `Todo ${update.id}: status "done" needs "evidence": what you verified and how (commands run and their result, files read).`,
        details: { field: 'evidence', id: update.id },
      })
    }
    return list.markDone(update.id, { summary: update.evidence, ...(actor.sessionId !== undefined ? { reviewerSessionId: actor.sessionId } : {}) })
  }
  const reviewing = agent === 'reviewer' || agent === 'commander'
  if (update.status === 'pending' && reviewing && (todo.status === 'done' || todo.status === 'in_progress')) {
    return list.sendBack(update.id, update.note ?? '')
  }
  const assignee = agent === 'worker' && update.status === 'in_progress' ? { agent, ...(actor.sessionId !== undefined ? { sessionId: actor.sessionId } : {}) } : undefined
  return list.setStatus(update.id, update.status, {
    ...(update.note !== undefined ? { note: update.note } : {}),
    ...(assignee ? { assignee } : {}),
  })
}
