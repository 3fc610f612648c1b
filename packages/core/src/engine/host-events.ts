/**
 * Session tracking from host events: each session's busy/idle status, its latest turn (from message
 * and part updates), the user's own messages in the root session, token and cost usage, errors,
 * aborts (the user's Esc) and deletions; and recovery's start and end for a session. An idle is
 * routed to the continuation loop (root) or the task lifecycle (child).
 */
import type { OrchestratorEvents } from '../events'
import type { HostEvent } from '../host'
import { isMissionFinal } from '../mission'
import { isTaskFinal } from '../task'
import type { Budgets } from './budgets'
import type { EngineContext, EngineOps } from './engine-context'
import { sessionOf, taskOf } from './mission-runtime'
import { noteAssistantMessage } from './turns'

export interface HostEvents {
  onHostEvent(event: HostEvent): void
  onRecoveryStart(event: OrchestratorEvents['recovery-start']): void
  onRecoveryEnd(event: OrchestratorEvents['recovery-end']): void
}

export function createHostEvents(
  ctx: EngineContext,
  ops: Pick<EngineOps, 'stopMission' | 'checkRoot' | 'checkChild' | 'maybeWake' | 'endTask' | 'finish'> & Pick<Budgets, 'accountUsage'>,
): HostEvents {
  const { logger, state, persist } = ctx
  const { stopMission, checkRoot, checkChild, maybeWake, endTask, finish, accountUsage } = ops

  const onHostEvent = (event: HostEvent) => {
    if (state.isDisposed()) return
    switch (event.type) {
      case 'session-status': {
        const runtime = state.runtimeForSession(event.sessionId)
        const entry = state.trackOf(event.sessionId)
        if (!runtime || !entry) return
        if (event.status.type === 'idle') {
          const stirred = entry.stirredSinceIdle
          entry.stirredSinceIdle = false
          if (!entry.busy && !entry.promptInFlight) {
            // OpenCode answers an abort of an idle session with a lone idle (verified on 1.18.33);
            // after an error, or an idle sent before the turn's last message, the idle repeats by itself.
            if (event.sessionId === runtime.record.rootSessionId && !stirred && !isMissionFinal(runtime.record.state)) {
              void stopMission(runtime.record.id, { reason: 'the root session was interrupted by the user' })
            }
            return
          }
          entry.busy = false
          entry.promptInFlight = false
          if (event.sessionId === runtime.record.rootSessionId) {
            if (!isMissionFinal(runtime.record.state)) checkRoot(runtime)
          } else {
            checkChild(runtime, event.sessionId)
            if (!isMissionFinal(runtime.record.state)) maybeWake(runtime, event.sessionId)
          }
        } else {
          entry.busy = true
          entry.promptInFlight = false
          entry.activity++
        }
        return
      }
      case 'message-update': {
        const { message } = event
        const runtime = state.runtimeForSession(message.sessionId)
        const entry = state.trackOf(message.sessionId)
        if (!runtime || !entry) return
        entry.stirredSinceIdle = true
        if (message.role === 'user') {
          if (message.sessionId !== runtime.record.rootSessionId || entry.seenUserMessages.has(message.id)) return
          entry.seenUserMessages.add(message.id)
          if (runtime.syntheticRootMessages > 0) runtime.syntheticRootMessages--
          else if (!isMissionFinal(runtime.record.state)) {
            runtime.userMessage = true
            runtime.rootTurnAnswers = 'other'
            // Journaled at once, so a restart does not forget that the user took over.
            runtime.record.pausedReason = 'you wrote to the mission session; it carries on once you resume it'
            persist(runtime)
            logger.log('info', 'the user wrote to the root session; the loop pauses after this turn', { missionId: runtime.record.id })
          }
          return
        }
        noteAssistantMessage(entry, message)
        if (message.tokens || message.cost !== undefined) accountUsage(runtime, entry, message)
        return
      }
      case 'part-update': {
        const { part } = event
        if (part.kind !== 'text') return
        const entry = state.trackOf(part.sessionId)
        // Only parts of the turn already announced: a user message's text, or a part seen before its
        // message, leaves the turn without text and the idle falls back to reading the host.
        if (!entry || entry.lastTurn?.messageId !== part.messageId) return
        entry.lastTurn.texts.set(part.partId ?? '', part.text)
        return
      }
      case 'session-error': {
        if (event.sessionId === undefined) return
        const errored = state.trackOf(event.sessionId)
        if (errored) errored.stirredSinceIdle = true
        const runtime = state.runtimeForSession(event.sessionId)
        if (!runtime || isMissionFinal(runtime.record.state)) return
        if (event.error.name !== 'MessageAbortedError') return
        if (event.sessionId === runtime.record.rootSessionId) {
          void stopMission(runtime.record.id, { reason: 'the root session was interrupted by the user' })
          return
        }
        // The engine aborts a child only after its task or the mission has ended, so an abort of a
        // child whose task still runs came from outside: the user pressed Esc while viewing it.
        const role = sessionOf(runtime, event.sessionId)
        const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
        if (task && !isTaskFinal(task) && !state.isRecovering(event.sessionId)) {
          void stopMission(runtime.record.id, { reason: `the ${task.agent} session "${task.title}" was interrupted by the user` })
        }
        return
      }
      case 'session-delete': {
        const runtime = state.runtimeForSession(event.sessionId)
        runtime?.goneSessions.add(event.sessionId)
        if (!runtime || isMissionFinal(runtime.record.state)) return
        if (event.sessionId === runtime.record.rootSessionId) {
          void stopMission(runtime.record.id, { reason: 'the root session was deleted' })
          return
        }
        const role = sessionOf(runtime, event.sessionId)
        const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
        if (task && !isTaskFinal(task)) endTask(runtime, task, 'cancelled', { error: { code: 'session-deleted', message: 'the child session was deleted' } })
        return
      }
      default:
        return
    }
  }

  const onRecoveryStart = ({ sessionId, action }: OrchestratorEvents['recovery-start']) => {
    if (state.runtimeForSession(sessionId)) state.startRecovery(sessionId, action)
  }

  const onRecoveryEnd = ({ sessionId, outcome, reason }: OrchestratorEvents['recovery-end']) => {
    state.endRecovery(sessionId)
    const runtime = state.runtimeForSession(sessionId)
    if (!runtime || isMissionFinal(runtime.record.state)) return
    const entry = state.trackOf(sessionId)
    if (outcome !== 'gave-up') {
      // An idle seen while recovery held the session was not settled: settle it now unless work goes on.
      if (sessionId !== runtime.record.rootSessionId && entry && !entry.busy && !entry.promptInFlight) checkChild(runtime, sessionId)
      return
    }
    if (sessionId === runtime.record.rootSessionId) {
      finish(runtime, 'failed', `recovery gave up on the root session: ${reason}`)
      return
    }
    const role = sessionOf(runtime, sessionId)
    const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
    if (!task || isTaskFinal(task)) return
    if (entry?.busy) state.noteGaveUp(sessionId, reason)
    else endTask(runtime, task, 'failed', { error: { code: 'recovery-gave-up', message: reason } })
  }

  return { onHostEvent, onRecoveryStart, onRecoveryEnd }
}
