import type { CreateSessionOptions, Task } from '@opencode-orchestrator/core'
import type { FakeTurn } from '@opencode-orchestrator/testing'
import { describe, expect, it } from 'vitest'
import { createFakeTaskWorkspaces, type FakeTaskWorkspaces } from './create-fake-task-workspaces'
import { createMissionHarness, type MissionHarness } from './create-mission-harness'
import { makeTodo } from './make-todo'

const WAKE_HEAD = /^\[orchestrator\] \d+ delegated tasks? ended/

const delegatingTurn: FakeTurn = { steps: [{ tool: 'orchestrator_delegate', durationMs: 10, toolDurationMs: 5 }], durationMs: 10, reply: 'delegated; waiting' }

interface Delegation {
  agent: string
  title: string
  todoIds?: string[]
  isolation?: 'worktree' | 'none'
}

/** On the Commander's first delegate call, delegates these tasks. */
function delegateOnce(harness: MissionHarness, delegations: Delegation[]) {
  const taskIds: string[] = []
  let done = false
  harness.onTool('orchestrator_delegate', ({ sessionId }) => {
    if (done) return
    done = true
    for (const delegation of delegations) {
      taskIds.push(harness.engine.delegate({ sessionId, prompt: delegation.title, ...delegation }).id)
    }
  })
  return taskIds
}

function isolatedHarness(workspaces: FakeTaskWorkspaces, extra: { warmWorktrees?: number; onSeal?: 'branch' | 'merge' } = {}) {
  return createMissionHarness({ isolation: { workspaces, isolation: 'worktree', ...extra } })
}

const creates = (harness: MissionHarness) =>
  harness.host.calls.flatMap((call, index) => (call.method === 'create' ? [{ index, options: call.args[0] as CreateSessionOptions }] : []))

const wakeTexts = (harness: MissionHarness, rootSessionId: string) => harness.prompts(rootSessionId).filter((prompt) => WAKE_HEAD.test(prompt.text)).map((prompt) => prompt.text)

