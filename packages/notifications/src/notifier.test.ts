import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createEventBus, createLogger, OrchestratorError, systemClock } from '@opencode-orchestrator/core'
import type { EventBus, HostToast, LogLevel, OrchestratorEvents, Task, TaskStatus, Todo } from '@opencode-orchestrator/core'
import { createNotifier } from './notifier'
import type { CreateNotifierOptions } from './notifier'

interface Shown extends HostToast {
  at: number
}

function task(id: string, status: TaskStatus, extra: Partial<Task> = {}): Task {
  return {
    id,
    missionId: 'm1',
    agent: 'worker',
    title: id,
    prompt: '',
    todoIds: [],
    status,
    priority: 0,
    parentSessionId: 'root',
    depth: 1,
    createdAt: 0,
    ...extra,
  }
}

function todos(total: number, done: number): Todo[] {
  return Array.from({ length: total }, (_, index) => ({
    id: `t${index + 1}`,
    title: `todo ${index + 1}`,
    status: index < done ? 'done' : 'pending',
    ...(index < done ? { evidence: { summary: 'checked by the Reviewer', recordedAt: 0 } } : {}),
    dependsOn: [],
    createdAt: 0,
    updatedAt: 0,
  }))
}

function setup(overrides: Partial<CreateNotifierOptions> = {}) {
  const listenerErrors: unknown[] = []
  const bus: EventBus<OrchestratorEvents> = createEventBus<OrchestratorEvents>({
    onListenerError: (error) => listenerErrors.push(error),
  })
  const shown: Shown[] = []
  const logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = []
  const notifier = createNotifier({
    bus,
    toast: async (notice) => {
      shown.push({ ...notice, at: Date.now() })
    },
    clock: systemClock,
    logger: createLogger((entry) => logs.push(entry)),
    ...overrides,
  })
  const progress = () => shown.filter((notice) => notice.title?.startsWith('Orchestrator') && notice.variant === 'info')
  const terminal = () => shown.filter((notice) => notice.title?.startsWith('Mission '))
  return { bus, shown, logs, notifier, listenerErrors, progress, terminal }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 })
})

afterEach(() => {
  vi.useRealTimers()
})

