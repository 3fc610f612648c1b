/**
 * Callers waiting for tasks to end (`waitForTasks`, e.g. the Commander's delegate call): each is
 * answered once all its tasks have ended or their mission has; when the mission ended stopped or
 * failed, only after the aborts of its sessions were sent.
 */
import { isMissionFinal } from '../mission'
import { isTaskFinal, type Task } from '../task'
import type { EngineContext, EngineOps } from './engine-context'

export interface TaskWaiters {
  /** Registers a waiter and settles it at once if its tasks have already ended. */
  waitForTasks(taskIds: readonly string[]): Promise<Task[]>
  settleWaiters: EngineOps['settleWaiters']
}

export function createTaskWaiters(ctx: EngineContext): TaskWaiters {
  const { state } = ctx
  const findTask = state.findTask
  const waiters = new Set<{ taskIds: readonly string[]; resolve: (tasks: Task[]) => void }>()

  const settleWaiters = () => {
    for (const waiter of waiters) {
      const tasks = waiter.taskIds.map((id) => findTask(id)).filter((task): task is Task => task !== undefined)
      const done = tasks.every((task) => isTaskFinal(task) || isMissionFinal(state.mission(task.missionId)?.record.state ?? 'stopped'))
      if (done) {
        waiters.delete(waiter)
        const ended = tasks.map((task) => ({ ...task }))
        // A mission that ended stopped or failed cuts its sessions' turns, the waiting caller's too (a
        // Commander whose delegate call waits). Answering first would hand that turn one more model step
        // after the end: the answer goes out once the aborts were sent.
        const cutting = [...new Set(tasks.map((task) => state.mission(task.missionId)))].flatMap((runtime) =>
          runtime && (runtime.record.state === 'stopped' || runtime.record.state === 'failed') && runtime.abortsDone ? [runtime.abortsDone] : [],
        )
        if (cutting.length === 0) waiter.resolve(ended)
        else void Promise.all(cutting).then(() => waiter.resolve(ended))
      }
    }
  }
  return {
    waitForTasks(taskIds) {
      return new Promise((resolve) => {
        waiters.add({ taskIds, resolve })
        settleWaiters()
      })
    },
    settleWaiters,
  }
}
