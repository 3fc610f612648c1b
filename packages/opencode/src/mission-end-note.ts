import { describeEnd, describeReportLocation, describeWorkspacesEnd, type EventBus, type OrchestratorEvents } from '@opencode-orchestrator/core'

export type MissionEndEvent = { kind: 'seal'; todoCount: number } | { kind: 'stop' | 'fail'; reason: string }

/**
 * One line for the root session's transcript when a mission ends (the toast fades, this stays),
 * in core's words so it reads like the notice; with `reportPath`, a second line says where the report is.
 */
export function missionEndNote(event: MissionEndEvent, reportPath?: string): string {
  const line =
    event.kind === 'seal'
      ? `[orchestrator] Mission sealed: all ${event.todoCount} todo${event.todoCount === 1 ? '' : 's'} verified.`
      : `[orchestrator] Mission ${describeEnd(event.kind === 'stop' ? 'stopped' : 'failed', event.reason)}`
  return reportPath === undefined ? line : `${line}\n${describeReportLocation(reportPath, true)}`
}

/**
 * Writes {@link missionEndNote} into the mission's root session (a message without a model call)
 * when it seals, stops or fails — whoever ended it. Returns the unsubscribe function.
 */
export function writeMissionEndNotes(options: {
  bus: EventBus<OrchestratorEvents>
  rootSessionOf: (missionId: string) => string | undefined
  note: (sessionId: string, text: string) => Promise<void>
  onError: (error: unknown, missionId: string) => void
  /** Where the mission's report is written, named in the note. */
  reportPathOf?: (missionId: string) => string | undefined
}): () => void {
  const write = (missionId: string, event: MissionEndEvent) => {
    const sessionId = options.rootSessionOf(missionId)
    if (sessionId === undefined) return
    options.note(sessionId, missionEndNote(event, options.reportPathOf?.(missionId))).catch((error: unknown) => options.onError(error, missionId))
  }
  const offs = [
    options.bus.on('mission-seal', ({ missionId, todos }) => write(missionId, { kind: 'seal', todoCount: todos.length })),
    options.bus.on('mission-stop', ({ missionId, reason }) => write(missionId, { kind: 'stop', reason })),
    options.bus.on('mission-fail', ({ missionId, reason }) => write(missionId, { kind: 'fail', reason })),
    // Where the result landed (onSeal) and which worktrees and branches are left: a line of its own, once git is done.
    options.bus.on('mission-workspaces-end', ({ missionId, end }) => {
      const text = describeWorkspacesEnd(end)
      const sessionId = options.rootSessionOf(missionId)
      if (text === '' || sessionId === undefined) return
      options.note(sessionId, `[orchestrator] ${text}`).catch((error: unknown) => options.onError(error, missionId))
    }),
  ]
  return () => {
    for (const off of offs) off()
  }
}
