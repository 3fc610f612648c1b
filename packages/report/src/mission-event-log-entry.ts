import type { BudgetName, MissionState, OrchestratorEventName, OrchestratorEvents, RecoveryKind, Task } from '@opencode-orchestrator/core'

/**
 * One line of a mission's `events.jsonl`: the subset of core's
 * `OrchestratorEvents` a report needs, as flat JSON with the time it happened.
 *
 * Payloads that would make every line large (whole tasks, whole todo lists)
 * are reduced to what the timeline shows; the mission journal keeps the rest.
 */
export type MissionEventLogEntry = { at: number } & MissionEventLogPayload

export type MissionEventLogPayload =
  | { type: 'mission-start'; missionId: string; rootSessionId: string; goal: string }
  | { type: 'mission-transition'; missionId: string; from: MissionState; to: MissionState; reason?: string }
  | { type: 'mission-continue'; missionId: string; iteration: number; reason: string }
  | { type: 'mission-wake'; missionId: string; sessionId: string; taskIds: string[] }
  | { type: 'mission-seal'; missionId: string; todoCount: number; verifiedCount: number }
  | { type: 'mission-stop'; missionId: string; reason: string; budget?: BudgetName }
  | { type: 'mission-fail'; missionId: string; reason: string; errorName?: string }
  | { type: 'task-start'; missionId: string; taskId: string; agent: string; title: string; sessionId?: string }
  | {
      type: 'task-end'
      missionId: string
      taskId: string
      agent: string
      title: string
      sessionId?: string
      status: Task['status']
      error?: string
    }
  | { type: 'budget-exceed'; missionId: string; budget: BudgetName; limit: number; value: number }
  | {
      type: 'recovery-start'
      /** Absent when the recovery ran before the session was known to belong to a mission. */
      missionId?: string
      sessionId: string
      kind: RecoveryKind
      action: string
      reason: string
      attempt: number
      delayMs?: number
    }
  | {
      type: 'recovery-end'
      missionId?: string
      sessionId: string
      kind: RecoveryKind
      outcome: 'recovered' | 'gave-up' | 'skipped'
      reason: string
    }

export type MissionEventLogType = MissionEventLogPayload['type']

/** Every event name the log keeps, in the order they are documented above. */
export const MISSION_EVENT_LOG_TYPES = [
  'mission-start',
  'mission-transition',
  'mission-continue',
  'mission-wake',
  'mission-seal',
  'mission-stop',
  'mission-fail',
  'task-start',
  'task-end',
  'budget-exceed',
  'recovery-start',
  'recovery-end',
] as const satisfies readonly MissionEventLogType[]

type PayloadOf<Type extends MissionEventLogType> = Omit<Extract<MissionEventLogPayload, { type: Type }>, 'type'>

type Converters = { [Type in MissionEventLogType]: (payload: OrchestratorEvents[Type]) => PayloadOf<Type> }

const taskFields = (task: Task) => ({
  missionId: task.missionId,
  taskId: task.id,
  agent: task.agent,
  title: task.title,
  ...(task.sessionId ? { sessionId: task.sessionId } : {}),
})

// Spreads copy only the fields the log defines, so a payload that grows in core never bloats the file by accident.
const converters: Converters = {
  'mission-start': ({ missionId, rootSessionId, goal }) => ({ missionId, rootSessionId, goal }),
  'mission-transition': ({ missionId, from, to, reason }) => ({ missionId, from, to, ...(reason !== undefined ? { reason } : {}) }),
  'mission-continue': ({ missionId, iteration, reason }) => ({ missionId, iteration, reason }),
  'mission-wake': ({ missionId, sessionId, taskIds }) => ({ missionId, sessionId, taskIds: [...taskIds] }),
  'mission-seal': ({ missionId, todos }) => ({
    missionId,
    todoCount: todos.length,
    verifiedCount: todos.filter((todo) => todo.status === 'done' && todo.evidence !== undefined).length,
  }),
  'mission-stop': ({ missionId, reason, budget }) => ({ missionId, reason, ...(budget ? { budget } : {}) }),
  'mission-fail': ({ missionId, reason, error }) => ({ missionId, reason, ...(error ? { errorName: error.name } : {}) }),
  'task-start': ({ task }) => taskFields(task),
  'task-end': ({ task }) => ({
    ...taskFields(task),
    status: task.status,
    ...(task.error ? { error: `${task.error.code}: ${task.error.message}` } : {}),
  }),
  'budget-exceed': ({ missionId, budget, limit, value }) => ({ missionId, budget, limit, value }),
  'recovery-start': ({ missionId, sessionId, kind, action, reason, attempt, delayMs }) => ({
    ...(missionId ? { missionId } : {}),
    sessionId,
    kind,
    action,
    reason,
    attempt,
    ...(delayMs !== undefined ? { delayMs } : {}),
  }),
  'recovery-end': ({ missionId, sessionId, kind, outcome, reason }) => ({ ...(missionId ? { missionId } : {}), sessionId, kind, outcome, reason }),
}

/** True for the event names the mission event log keeps. */
export function isMissionEventLogType(name: string): name is MissionEventLogType {
  return Object.hasOwn(converters, name)
}

/**
 * Turns a core event into its log line, or `undefined` for events the log does
 * not keep (`task-queue`, `todo-update`: the journal has their final state).
 *
 * @example
 * bus.onAny((name, payload) => {
 *   const entry = toMissionEventLogEntry(name, payload, clock.now())
 *   if (entry) void storage.append(path, `${JSON.stringify(entry)}\n`)
 * })
 */
export function toMissionEventLogEntry<Name extends OrchestratorEventName>(
  name: Name,
  payload: OrchestratorEvents[Name],
  at: number,
): MissionEventLogEntry | undefined {
  if (!isMissionEventLogType(name)) return undefined
  const convert = converters[name] as (value: unknown) => object
  return { at, type: name, ...convert(payload) } as MissionEventLogEntry
}
