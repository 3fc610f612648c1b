/**
 * The mission state machine. One engine serves every mission of a host; each mission is keyed by
 * its root session and driven by host events only. The engine is made of parts, one concept each,
 * under `engine/` (see docs/ARCHITECTURE.md, "The mission engine's parts"); this file only wires them.
 */
import { createAdoption } from './engine/adoption'
import { createBudgets } from './engine/budgets'
import { createContinuationLoop } from './engine/continuation-loop'
import { createEngineContext, type EngineOps } from './engine/engine-context'
import { createEngineLifecycle } from './engine/engine-lifecycle'
import type { CreateMissionEngineOptions, MissionEngine } from './engine/engine-types'
import { createEnding } from './engine/ending'
import { createHostEvents } from './engine/host-events'
import { createMissionCommands } from './engine/mission-commands'
import { createMissionQueries } from './engine/mission-queries'
import { createPrompting } from './engine/prompting'
import { createTaskLifecycle } from './engine/task-lifecycle'
import { createTaskWaiters } from './engine/task-waiters'
import { createWakes } from './engine/wakes'

export type {
  ContinuationSettings,
  CreateMissionEngineOptions,
  DelegateOptions,
  MissionEngine,
  MissionEngineStartOptions,
  ResumeReport,
  StartMissionOptions,
  StopMissionOptions,
} from './engine/engine-types'

/**
 * The mission state machine. One engine serves every mission of a host; each
 * mission is keyed by its root session and driven by host events only.
 */
export function createMissionEngine(options: CreateMissionEngineOptions): MissionEngine {
  const ctx = createEngineContext(options)
  // The parts call each other (a task's end wakes its parent, whose prompt may fail the task...):
  // each gets these late-bound entries, which reach the part that owns the function at call time.
  const ops: EngineOps = {
    promptSession: (...args) => prompting.promptSession(...args),
    endTask: (...args) => tasks.endTask(...args),
    dispatch: (...args) => tasks.dispatch(...args),
    checkChild: (...args) => tasks.checkChild(...args),
    maybeWake: (...args) => wakes.maybeWake(...args),
    sendWake: (...args) => wakes.sendWake(...args),
    evaluate: (...args) => loop.evaluate(...args),
    checkRoot: (...args) => loop.checkRoot(...args),
    recheckRoot: (...args) => loop.recheckRoot(...args),
    finish: (...args) => ending.finish(...args),
    stopMission: (...args) => ending.stopMission(...args),
    finishWorkspaces: (...args) => ending.finishWorkspaces(...args),
    evictEnded: () => ending.evictEnded(),
    exceed: (...args) => budgets.exceed(...args),
    armWallTimer: (...args) => budgets.armWallTimer(...args),
    settleWaiters: () => waiters.settleWaiters(),
  }
  const waiters = createTaskWaiters(ctx)
  const prompting = createPrompting(ctx, ops)
  const tasks = createTaskLifecycle(ctx, ops)
  const wakes = createWakes(ctx, ops)
  const loop = createContinuationLoop(ctx, ops)
  const ending = createEnding(ctx, ops)
  const budgets = createBudgets(ctx, ops)
  const hostEvents = createHostEvents(ctx, { ...ops, accountUsage: budgets.accountUsage })
  const adoption = createAdoption(ctx, ops)
  const lifecycle = createEngineLifecycle(ctx, { ...ops, ...adoption, ...hostEvents })
  return {
    start: lifecycle.start,
    ...createMissionCommands(ctx, ops),
    waitForTasks: waiters.waitForTasks,
    ...createMissionQueries(ctx),
    dispose: lifecycle.dispose,
  }
}
