import {
  describeIsolationFallback,
  describeRecoveryEnd,
  describeRecoveryStart,
  describeTaskStatus,
  describeWorkspacesEnd,
  formatDuration,
  isMissionFinal,
  truncateText,
} from '@opencode-orchestrator/core'
import type { HostMessage, HostToolCall, MissionRecord, MissionSession, MissionState, Task } from '@opencode-orchestrator/core'
import type { MissionEventLogEntry } from './mission-event-log-entry'
import {
  MISSION_TIMELINE_VERSION,
  type MissionTimeline,
  type TimelineLane,
  type TimelineMarker,
  type TimelinePhase,
  type TimelineSpan,
  type TimelineTask,
  type TimelineTodo,
  type TimelineWorktrees,
} from './mission-timeline'

export interface BuildMissionTimelineOptions {
  /** The mission as journaled (or a snapshot from the engine). */
  mission: Readonly<MissionRecord>
  /**
   * Messages per session id, oldest first, as the host returned them. A session
   * that is absent or has no messages (the server is gone, the session was
   * deleted) is drawn from its task's start and end instead.
   */
  messages: Readonly<Record<string, readonly HostMessage[]>>
  /** The mission's event log (`events.jsonl`); lines of other missions are ignored. */
  events: readonly MissionEventLogEntry[]
  /** When the report is made (epoch ms); shown in the footer. */
  generatedAt: number
}

/** Tooltip texts are cut here so a huge tool output cannot bloat `timeline.json`. */
const DETAIL_LIMIT = 280
const RESULT_LIMIT = 400

/** An end not known yet: resolved to the axis end once every span and marker is in. */
type DraftSpan = Omit<TimelineSpan, 'end'> & { end: number | undefined }
type DraftLane = Omit<TimelineLane, 'spans'> & { spans: DraftSpan[] }

/**
 * Turns a mission record, its sessions' messages and its event log into the
 * {@link MissionTimeline} a report is drawn from. Pure: same input, same output.
 */