describe('createNotifier progress', () => {
  it('turns a burst of 1,000 events in 10 s into at most 5 notices, the last one showing the final state', () => {
    const { bus, progress, listenerErrors, notifier } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'Build a REST API' })
    const events: Array<() => void> = []
    for (let index = 0; index < 300; index += 1) events.push(() => bus.emit('task-queue', { task: task(`k${index}`, 'queued') }))
    for (let index = 0; index < 300; index += 1)
      events.push(() => bus.emit('task-start', { task: task(`k${index}`, 'running', { sessionId: `s${index}` }) }))
    for (let index = 0; index < 290; index += 1) events.push(() => bus.emit('task-end', { task: task(`k${index}`, 'completed') }))
    for (let index = 0; index < 109; index += 1)
      events.push(() => bus.emit('todo-update', { missionId: 'm1', todos: todos(10, Math.min(7, Math.floor(index / 10))) }))
    expect(events).toHaveLength(999)
    // Together with mission-start: 1,000 events, one every 10 ms.
    for (const emit of events) {
      vi.advanceTimersByTime(10)
      emit()
    }
    vi.advanceTimersByTime(10_000)

    const notices = progress()
    expect(notices.length).toBeGreaterThanOrEqual(2)
    expect(notices.length).toBeLessThanOrEqual(5)
    expect(notices.at(-1)?.message).toBe('7/10 todos verified · 10 workers running')
    // While events keep coming, notices are an interval apart; the last follows the quiet end of the burst.
    for (let index = 1; index < notices.length - 1; index += 1) {
      expect(notices[index]!.at - notices[index - 1]!.at).toBeGreaterThanOrEqual(3000)
    }
    expect(listenerErrors).toEqual([])
    notifier.dispose()
  })

  it('shows the first change at once and a later one as soon as events are quiet, not an interval later', () => {
    const { bus, progress } = setup({ progressIntervalMs: 5000 })
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    expect(progress().map((notice) => notice.message)).toEqual(['planning'])
    vi.advanceTimersByTime(100)
    bus.emit('task-queue', { task: task('a', 'queued', { agent: 'planner' }) })
    vi.advanceTimersByTime(100)
    bus.emit('task-start', { task: task('a', 'running', { agent: 'planner' }) })
    expect(progress()).toHaveLength(1)
    vi.advanceTimersByTime(249)
    expect(progress()).toHaveLength(1)
    vi.advanceTimersByTime(1)
    expect(progress().map((notice) => notice.message)).toEqual(['planning', 'no todo list yet · 1 planner running'])
  })

  it('never says workers are running after they ended: the end shows within the quiet window', () => {
    const { bus, progress } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('todo-update', { missionId: 'm1', todos: todos(2, 0) })
    bus.emit('task-start', { task: task('a', 'running', { todoIds: ['t1'] }) })
    bus.emit('task-start', { task: task('b', 'running', { todoIds: ['t2'] }) })
    vi.advanceTimersByTime(300)
    expect(progress().at(-1)?.message).toBe('0/2 todos verified · 2 workers running')
    vi.advanceTimersByTime(200)
    bus.emit('task-end', { task: task('a', 'completed') })
    vi.advanceTimersByTime(300)
    bus.emit('task-end', { task: task('b', 'completed') })
    // Before: the throttle held "2 workers running" until 3 s after the previous notice.
    vi.advanceTimersByTime(250)
    expect(progress().at(-1)?.message).toBe('0/2 todos verified')
    expect(progress().map((notice) => notice.message)).toContain('0/2 todos verified · 1 worker running')
  })

  it('keeps throttling with a progressIntervalMs beyond the 32-bit timer range (1e10 ms)', () => {
    const { bus, progress, notifier } = setup({ progressIntervalMs: 1e10 })
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    expect(progress()).toHaveLength(1)
    // A burst that never goes quiet: only the interval may show it, and 1e10 ms must not
    // overflow into a timer that fires at once (which would show every change).
    for (let index = 0; index < 100; index += 1) {
      vi.advanceTimersByTime(100)
      const id = `t${index}`
      bus.emit(index % 2 === 0 ? 'task-queue' : 'task-start', { task: task(id, index % 2 === 0 ? 'queued' : 'running', { agent: 'worker' }) })
    }
    expect(progress()).toHaveLength(1)
    // Once quiet, the settled state is shown once.
    vi.advanceTimersByTime(1_000)
    expect(progress()).toHaveLength(2)
    notifier.dispose()
  })

  it('suppresses a notice whose text did not change', () => {
    const { bus, progress } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('todo-update', { missionId: 'm1', todos: todos(3, 1) })
    vi.advanceTimersByTime(3000)
    expect(progress().map((notice) => notice.message)).toEqual(['planning', '1/3 todos verified'])
    // Inside the next window: a todo update that changes nothing visible, and a change that is undone.
    bus.emit('todo-update', { missionId: 'm1', todos: todos(3, 1) })
    bus.emit('task-queue', { task: task('a', 'queued') })
    bus.emit('task-end', { task: task('a', 'cancelled') })
    vi.advanceTimersByTime(10_000)
    expect(progress().map((notice) => notice.message)).toEqual(['planning', '1/3 todos verified'])
    expect(vi.getTimerCount()).toBe(0)
  })

  it('counts every task once whatever the order and repetition of its events', () => {
    const { bus, progress } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('task-end', { task: task('a', 'completed') }) // end seen before start
    bus.emit('task-start', { task: task('a', 'running') })
    bus.emit('task-queue', { task: task('a', 'queued') })
    bus.emit('task-start', { task: task('b', 'running') })
    bus.emit('task-start', { task: task('b', 'running') })
    bus.emit('task-queue', { task: task('c', 'queued') })
    bus.emit('task-queue', { task: task('c', 'queued') })
    bus.emit('task-start', { task: task('d', 'running', { agent: 'reviewer' }) })
    vi.advanceTimersByTime(3000)
    expect(progress().at(-1)?.message).toBe('no todo list yet · 1 task done · 1 worker running · 1 reviewer running · 1 queued')
  })

  it('names the mission only while more than one is active', () => {
    const { bus, progress, terminal } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'r1', goal: 'Build a REST API with authentication' })
    expect(progress().at(-1)?.title).toBe('Orchestrator')
    bus.emit('mission-start', { missionId: 'm2', rootSessionId: 'r2', goal: 'Fix the flaky tests' })
    expect(progress().at(-1)).toMatchObject({ title: 'Orchestrator · Fix the flaky tests', message: 'planning' })
    bus.emit('mission-stop', { missionId: 'm2', reason: 'cancelled by the user' })
    expect(terminal().at(-1)?.title).toBe('Mission stopped · Fix the flaky tests')
    bus.emit('todo-update', { missionId: 'm1', todos: todos(2, 0) })
    vi.advanceTimersByTime(3000)
    expect(progress().at(-1)).toMatchObject({ title: 'Orchestrator', message: '0/2 todos verified' })
  })
})