describe('worktree isolation in the mission engine', () => {
  it('runs each Worker in its own worktree, merges before the parent hears, and reports files two Workers changed', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('top of a.txt', { files: ['a.txt'] })
    workspaces.script('bottom of a.txt', { files: ['a.txt', 'b.txt'] })
    const stopped: string[] = []
    const harness = createMissionHarness({
      isolation: {
        workspaces,
        isolation: 'worktree',
        stopTaskWork: async (task) => {
          stopped.push(task.id)
          workspaces.calls.push({ method: 'list', missionId: task.missionId, taskId: task.id, status: 'stop-work' })
        },
      },
    })
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 500, reply: 'edited' })
    const taskIds = delegateOnce(harness, [
      { agent: 'worker', title: 'top of a.txt' },
      { agent: 'worker', title: 'bottom of a.txt' },
    ])
    const { rootSessionId, missionId } = await harness.startMission()
    await harness.advance(5_000)
    const [first, second] = taskIds

    const one = harness.engine.getTask(first!)!
    const two = harness.engine.getTask(second!)!
    expect(one).toMatchObject({ status: 'completed', workspace: { slot: 'w1', branch: `orchestrator/${missionId}--${first}` }, settlement: { kind: 'merged' } })
    expect(two).toMatchObject({ status: 'completed', settlement: { kind: 'merged', overlaps: [{ file: 'a.txt', taskIds: [first, second] }] } })
    // Each child session runs in its worktree.
    const workerCreates = creates(harness).filter(({ options }) => options.agent === 'worker')
    expect(workerCreates.map(({ options }) => options.directory)).toEqual([one.workspace!.path, two.workspace!.path])
    // Prepared before its session; its background work stopped, then settled, before its end is announced.
    expect(workspaces.calls.filter((call) => call.taskId !== undefined).map((call) => `${call.status === 'stop-work' ? 'stop-work' : call.method} ${call.taskId}`)).toEqual([
      `prepare ${first}`,
      `prepare ${second}`,
      `stop-work ${first}`,
      `settle ${first}`,
      `stop-work ${second}`,
      `settle ${second}`,
    ])
    expect(stopped).toEqual([first, second])
    const wakes = wakeTexts(harness, rootSessionId)
    expect(wakes).toHaveLength(1)
    expect(wakes[0]).toContain(`Files changed by more than one worker (merged cleanly; check they still fit together): a.txt (${first}, ${second}).`)
  })

  it('fails a conflicting task with merge-conflict and tells the Commander the files, the other task and what it can do', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('line 5 first', { files: ['a.txt'] })
    workspaces.script('line 5 second', { files: ['a.txt'], conflict: true })
    const harness = isolatedHarness(workspaces)
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.script({ match: { agent: 'worker', text: 'line 5 first' }, turn: { durationMs: 300, reply: 'done first' } })
    harness.host.script({ match: { agent: 'worker', text: 'line 5 second' }, turn: { durationMs: 600, reply: 'done second' } })
    const taskIds = delegateOnce(harness, [
      { agent: 'worker', title: 'line 5 first' },
      { agent: 'worker', title: 'line 5 second' },
    ])
    const { rootSessionId } = await harness.startMission()
    await harness.advance(5_000)
    const [first, second] = taskIds

    const conflicted = harness.engine.getTask(second!)!
    expect(conflicted.status).toBe('failed')
    expect(conflicted.result).toBe('done second')
    expect(conflicted.error?.code).toBe('merge-conflict')
    expect(conflicted.error?.message).toContain(`merge conflict in a.txt with ${first}`)
    expect(conflicted.error?.message).toContain('Delegate a worker to resolve it')
    const text = wakeTexts(harness, rootSessionId).join('\n')
    expect(text).toContain(`its version is on ${conflicted.workspace!.branch}`)
  })

  it('gives read-only roles no worktree of their own: the Reviewer reads the integration tree; isolation "none" per task is honoured', async () => {
    const workspaces = createFakeTaskWorkspaces()
    const harness = isolatedHarness(workspaces, { warmWorktrees: 2 })
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.onAgent('planner', { durationMs: 100, reply: 'planned' })
    harness.host.onAgent('reviewer', { durationMs: 100, reply: 'verified' })
    harness.host.onAgent('worker', { durationMs: 100, reply: 'done' })
    delegateOnce(harness, [
      { agent: 'planner', title: 'plan' },
      { agent: 'reviewer', title: 'review' },
      { agent: 'worker', title: 'shared', isolation: 'none' },
    ])
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)

    const byAgent = Object.fromEntries(creates(harness).map(({ options }) => [options.agent, options.directory]))
    const integration = `/fake/project/.git/orchestrator/worktrees/${missionId}/integration`
    // The Planner reads the project folder until something is merged (here: nothing is).
    expect(byAgent).toEqual({ planner: undefined, reviewer: integration, worker: undefined })
    expect(workspaces.calls.filter((call) => call.method === 'prepare')).toEqual([])
    // Warmed while the Planner planned: worktrees made, and the host's instance booted in each.
    expect(harness.host.calls.filter((call) => call.method === 'warm').map((call) => call.args[0])).toEqual([
      `/fake/project/.git/orchestrator/worktrees/${missionId}/w1`,
      `/fake/project/.git/orchestrator/worktrees/${missionId}/w2`,
    ])
  })

  it('falls back to the project folder outside git, with one notice', async () => {
    const workspaces = createFakeTaskWorkspaces({ availability: { available: false, reason: '/fake/project is not in a git repository' } })
    const harness = isolatedHarness(workspaces)
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 100, reply: 'done' })
    delegateOnce(harness, [
      { agent: 'worker', title: 'one' },
      { agent: 'worker', title: 'two' },
    ])
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)

    expect(creates(harness).map(({ options }) => options.directory)).toEqual([undefined, undefined])
    expect(harness.host.toasts.map((toast) => toast.message)).toEqual(['Workers share the project folder (no worktree isolation): /fake/project is not in a git repository.'])
    expect(harness.engine.getMission(missionId)?.workspaces).toEqual({ fallback: '/fake/project is not in a git repository' })
  })

  it('merges in dependency order: a task whose todo depends on a running one waits for its merge', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('base work', { files: ['a.txt'] })
    workspaces.script('built on it', { files: ['b.txt'] })
    const harness = isolatedHarness(workspaces)
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.script({ match: { agent: 'worker', text: 'base work' }, turn: { durationMs: 2_000, reply: 'base done' } })
    harness.host.script({ match: { agent: 'worker', text: 'built on it' }, turn: { durationMs: 200, reply: 'second done' } })
    const taskIds = delegateOnce(harness, [
      { agent: 'worker', title: 'base work', todoIds: ['t1'] },
      { agent: 'worker', title: 'built on it', todoIds: ['t2'] },
    ])
    const { missionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1', { status: 'in_progress' }), makeTodo('t2', { status: 'in_progress', dependsOn: ['t1'] })])
    await harness.advance(1_000)
    const [base, dependent] = taskIds.map((id) => harness.engine.getTask(id)!) as [Task, Task]
    // Its session is done, but its merge waits for t1's task.
    expect(dependent.status).toBe('running')
    expect(workspaces.calls.filter((call) => call.method === 'settle')).toEqual([])
    await harness.advance(5_000)
    expect(workspaces.calls.filter((call) => call.method === 'settle').map((call) => call.taskId)).toEqual([base.id, dependent.id])
    const ends = harness.eventsOf('task-end').map((event) => event.task.id)
    expect(ends).toEqual([base.id, dependent.id])
  })

  it('fails a task whose worktree cannot be made, naming why, without creating its session', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.prepare = async () => {
      throw new Error('git worktree add failed: disk full')
    }
    const harness = isolatedHarness(workspaces)
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    const taskIds = delegateOnce(harness, [{ agent: 'worker', title: 'doomed' }])
    await harness.startMission()
    await harness.advance(2_000)

    expect(harness.engine.getTask(taskIds[0]!)).toMatchObject({
      status: 'failed',
      error: { code: 'worktree-failed', message: "could not make the task's worktree: git worktree add failed: disk full" },
    })
    expect(creates(harness).filter(({ options }) => options.agent === 'worker')).toEqual([])
  })

  it('finishes the worktrees when the mission stops, and journals what was left', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('slow', { files: ['wip.txt'] })
    const harness = isolatedHarness(workspaces)
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    harness.host.onAgent('worker', { durationMs: 60_000, reply: 'done' })
    delegateOnce(harness, [{ agent: 'worker', title: 'slow' }])
    const { missionId } = await harness.startMission()
    await harness.advance(1_000)
    await harness.engine.stopMission(missionId, { reason: 'user stop' })
    await harness.advance(100)

    expect(workspaces.calls.filter((call) => call.method === 'finish')).toEqual([{ method: 'finish', missionId, status: 'stopped' }])
    expect(harness.eventsOf('mission-workspaces-end')).toEqual([{ missionId, outcome: 'stopped', end: { left: [] } }])
    expect(harness.engine.getMission(missionId)?.workspaces).toEqual({ end: { left: [] } })
  })

  it('lands a sealed mission\'s result per onSeal once the seal is announced, and journals it', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('the work', { files: ['a.txt'] })
    const harness = isolatedHarness(workspaces, { onSeal: 'merge' })
    harness.host.onAgent('commander', [delegatingTurn, { reply: 'all verified' }])
    harness.host.onAgent('worker', { durationMs: 300, reply: 'done' })
    delegateOnce(harness, [{ agent: 'worker', title: 'the work', todoIds: ['t1'] }])
    const { missionId } = await harness.startMission()
    harness.engine.setTodos(missionId, [makeTodo('t1', { status: 'done', evidence: 'checked' })])
    await harness.advance(10_000)

    expect(harness.engine.getMission(missionId)?.state).toBe('sealed')
    const end = { landing: { kind: 'merged', branch: `orchestrator/${missionId}`, into: 'main' }, left: [] }
    expect(harness.eventsOf('mission-workspaces-end')).toEqual([{ missionId, outcome: 'sealed', end }])
    const names = harness.events.map((event) => event.name)
    expect(names.indexOf('mission-seal')).toBeLessThan(names.indexOf('mission-workspaces-end'))
    expect(harness.engine.getMission(missionId)?.workspaces).toEqual({ end })
  })

  it('adopts the worktrees of running tasks after a restart', async () => {
    const workspaces = createFakeTaskWorkspaces()
    workspaces.script('long', { files: ['a.txt'] })
    const before = isolatedHarness(workspaces)
    before.host.onAgent('commander', [delegatingTurn, { reply: 'noted' }])
    before.host.onAgent('worker', { durationMs: 10_000, reply: 'done at last' })
    const taskIds = delegateOnce(before, [{ agent: 'worker', title: 'long' }])
    const { missionId } = await before.startMission()
    await before.advance(1_000)
    const [taskId] = taskIds
    await before.engine.dispose()

    const after = createMissionHarness({ clock: before.clock, host: before.host, storage: before.storage, isolation: { workspaces, isolation: 'worktree' } })
    await after.engine.start()
    expect(workspaces.calls.filter((call) => call.method === 'adopt')).toEqual([{ method: 'adopt', missionId, status: `${taskId}:running` }])
    await after.advance(20_000)
    expect(after.engine.getTask(taskId!)).toMatchObject({ status: 'completed', settlement: { kind: 'merged' } })
    expect(workspaces.calls.filter((call) => call.method === 'prepare')).toHaveLength(1)
  })
})