export function buildMissionTimeline({ mission, messages, events, generatedAt }: BuildMissionTimelineOptions): MissionTimeline {
  const sessions = sessionsOf(mission)
  const sessionIds = new Set(sessions.map((session) => session.sessionId))
  const ownEvents = events
    .filter((entry) => (entry.missionId !== undefined ? entry.missionId === mission.id : 'sessionId' in entry && sessionIds.has(entry.sessionId ?? '')))
    .map((entry, index) => ({ entry, index }))
    // Appends from parallel listeners can land slightly out of order; ties keep file order.
    .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
    .map(({ entry }) => entry)

  const taskOf = (session: MissionSession): Task | undefined =>
    (session.taskId ? mission.tasks.find((task) => task.id === session.taskId) : undefined) ??
    mission.tasks.find((task) => task.sessionId === session.sessionId)

  const notes: string[] = []
  const lanes: DraftLane[] = sessions.map((session) => {
    const task = taskOf(session)
    const label = laneLabel(session, task)
    const base = {
      sessionId: session.sessionId,
      agent: session.agent,
      label,
      depth: session.depth,
      ...(session.parentSessionId ? { parentSessionId: session.parentSessionId } : {}),
      ...(task ? { taskId: task.id } : {}),
    }
    // Only what happened during the mission: plain chat in the same session before `/task` (or after
    // the end) is not the Commander's work and must not stretch the timeline.
    const sessionMessages = duringMission(messages[session.sessionId] ?? [], mission)
    if (sessionMessages.length > 0) return { ...base, ...spansFromMessages(sessionMessages, task?.status === 'cancelled') }
    if (task) {
      notes.push(`Messages of ${label} were not available; its lane shows the task from start to end.`)
      const spans: DraftSpan[] = task.startedAt === undefined ? [] : [taskSpan(task)]
      return { ...base, source: 'task', spans, turns: 0, toolCalls: 0, errors: task.status === 'failed' ? 1 : 0, tokens: 0, costUsd: 0 }
    }
    notes.push(`Messages of ${label} were not available; its lane shows the mission from start to end.`)
    const span: DraftSpan = {
      kind: 'session',
      start: mission.createdAt,
      end: mission.end?.at,
      label: 'session (messages unavailable)',
      status: mission.end ? 'ok' : 'open',
    }
    return { ...base, source: 'mission', spans: [span], turns: 0, toolCalls: 0, errors: 0, tokens: 0, costUsd: 0 }
  })

  const labelOf = new Map(lanes.map((lane) => [lane.sessionId, lane.label]))
  const markers = markersFrom(ownEvents, mission, labelOf)

  // The axis covers everything that happened; open spans then run to its end.
  const times: number[] = [mission.createdAt, ...markers.map((marker) => marker.at)]
  for (const lane of lanes) {
    for (const span of lane.spans) {
      times.push(span.start)
      if (span.end !== undefined) times.push(span.end)
    }
  }
  times.push(mission.end?.at ?? mission.updatedAt)
  const start = Math.min(...times)
  let end = Math.max(...times)
  if (end <= start) end = start + 1000

  const worktrees = worktreesOf(mission)
  const finishedLanes: TimelineLane[] = lanes.map((lane) => ({
    ...lane,
    spans: lane.spans.map((span) => ({ ...span, end: Math.max(span.start, span.end ?? end) })),
  }))

  return {
    version: MISSION_TIMELINE_VERSION,
    generatedAt,
    start,
    end,
    mission: {
      id: mission.id,
      goal: mission.goal,
      state: mission.state,
      rootSessionId: mission.rootSessionId,
      createdAt: mission.createdAt,
      ...(mission.end ? { endedAt: mission.end.at, endReason: mission.end.reason } : {}),
      ...(mission.end?.budget ? { endBudget: mission.end.budget } : {}),
      iterations: mission.counters.iterations,
      tokens: mission.counters.tokens,
      costUsd: mission.counters.costUsd,
      childSessions: mission.counters.childSessions,
    },
    todos: mission.todos.map(
      (todo): TimelineTodo => ({
        id: todo.id,
        title: todo.title,
        status: todo.status,
        dependsOn: [...todo.dependsOn],
        ...(todo.assignee?.agent ? { assigneeAgent: todo.assignee.agent } : {}),
        ...(todo.evidence ? { evidence: { ...todo.evidence } } : {}),
        ...(todo.note ? { note: todo.note } : {}),
      }),
    ),
    tasks: [...mission.tasks]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(
        (task): TimelineTask => ({
          id: task.id,
          agent: task.agent,
          title: task.title,
          status: task.status,
          todoIds: [...task.todoIds],
          ...(task.sessionId ? { sessionId: task.sessionId } : {}),
          createdAt: task.createdAt,
          ...(task.startedAt !== undefined ? { startedAt: task.startedAt } : {}),
          ...(task.endedAt !== undefined ? { endedAt: task.endedAt } : {}),
          ...(task.error ? { error: `${task.error.code}: ${task.error.message}` } : {}),
          ...(task.result ? { result: truncateText(task.result, RESULT_LIMIT) } : {}),
        }),
      ),
    lanes: finishedLanes,
    markers,
    phases: phasesFrom(ownEvents, mission, end),
    notes,
    ...(worktrees ? { worktrees } : {}),
  }
}

/** The mission's sessions, root first, each once (a journal written by hand may repeat one). */
function sessionsOf(mission: Readonly<MissionRecord>): MissionSession[] {
  const seen = new Set<string>()
  const sessions: MissionSession[] = []
  const root = mission.sessions.find((session) => session.sessionId === mission.rootSessionId) ?? {
    sessionId: mission.rootSessionId,
    agent: 'commander',
    depth: 0,
  }
  for (const session of [root, ...mission.sessions]) {
    if (seen.has(session.sessionId)) continue
    seen.add(session.sessionId)
    sessions.push(session)
  }
  return sessions
}

/** `commander` → `Commander`; unknown agents keep their own spelling. */
export function agentLabel(agent: string): string {
  return agent.length === 0 ? 'Agent' : agent[0]!.toUpperCase() + agent.slice(1)
}

function laneLabel(session: MissionSession, task: Task | undefined): string {
  if (task) return `${agentLabel(session.agent)} · ${truncateText(task.title, 120)}`
  if (session.depth === 0) return agentLabel(session.agent)
  return `${agentLabel(session.agent)} · ${session.sessionId}`
}

/**
 * Messages of the mission's time: an assistant message that ended before the mission was
 * created, or began after it ended, belongs to plain chat in the same session.
 */
function duringMission(messages: readonly HostMessage[], mission: Readonly<MissionRecord>): HostMessage[] {
  const endedAt = mission.end?.at
  return messages.filter((message) => {
    if ((message.completedAt ?? message.createdAt) < mission.createdAt) return false
    if (endedAt !== undefined && message.createdAt > endedAt) return false
    return true
  })
}

/** An aborted turn (a stop, a cancel) is not an error of the model. */
function isAborted(message: HostMessage): boolean {
  return message.error?.name === 'MessageAbortedError'
}

