/**
 * Wakes: the results of ended tasks, queued per parent session (`pendingWakes`, journaled), sent to
 * the parent as one prompt once it has no live children and is idle, or after `wakeMaxWaitMs` of a
 * busy parent anyway (the host queues the prompt). A held mission keeps its wakes until resumed.
 */
import type { Task } from '../task'
import type { EngineContext, EngineOps } from './engine-context'
import { liveTasks, sessionOf, taskOf, type MissionRuntime } from './mission-runtime'

export interface Wakes {
  maybeWake: EngineOps['maybeWake']
  sendWake: EngineOps['sendWake']
}

export function createWakes(ctx: EngineContext, ops: Pick<EngineOps, 'promptSession'>): Wakes {
  const { options, bus, logger, prompts, state, schedule, cancelTimer, persist, snapshot } = ctx
  const { promptSession } = ops

  const maybeWake = (runtime: MissionRuntime, parentSessionId: string) => {
    // A held mission keeps its wakes (journaled) until it is resumed.
    if (runtime.heldReason !== undefined) return
    const pending = runtime.record.pendingWakes[parentSessionId]
    if (!pending || pending.length === 0) return
    if (liveTasks(runtime).some((task) => task.parentSessionId === parentSessionId)) return
    const parent = state.trackOf(parentSessionId)
    if (parent && (parent.busy || parent.promptInFlight)) {
      if (!runtime.wakeTimers.has(parentSessionId)) {
        const handle = schedule(runtime, options.continuation.wakeMaxWaitMs, () => {
          runtime.wakeTimers.delete(parentSessionId)
          logger.log('warn', 'parent stayed busy; sending the wake anyway (the host queues it)', { missionId: runtime.record.id, sessionId: parentSessionId })
          sendWake(runtime, parentSessionId)
        })
        runtime.wakeTimers.set(parentSessionId, handle)
      }
      return
    }
    sendWake(runtime, parentSessionId)
  }

  const sendWake = (runtime: MissionRuntime, parentSessionId: string) => {
    if (runtime.heldReason !== undefined) return
    const taskIds = runtime.record.pendingWakes[parentSessionId] ?? []
    delete runtime.record.pendingWakes[parentSessionId]
    cancelTimer(runtime, runtime.wakeTimers.get(parentSessionId))
    runtime.wakeTimers.delete(parentSessionId)
    if (taskIds.length === 0) return
    const tasks = taskIds.map((id) => taskOf(runtime, id)).filter((task): task is Task => task !== undefined)
    persist(runtime)
    bus.emit('mission-wake', { missionId: runtime.record.id, sessionId: parentSessionId, taskIds })
    const parentRole = sessionOf(runtime, parentSessionId)
    promptSession(runtime, parentSessionId, prompts.wake({ mission: snapshot(runtime), tasks }), parentRole?.agent)
  }

  return { maybeWake, sendWake }
}