describe('createNotifier terminal notices', () => {
  it('shows exactly one notice per ended mission and cancels its pending progress notice', () => {
    const { bus, shown, terminal } = setup()
    for (const id of ['m1', 'm2', 'm3']) bus.emit('mission-start', { missionId: id, rootSessionId: `r-${id}`, goal: id })
    vi.advanceTimersByTime(60_000)
    for (const id of ['m1', 'm2', 'm3']) bus.emit('todo-update', { missionId: id, todos: todos(2, 2) })
    // m1..m3 each showed a leading progress notice a minute ago, so these updates showed at once;
    // a second update within the window leaves a trailing notice pending.
    for (const id of ['m1', 'm2', 'm3']) bus.emit('task-queue', { task: task(`late-${id}`, 'queued', { missionId: id }) })
    const before = shown.length
    bus.emit('mission-transition', { missionId: 'm1', from: 'reviewing', to: 'sealed' })
    bus.emit('mission-seal', { missionId: 'm1', todos: todos(2, 2) })
    bus.emit('mission-stop', { missionId: 'm2', reason: '20 of 20 continuations used', budget: 'iterations' })
    bus.emit('mission-fail', {
      missionId: 'm3',
      reason: 'Worker failed',
      error: { name: 'ProviderAuthError', data: { message: 'Invalid API key' } },
    })
    // Repeated or late terminal events for ended missions are ignored.
    bus.emit('mission-seal', { missionId: 'm1', todos: todos(2, 2) })
    bus.emit('mission-fail', { missionId: 'm2', reason: 'again' })
    bus.emit('task-end', { task: task('late-m1', 'completed', { missionId: 'm1' }) })
    vi.advanceTimersByTime(60_000)

    expect(shown.slice(before)).toEqual(terminal().slice(-3))
    expect(terminal().map(({ title, message, variant }) => ({ title, message, variant }))).toEqual([
      { title: 'Mission sealed · m1', message: 'All 2 todos verified in 1m 00s.', variant: 'success' },
      {
        title: 'Mission stopped · m2',
        message: 'Iteration budget reached — 20 of 20 continuations used',
        variant: 'warning',
      },
      { title: 'Mission failed', message: 'Worker failed: Invalid API key', variant: 'error' },
    ])
  })

  it('says where the report is in the seal, stop and failure notices', () => {
    const { bus, terminal } = setup({ reportPathOf: (missionId) => `.opencode/orchestrator/missions/${missionId}/report.html` })
    bus.emit('mission-seal', { missionId: 'm1', todos: todos(1, 1) })
    bus.emit('mission-stop', { missionId: 'm2', reason: 'stopped by the user (/stop)' })
    bus.emit('mission-fail', { missionId: 'm3', reason: 'The provider rejected the API key (401).' })
    expect(terminal().map((notice) => notice.message)).toEqual([
      'All 1 todo verified.\nReport: .opencode/orchestrator/missions/m1/report.html',
      'stopped by the user (/stop)\nReport: .opencode/orchestrator/missions/m2/report.html',
      'The provider rejected the API key (401).\nReport: .opencode/orchestrator/missions/m3/report.html',
    ])
  })

  it('shows a terminal notice for a mission it never saw start', () => {
    const { bus, terminal } = setup()
    bus.emit('mission-stop', { missionId: 'resumed', reason: 'cancelled by the user' })
    expect(terminal()).toHaveLength(1)
  })

  it('keeps stop reasons short and never shows raw JSON', () => {
    const { bus, terminal } = setup()
    bus.emit('mission-stop', { missionId: 'a', reason: 'x'.repeat(500) })
    bus.emit('mission-fail', {
      missionId: 'b',
      reason: '{"name":"APIError","data":{"message":"Overloaded, try later","statusCode":529}}',
    })
    const [stop, fail] = terminal()
    expect(stop!.message.length).toBeLessThanOrEqual(160)
    expect(stop!.message.endsWith('…')).toBe(true)
    expect(fail!.message).toBe('Overloaded, try later')
  })

  it('notifies the OS once on mission end when the host gives an OS notifier', async () => {
    const calls: Array<[string, string]> = []
    const osNotifier = {
      notify: async (title: string, message: string) => {
        calls.push([title, message])
      },
    }
    const on = setup({ osNotifier })
    on.bus.emit('mission-seal', { missionId: 'm1', todos: todos(1, 1) })
    on.bus.emit('mission-seal', { missionId: 'm1', todos: todos(1, 1) })
    expect(calls).toEqual([['Mission sealed', 'All 1 todo verified.']])
  })
})

