/**
 * Prompting a session of a mission: marks the session as having a prompt in flight (so its next
 * idle is read as the answer), counts the root's prompts as our own messages, and settles what a
 * prompt the host refused leaves behind (a root that cannot be prompted fails the mission; a child
 * that never got its work fails its task).
 */
import { errorMessage } from '../orchestrator-error'
import { isTaskFinal } from '../task'
import type { EngineContext, EngineOps } from './engine-context'
import { sessionOf, taskOf, type MissionRuntime } from './mission-runtime'

export interface Prompting {
  promptSession: EngineOps['promptSession']
}

export function createPrompting(ctx: EngineContext, ops: Pick<EngineOps, 'finish' | 'endTask' | 'recheckRoot'>): Prompting {
  const { host, state, isStale, background } = ctx
  const { finish, endTask, recheckRoot } = ops

  const promptSession = (runtime: MissionRuntime, sessionId: string, text: string, agent?: string) => {
    if (state.isDisposed()) return
    const entry = state.track(runtime, sessionId)
    entry.activity++
    entry.promptInFlight = true
    if (sessionId === runtime.record.rootSessionId) {
      runtime.syntheticRootMessages++
      runtime.rootTurnAnswers = 'other' // a continuation sets its own kind right after this
    }
    const generation = runtime.record.generation
    background('prompt', { missionId: runtime.record.id, sessionId }, async () => {
      try {
        await host.sessions.promptAsync({ sessionId, text, ...(agent ? { agent } : {}) })
      } catch (error) {
        entry.promptInFlight = false
        if (sessionId === runtime.record.rootSessionId) runtime.syntheticRootMessages = Math.max(0, runtime.syntheticRootMessages - 1)
        if (!isStale(runtime, generation)) {
          if (sessionId === runtime.record.rootSessionId) finish(runtime, 'failed', `could not prompt the root session: ${errorMessage(error)}`)
          else {
            // The child never got its work: its task would stay "running" with no turn and hold the mission forever.
            const role = sessionOf(runtime, sessionId)
            const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
            if (task && !isTaskFinal(task)) endTask(runtime, task, 'failed', { error: { code: 'host-failed', message: `could not prompt the ${task.agent} session: ${errorMessage(error)}` } })
            else recheckRoot(runtime)
          }
        }
        throw error
      }
    })
  }

  return { promptSession }
}
