import type { EventBus, OrchestratorEvents } from '@opencode-orchestrator/core'

/** One line for the root session's transcript when a mission ends: the toast fades, this stays. */
export function missionEndNote(event: { kind: 'seal'; todoCount: number } | { kind: 'stop' | 'fail'; reason: string }): string {
  switch (event.kind) {
    case 'seal':
      return `[orchestrator] Mission sealed: all ${event.todoCount} todo${event.todoCount === 1 ? '' : 's'} verified.`
    case 'stop':
      return `[orchestrator] Mission stopped: ${event.reason}.`
    case 'fail':
      return `[orchestrator] Mission failed: ${event.reason}.`
  }
}

/**
 * Writes {@link missionEndNote} into the mission's root session (a message without a model call)
 * when it seals, stops or fails. Returns the unsubscribe function.
 */
export function writeMissionEndNotes(options: {
  bus: EventBus<OrchestratorEvents>
  rootSessionOf: (missionId: string) => string | undefined
  note: (sessionId: string, text: string) => Promise<void>
  onError: (error: unknown, missionId: string) => void
}): () => void {
  const write = (missionId: string, text: string) => {
    const sessionId = options.rootSessionOf(missionId)
    if (sessionId === undefined) return
    options.note(sessionId, text).catch((error: unknown) => options.onError(error, missionId))
  }
  const offs = [
    options.bus.on('mission-seal', ({ missionId, todos }) => write(missionId, missionEndNote({ kind: 'seal', todoCount: todos.length }))),
    options.bus.on('mission-stop', ({ missionId, reason }) => write(missionId, missionEndNote({ kind: 'stop', reason }))),
    options.bus.on('mission-fail', ({ missionId, reason }) => write(missionId, missionEndNote({ kind: 'fail', reason }))),
  ]
  return () => {
    for (const off of offs) off()
  }
}