describe('createNotifier recovery notices', () => {
  it('describes a recovery in words, with provider and attempt count', () => {
    const { bus, shown, progress } = setup({ recoveryMaxAttempts: 3 })
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('task-start', {
      task: task('a', 'running', { sessionId: 'child', model: { providerId: 'anthropic', modelId: 'claude' } }),
    })
    bus.emit('recovery-start', {
      sessionId: 'child',
      kind: 'rate-limit',
      action: 'retry',
      reason: '{"error":{"type":"rate_limit_error"}}',
      attempt: 2,
      delayMs: 8000,
    })
    expect(shown.at(-1)).toMatchObject({
      message: 'Rate limited by anthropic — retrying in 8 s (attempt 2/3)',
      variant: 'warning',
    })
    vi.advanceTimersByTime(3000)
    expect(progress().at(-1)?.message).toBe('no todo list yet · 1 worker running · 1 retrying')
    bus.emit('recovery-end', { sessionId: 'child', kind: 'rate-limit', outcome: 'recovered', reason: 'ok' })
    vi.advanceTimersByTime(3000)
    expect(progress().at(-1)?.message).toBe('no todo list yet · 1 worker running')
  })

  it('shows the same recovery line once per interval when many sessions hit it together', () => {
    const { bus, shown } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    const before = shown.length
    for (let index = 0; index < 20; index += 1) {
      bus.emit('recovery-start', {
        missionId: 'm1',
        sessionId: `s${index}`,
        kind: 'overloaded',
        action: 'wait',
        reason: 'overloaded',
        attempt: 1,
        delayMs: 2000,
      })
    }
    const recoveryLines = shown.slice(before).filter((notice) => notice.variant === 'warning')
    expect(recoveryLines.map((notice) => notice.message)).toEqual(['Provider overloaded — waiting for the provider, retrying in 2 s (attempt 1)'])
  })

  it('reports a recovery that gave up, readable and short', () => {
    const { bus, shown } = setup()
    bus.emit('recovery-end', {
      sessionId: 'lonely',
      kind: 'auth',
      outcome: 'gave-up',
      reason: `401 ${'Unauthorized '.repeat(30)}`,
    })
    const notice = shown.at(-1)!
    expect(notice.variant).toBe('error')
    expect(notice.message.startsWith('Recovery gave up — authentication failed: 401 Unauthorized')).toBe(true)
    expect(notice.message.length).toBeLessThanOrEqual(160)
  })
})

describe('createNotifier robustness', () => {
  it('logs a failing toast and never throws into the bus', async () => {
    let calls = 0
    const { bus, logs, listenerErrors } = setup({
      toast: (notice) => {
        calls += 1
        if (notice.variant === 'success') throw new Error('sync boom')
        return Promise.reject(new Error('async boom'))
      },
    })
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('mission-seal', { missionId: 'm1', todos: [] })
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toBe(2)
    expect(listenerErrors).toEqual([])
    expect(logs.filter((entry) => entry.level === 'error').map((entry) => entry.fields.error)).toEqual([
      'sync boom',
      'async boom',
    ])
  })

  it('dispose clears pending timers and stops listening', () => {
    const { bus, notifier, progress } = setup()
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'root', goal: 'g' })
    bus.emit('todo-update', { missionId: 'm1', todos: todos(2, 1) })
    expect(vi.getTimerCount()).toBe(1)
    notifier.dispose()
    notifier.dispose()
    expect(vi.getTimerCount()).toBe(0)
    bus.emit('todo-update', { missionId: 'm1', todos: todos(2, 2) })
    vi.advanceTimersByTime(10_000)
    expect(progress()).toHaveLength(1)
    expect(bus.listenerCount('todo-update')).toBe(0)
  })

  it('rejects a bad progress interval naming the field', () => {
    expect(() => setup({ progressIntervalMs: Number.NaN })).toThrow(/progressIntervalMs must be .* got NaN/)
    let caught: unknown
    try {
      setup({ progressIntervalMs: -1 })
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.hasCode(caught, 'invalid-argument')).toBe(true)
  })
})