function spansFromMessages(messages: readonly HostMessage[], taskCancelled: boolean): Omit<DraftLane, 'sessionId' | 'agent' | 'label' | 'depth' | 'parentSessionId' | 'taskId'> {
  const spans: DraftSpan[] = []
  let turns = 0
  let toolCalls = 0
  let errors = 0
  let tokens = 0
  let costUsd = 0
  const assistant = messages.filter((message) => message.role === 'assistant').sort((a, b) => a.createdAt - b.createdAt)
  for (const message of assistant) {
    turns++
    const usage = message.tokens ? message.tokens.input + message.tokens.output + message.tokens.reasoning : 0
    tokens += usage
    costUsd += message.cost ?? 0
    const aborted = isAborted(message)
    if (message.error && !aborted) errors++
    const detail = [
      message.model ? `${message.model.providerId}/${message.model.modelId}` : undefined,
      message.finish ? `finish: ${message.finish}` : undefined,
      message.tokens ? `tokens: ${message.tokens.input} in · ${message.tokens.output} out${message.tokens.reasoning ? ` · ${message.tokens.reasoning} reasoning` : ''}` : undefined,
      message.cost ? `cost: $${message.cost.toFixed(4)}` : undefined,
      message.error ? `error: ${hostErrorText(message.error)}` : undefined,
      message.text.trim() ? `“${message.text}”` : undefined,
    ]
      .filter((part) => part !== undefined)
      .join('\n')
    spans.push({
      kind: 'turn',
      start: message.createdAt,
      end: message.completedAt,
      label: aborted
        ? 'turn cancelled (aborted by the stop)'
        : message.error
          ? `turn failed (${message.error.name})`
          : message.completedAt === undefined
            ? taskCancelled
              ? 'turn cancelled'
              : 'turn (unfinished)'
            : `turn${message.finish ? ` (${message.finish})` : ''}`,
      status: aborted ? 'cancelled' : message.error ? 'error' : message.completedAt === undefined ? (taskCancelled ? 'cancelled' : 'open') : 'ok',
      ...(detail ? { detail: shortenDetail(detail) } : {}),
    })
    for (const call of message.toolCalls) {
      toolCalls++
      const span = toolSpan(call, message)
      // A call cut off with its turn (aborted, or left running by a cancelled task) was cancelled, not failed.
      if ((aborted || taskCancelled) && span.status !== 'ok') span.status = 'cancelled'
      else if (call.status === 'error') errors++
      spans.push(span)
    }
  }
  return { source: 'messages', spans, turns, toolCalls, errors, tokens, costUsd }
}

function toolSpan(call: HostToolCall, message: HostMessage): DraftSpan {
  const start = call.startedAt ?? message.createdAt
  const finished = call.status === 'completed' || call.status === 'error'
  // A finished call without its own end time happened within the message.
  const end = call.endedAt ?? (finished ? (message.completedAt ?? start) : undefined)
  const input = call.input && Object.keys(call.input).length > 0 ? JSON.stringify(call.input) : undefined
  const detail = [input ? `input: ${input}` : undefined, call.status === 'error' && call.output ? `error: ${call.output}` : undefined]
    .filter((part) => part !== undefined)
    .join('\n')
  return {
    kind: 'tool',
    start,
    end,
    label: call.tool,
    status: call.status === 'error' ? 'error' : end === undefined ? 'open' : 'ok',
    ...(detail ? { detail: shortenDetail(detail) } : {}),
  }
}

function taskSpan(task: Task): DraftSpan {
  return {
    kind: 'session',
    start: task.startedAt ?? task.createdAt,
    end: task.endedAt,
    label: `task ${describeTaskStatus(task.status)} (messages unavailable)`,
    status: task.status === 'failed' ? 'error' : task.status === 'cancelled' ? 'cancelled' : task.endedAt === undefined ? 'open' : 'ok',
    ...(task.error ? { detail: shortenDetail(`${task.error.code}: ${task.error.message}`) } : {}),
  }
}

/** Keeps line breaks (tooltips show them) but bounds each part and the whole. */
function shortenDetail(text: string): string {
  const lines = text.split('\n').map((line) => truncateText(line, DETAIL_LIMIT))
  return truncateText(lines.join('\u2028'), DETAIL_LIMIT * 2).replaceAll('\u2028', '\n')
}

function hostErrorText(error: { name: string; data?: Readonly<Record<string, unknown>> }): string {
  const message = error.data?.['message']
  return typeof message === 'string' && message.length > 0 ? `${error.name}: ${message}` : error.name
}

