/**
 * A task's life: queued and dispatched through the scheduler, its child session created and
 * prompted, the child's idle read as the task's result (or failure), and the task's end, which
 * queues a wake for its parent and re-evaluates the mission.
 */
import { isMissionFinal } from '../mission'
import { OrchestratorError, errorMessage } from '../orchestrator-error'
import { isTaskFinal, type Task } from '../task'
import type { DispatchTicket } from '../task-dispatcher'
import type { EngineContext, EngineOps } from './engine-context'
import { sessionOf, settledOf, taskOf, type MissionRuntime } from './mission-runtime'
import type { HostMessage } from '../host'
import type { TaskWorkspace, WorkspaceSettlement } from '../task-workspaces'
import { describeIsolationFallback, describeMergeConflict } from '../words/describe-workspaces'
import { MESSAGE_WINDOW, finishedTurnOf, hostErrorText, isTurnFinished, lastAssistant } from './turns'

/**
 * A child session's title: the task's title (the Commander names the todo there), then the role in
 * the form OpenCode's TUI reads for its own subagents (`@worker subagent`), so a child view's footer
 * says "Worker (1 of 3)" instead of "Subagent (1 of 3)" (verified on 1.18.33).
 */
function childSessionTitle(task: Pick<Task, 'agent' | 'title'>): string {
  return `${task.title} (@${task.agent} subagent)`
}

/** Roles that write: each gets a worktree of its own (isolation `worktree`). The others read the integration tree. */
export const WRITING_AGENTS: ReadonlySet<string> = new Set(['worker'])

export interface TaskLifecycle {
  endTask: EngineOps['endTask']
  dispatch: EngineOps['dispatch']
  checkChild: EngineOps['checkChild']
}

export function createTaskLifecycle(ctx: EngineContext, ops: Pick<EngineOps, 'promptSession' | 'maybeWake' | 'recheckRoot' | 'settleWaiters'>): TaskLifecycle {
  const { options, host, bus, clock, dispatcher, prompts, state, isStale, persist, background, refreshState, snapshot, logger } = ctx
  const { promptSession, maybeWake, recheckRoot, settleWaiters } = ops
  const workspaces = options.workspaces

  /**
   * Ends a task. A task with a worktree is settled first (its work committed and merged back, in
   * dependency order); only then do its parent and the mission hear of the end, so the Commander
   * never delegates on work that is not in the integration tree yet.
   */
  const endTask: EngineOps['endTask'] = (runtime, task, status, detail) => {
    if (isTaskFinal(task) || runtime.settling.has(task.id)) return
    const workspace = task.workspace
    if (!workspaces || workspace === undefined || task.settlement !== undefined) return reportEnd(runtime, task, status, detail)
    let done = () => {}
    runtime.settling.set(task.id, new Promise<void>((resolve) => (done = resolve)))
    background('task settle', { missionId: task.missionId, taskId: task.id }, async () => {
      let settlement: WorkspaceSettlement
      try {
        // A cancelled or failed Worker may still be in a turn: stop it before its work is committed.
        if (status !== 'completed' && task.sessionId !== undefined) await host.sessions.abort(task.sessionId).catch(() => undefined)
        // Background commands of the Worker run in its worktree and die with it.
        await options.stopTaskWork?.(task).catch((error: unknown) => logger.log('warn', 'could not stop what the task left running', { taskId: task.id, error: errorMessage(error) }))
        await dependenciesSettled(runtime, task)
        settlement = await workspaces.settle({ missionId: task.missionId, taskId: task.id, workspace, status, title: task.title })
      } catch (error) {
        logger.log('error', 'a task worktree could not be merged back; it is kept', { missionId: task.missionId, taskId: task.id, error: errorMessage(error) })
        settlement = { kind: 'kept', reason: `it could not be merged back: ${errorMessage(error)}`, branch: workspace.branch, path: workspace.path, overlaps: [] }
      } finally {
        runtime.settling.delete(task.id)
        done()
      }
      task.settlement = settlement
      settledOf(runtime, task.id).resolve()
      if (isTaskFinal(task) || state.isDisposed()) {
        // The mission ended while the work came back: the journal still learns what became of it.
        persist(runtime)
        return
      }
      if (settlement.kind === 'conflict' && status === 'completed') {
        reportEnd(runtime, task, 'failed', { ...detail, error: { code: 'merge-conflict', message: describeMergeConflict(settlement, task.id) } })
      } else reportEnd(runtime, task, status, detail)
    })
  }

  /** Waits until every task with a worktree that did a todo this task's todos depend on is settled. */
  const dependenciesSettled = async (runtime: MissionRuntime, task: Task) => {
    const needed = new Set(runtime.record.todos.filter((todo) => task.todoIds.includes(todo.id)).flatMap((todo) => todo.dependsOn))
    if (needed.size === 0) return
    const before = runtime.record.tasks.filter(
      (other) => other.id !== task.id && other.workspace !== undefined && other.settlement === undefined && other.todoIds.some((id) => needed.has(id)),
    )
    await Promise.all(before.map((other) => settledOf(runtime, other.id).promise))
  }

  /** Where a task's session runs: its own worktree (writing roles), the integration tree (read-only roles), or the project folder. */
  const workspaceFor = async (runtime: MissionRuntime, task: Task): Promise<{ workspace?: TaskWorkspace; directory?: string }> => {
    if (!workspaces) return {}
    if (!WRITING_AGENTS.has(task.agent)) {
      // The Reviewer checks the merged result; the Planner reads it once there is one (before, the project
      // folder holds the same files, and its warm OpenCode instance saves the Planner a cold start).
      const merged = runtime.record.tasks.some((other) => other.settlement?.kind === 'merged')
      if (task.agent !== 'reviewer' && !merged) return {}
      const integration = await workspaces.integration({ missionId: task.missionId })
      return integration ? { directory: integration.path } : {}
    }
    if (task.workspace) return { workspace: task.workspace, directory: task.workspace.path }
    if ((task.isolation ?? options.isolation ?? 'worktree') === 'none') return {}
    const availability = await workspaces.availability()
    if (!availability.available) {
      const record = runtime.record
      if (record.workspaces?.fallback === undefined) {
        record.workspaces = { ...record.workspaces, fallback: availability.reason }
        persist(runtime)
        const message = describeIsolationFallback(availability.reason)
        logger.log('warn', message, { missionId: record.id })
        host.toast({ title: 'Orchestrator', message, variant: 'warning' }).catch(() => undefined)
      }
      return {}
    }
    // Journaled before the worktree exists: a mission ending meanwhile still removes it.
    if (runtime.record.workspaces === undefined) {
      runtime.record.workspaces = {}
      persist(runtime)
    }
    const workspace = await workspaces.prepare({ missionId: task.missionId, taskId: task.id, agent: task.agent, title: task.title })
    if (!workspace) return {}
    return { workspace, directory: workspace.path }
  }

  const reportEnd = (runtime: MissionRuntime, task: Task, status: 'completed' | 'failed' | 'cancelled', detail: { result?: string; error?: { code: string; message: string } }) => {
    if (isTaskFinal(task)) return
    task.status = status
    task.endedAt = clock.now()
    if (detail.result !== undefined) task.result = detail.result
    if (detail.error) task.error = detail.error
    runtime.tickets.get(task.id)?.cancel('task ended')
    runtime.tickets.delete(task.id)
    runtime.leases.get(task.id)?.release()
    runtime.leases.delete(task.id)
    bus.emit('task-end', { task: { ...task } })
    const silent = runtime.silentTasks.has(task.id)
    if (!isMissionFinal(runtime.record.state) && !silent) {
      const queue = (runtime.record.pendingWakes[task.parentSessionId] ??= [])
      queue.push(task.id)
    }
    runtime.silentTasks.delete(task.id)
    refreshState(runtime)
    settleWaiters()
    if (isMissionFinal(runtime.record.state)) return
    maybeWake(runtime, task.parentSessionId)
    // No wake reaches the root for a silent task or a grandchild: if that was the work the idle
    // root waited for, nothing else would ever evaluate the mission again.
    if (silent || task.parentSessionId !== runtime.record.rootSessionId) recheckRoot(runtime)
  }

  const dispatch = (runtime: MissionRuntime, task: Task) => {
    const generation = runtime.record.generation
    let ticket: DispatchTicket
    try {
      ticket = dispatcher.request({
        taskId: task.id,
        missionId: task.missionId,
        agent: task.agent,
        priority: task.priority,
        depth: task.depth,
        parentSessionId: task.parentSessionId,
        ...(task.model ? { model: task.model } : {}),
      })
    } catch (error) {
      const code = OrchestratorError.isInstance(error) ? error.code : 'host-failed'
      endTask(runtime, task, 'failed', { error: { code, message: errorMessage(error) } })
      return
    }
    runtime.tickets.set(task.id, ticket)
    ticket.granted.then(
      (lease) => {
        runtime.tickets.delete(task.id)
        if (isStale(runtime, generation) || isTaskFinal(task)) {
          lease.release()
          return
        }
        runtime.leases.set(task.id, lease)
        background('task start', { missionId: task.missionId, taskId: task.id }, () => startChild(runtime, task, generation))
      },
      (error: unknown) => {
        runtime.tickets.delete(task.id)
        // A dispose withdraws queued requests; the journal keeps the task queued for the next start.
        if (state.isDisposed() || isTaskFinal(task) || isStale(runtime, generation)) return
        const code = OrchestratorError.isInstance(error) ? error.code : 'host-failed'
        endTask(runtime, task, 'failed', { error: { code, message: errorMessage(error) } })
      },
    )
  }

  const startChild = async (runtime: MissionRuntime, task: Task, generation: number) => {
    let sessionId: string
    let place: { workspace?: TaskWorkspace; directory?: string }
    try {
      place = await workspaceFor(runtime, task)
    } catch (error) {
      if (!isTaskFinal(task)) endTask(runtime, task, 'failed', { error: { code: 'worktree-failed', message: `could not make the task's worktree: ${errorMessage(error)}` } })
      return
    }
    if (place.workspace) {
      task.workspace = place.workspace
      persist(runtime)
    }
    if (isStale(runtime, generation) || isTaskFinal(task)) {
      runtime.leases.get(task.id)?.release()
      runtime.leases.delete(task.id)
      if (place.workspace) settledOf(runtime, task.id).resolve()
      return
    }
    try {
      const session = await host.sessions.create({
        parentId: task.parentSessionId,
        title: childSessionTitle(task),
        agent: task.agent,
        ...(place.directory !== undefined ? { directory: place.directory } : {}),
      })
      sessionId = session.id
    } catch (error) {
      if (!isTaskFinal(task)) endTask(runtime, task, 'failed', { error: { code: 'host-failed', message: `could not create the child session: ${errorMessage(error)}` } })
      return
    }
    if (isStale(runtime, generation) || isTaskFinal(task)) {
      runtime.leases.get(task.id)?.release()
      runtime.leases.delete(task.id)
      return
    }
    const parent = sessionOf(runtime, task.parentSessionId)
    runtime.record.sessions.push({ sessionId, agent: task.agent, depth: (parent?.depth ?? 0) + 1, taskId: task.id, parentSessionId: task.parentSessionId })
    state.track(runtime, sessionId)
    task.sessionId = sessionId
    task.status = 'running'
    task.startedAt = clock.now()
    bus.emit('task-start', { task: { ...task } })
    refreshState(runtime)
    promptSession(runtime, sessionId, task.prompt, task.agent)
  }

  /** Reads the child's last messages after an idle and decides whether its task is done. */
  const checkChild = (runtime: MissionRuntime, sessionId: string, options: { adopting?: boolean } = {}) => {
    const role = sessionOf(runtime, sessionId)
    const task = role?.taskId ? taskOf(runtime, role.taskId) : undefined
    const entry = state.trackOf(sessionId)
    if (!task || !entry) return
    const settle = (last: HostMessage | undefined) => {
      if (isTaskFinal(task)) {
        // A late result after a cancel is recorded, never acted upon.
        if (isTurnFinished(last) && task.result === undefined) {
          task.result = last.text
          persist(runtime)
        }
        // The session's extra turn (e.g. answering a grandchild's wake) may have been the last work in flight.
        if (isTurnFinished(last)) recheckRoot(runtime)
        return
      }
      if (isMissionFinal(runtime.record.state)) return
      if (last?.error) {
        if (state.isRecovering(sessionId)) return
        if (last.error.name === 'MessageAbortedError') {
          if (options.adopting) return promptSession(runtime, sessionId, prompts.resume({ mission: snapshot(runtime), sessionId, agent: task.agent, task }), task.agent)
          return endTask(runtime, task, 'cancelled', { error: { code: 'aborted', message: 'the session was aborted' } })
        }
        return endTask(runtime, task, 'failed', { error: { code: last.error.name, message: hostErrorText(last.error) } })
      }
      // Recovery holds the session (it asks a cut answer to go on, or its own compaction's summary just
      // ended): that turn is not the task's result; the recovery's end or the next idle settles it.
      if (state.isRecovering(sessionId)) return
      const gaveUpReason = state.takeGaveUp(sessionId)
      if (gaveUpReason !== undefined) {
        return endTask(runtime, task, 'failed', { error: { code: 'recovery-gave-up', message: gaveUpReason } })
      }
      if (isTurnFinished(last)) return endTask(runtime, task, 'completed', { result: last.text })
      // Idle without a finished turn: a transient idle between steps, or (after a restart) an interrupted turn.
      if (options.adopting) promptSession(runtime, sessionId, prompts.resume({ mission: snapshot(runtime), sessionId, agent: task.agent, task }), task.agent)
    }
    const known = options.adopting ? undefined : finishedTurnOf(entry, sessionId)
    if (known) return settle(known)
    const activity = entry.activity
    background('child check', { missionId: runtime.record.id, sessionId }, async () => {
      const messages = await host.sessions.messages(sessionId, { limit: MESSAGE_WINDOW })
      if (state.isDisposed() || entry.activity !== activity || entry.busy) return
      settle(lastAssistant(messages))
    })
  }

  return { endTask, dispatch, checkChild }
}