function markersFrom(events: readonly MissionEventLogEntry[], mission: Readonly<MissionRecord>, labelOf: ReadonlyMap<string, string>): TimelineMarker[] {
  const markers: TimelineMarker[] = []
  const sessionLabel = (sessionId: string) => labelOf.get(sessionId) ?? sessionId
  for (const entry of events) {
    switch (entry.type) {
      case 'recovery-start':
        markers.push({
          kind: 'recovery-start',
          at: entry.at,
          sessionId: entry.sessionId,
          label: describeRecoveryStart({ sessionId: entry.sessionId, kind: entry.kind, action: entry.action, reason: '', attempt: entry.attempt, ...(entry.delayMs !== undefined ? { delayMs: entry.delayMs } : {}) }),
          detail: shortenDetail(
            `${sessionLabel(entry.sessionId)}\n${entry.reason}${entry.delayMs !== undefined ? `\nwaiting ${formatDuration(entry.delayMs)}` : ''}`,
          ),
        })
        break
      case 'recovery-end':
        markers.push({
          kind: 'recovery-end',
          at: entry.at,
          sessionId: entry.sessionId,
          label: describeRecoveryEnd(entry),
          detail: shortenDetail(`${sessionLabel(entry.sessionId)}\n${entry.reason}`),
        })
        break
      case 'mission-continue':
        markers.push({
          kind: 'mission-continue',
          at: entry.at,
          sessionId: mission.rootSessionId,
          label: `Continuation #${entry.iteration}`,
          detail: shortenDetail(entry.reason),
        })
        break
      case 'mission-wake':
        markers.push({
          kind: 'mission-wake',
          at: entry.at,
          sessionId: entry.sessionId,
          label: `Wake: ${entry.taskIds.length} task${entry.taskIds.length === 1 ? '' : 's'} reported back`,
          detail: shortenDetail(`${sessionLabel(entry.sessionId)}\n${entry.taskIds.join(', ')}`),
        })
        break
      case 'mission-seal':
        markers.push({ kind: 'mission-seal', at: entry.at, label: 'Sealed', detail: `${entry.verifiedCount}/${entry.todoCount} todos verified` })
        break
      case 'mission-stop':
        markers.push({
          kind: 'mission-stop',
          at: entry.at,
          label: entry.budget ? `Stopped (budget: ${entry.budget})` : 'Stopped',
          detail: shortenDetail(entry.reason),
        })
        break
      case 'mission-fail':
        markers.push({
          kind: 'mission-fail',
          at: entry.at,
          label: 'Failed',
          detail: shortenDetail(entry.errorName ? `${entry.errorName}: ${entry.reason}` : entry.reason),
        })
        break
      default:
        break
    }
  }
  // A lost or partial event log must not hide how the mission ended: the journal knows.
  const ended = mission.end && isMissionFinal(mission.state)
  const terminal = markers.some((marker) => marker.kind === 'mission-seal' || marker.kind === 'mission-stop' || marker.kind === 'mission-fail')
  if (ended && mission.end && !terminal) {
    const kind = mission.state === 'sealed' ? 'mission-seal' : mission.state === 'stopped' ? 'mission-stop' : 'mission-fail'
    const label = mission.state === 'sealed' ? 'Sealed' : mission.state === 'stopped' ? 'Stopped' : 'Failed'
    markers.push({ kind, at: mission.end.at, label, detail: shortenDetail(mission.end.reason) })
  }
  return markers
}

function phasesFrom(events: readonly MissionEventLogEntry[], mission: Readonly<MissionRecord>, axisEnd: number): TimelinePhase[] {
  const transitions = events.filter((entry) => entry.type === 'mission-transition')
  if (transitions.length === 0) return []
  const phases: TimelinePhase[] = []
  let state: MissionState = transitions[0]!.from
  let since = mission.createdAt
  for (const transition of transitions) {
    if (transition.at > since && !isMissionFinal(state)) phases.push({ state, start: since, end: transition.at })
    state = transition.to
    since = Math.max(since, transition.at)
  }
  if (!isMissionFinal(state) && axisEnd > since) phases.push({ state, start: since, end: axisEnd })
  return phases
}

/** The mission's worktrees in the report's terms: one sentence for the landing, the list of what was left. */
function worktreesOf(mission: MissionRecord): TimelineWorktrees | undefined {
  const workspaces = mission.workspaces
  if (workspaces === undefined) return undefined
  if (workspaces.fallback !== undefined) return { fallback: describeIsolationFallback(workspaces.fallback), left: [] }
  const end = workspaces.end
  if (end === undefined) return undefined
  const landing = end.landing === undefined ? undefined : (describeWorkspacesEnd({ landing: end.landing, left: [] }).split('\n')[0] ?? undefined)
  return { ...(landing ? { landing } : {}), left: end.left.map((entry) => ({ ...entry })) }
}
