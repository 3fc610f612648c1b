import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { OrchestratorError } from './orchestrator-error'
import { createLogger, systemClock } from './ports'
import type { LogLevel } from './ports'
import { createScheduler } from './scheduler'
import type { DispatchGate, SchedulerOptions, SchedulerRequest, SchedulerTicket } from './scheduler'
import type { TaskDispatcher } from './task-dispatcher'

let logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }>

function scheduler(options: Partial<SchedulerOptions> = {}) {
  return createScheduler({ clock: systemClock, logger: createLogger((entry) => logs.push(entry)), ...options })
}

let counter = 0
function request(overrides: Partial<SchedulerRequest> = {}): SchedulerRequest {
  counter++
  return { taskId: `task_${counter}`, missionId: 'm1', parentSessionId: 'root', agent: 'worker', depth: 1, ...overrides }
}

/** Lets promise callbacks run. */
const settle = () => new Promise<void>((resolve) => queueMicrotask(resolve))

function track(ticket: SchedulerTicket, log: string[]) {
  ticket.granted.then(
    () => log.push(ticket.taskId),
    () => {},
  )
  return ticket
}

async function finish(ticket: SchedulerTicket): Promise<boolean> {
  return (await ticket.granted).release()
}

async function rejection(ticket: SchedulerTicket): Promise<OrchestratorError> {
  const error = await ticket.granted.then(
    () => undefined,
    (reason: unknown) => reason,
  )
  if (!OrchestratorError.isInstance(error)) throw new Error(`expected an OrchestratorError, got ${String(error)}`)
  return error
}

beforeEach(() => {
  vi.useFakeTimers()
  logs = []
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createScheduler: limits', () => {
  it('grants at once while there is room and queues beyond the key limit', async () => {
    const s = scheduler({ limits: { agents: { worker: 2 } } })
    const a = s.request(request())
    const b = s.request(request())
    const c = s.request(request())
    expect([a.status, b.status, c.status]).toEqual(['running', 'running', 'queued'])
    expect(a.key).toBe('agent:worker')
    expect((await a.granted).taskId).toBe(a.taskId)
    expect(s.stats().keys['agent:worker']).toEqual({ running: 2, queued: 1, limit: 2 })
    ;(await a.granted).release()
    expect(c.status).toBe('running')
  })

  it('counts model, provider, agent and default keys separately (most specific configured key wins)', () => {
    const s = scheduler({
      limits: { default: 1, agents: { worker: 1 }, providers: { anthropic: 1 }, models: { 'anthropic/opus': 1 } },
    })
    const opus = { providerId: 'anthropic', modelId: 'opus' }
    const haiku = { providerId: 'Anthropic', modelId: 'haiku' }
    const tickets = [
      s.request(request({ model: opus })),
      s.request(request({ model: haiku })),
      s.request(request({ agent: 'Worker' })),
      s.request(request({ agent: 'planner' })),
    ]
    expect(tickets.map((ticket) => [ticket.key, ticket.status])).toEqual([
      ['model:anthropic/opus', 'running'],
      ['provider:anthropic', 'running'],
      ['agent:worker', 'running'],
      ['default', 'running'],
    ])
    // Each key is now full.
    expect(s.request(request({ model: opus })).status).toBe('queued')
    expect(s.request(request({ model: { providerId: 'anthropic', modelId: 'sonnet' } })).status).toBe('queued')
    expect(s.request(request({ agent: 'WORKER' })).status).toBe('queued')
    expect(s.request(request({ agent: 'reviewer' })).status).toBe('queued')
    expect(s.keyFor({ agent: 'reviewer' })).toEqual({ key: 'default', limit: 1 })
  })

  it('treats 0 as unlimited for a key', () => {
    const s = scheduler({ limits: { default: 0, global: 0 } })
    const tickets = Array.from({ length: 120 }, (_, index) => s.request(request({ parentSessionId: `p${index}` })))
    expect(tickets.every((ticket) => ticket.status === 'running')).toBe(true)
  })

  it('enforces the global cap across keys (default 50)', () => {
    const s = scheduler({ missionLimits: { maxBreadth: 100 } })
    const tickets = Array.from({ length: 52 }, (_, index) => s.request(request({ agent: index % 2 ? 'planner' : 'worker' })))
    expect(tickets.filter((ticket) => ticket.status === 'running')).toHaveLength(50)
    expect(s.stats()).toMatchObject({ running: 50, queued: 2, limit: 50 })
  })

  it('rejects bad limits with the config path', () => {
    expect(() => scheduler({ limits: { global: -1 } })).toThrowError(/concurrency\.global: got -1/)
    expect(() => scheduler({ missionLimits: { maxDepth: 0 } })).toThrowError(/budgets\.maxDepth: got 0, expected a whole number ≥ 1/)
  })
})

describe('createScheduler: order', () => {
  it('serves higher priority first and FIFO within a priority', async () => {
    const s = scheduler({ limits: { global: 1 } })
    const order: string[] = []
    const first = s.request(request())
    const low1 = track(s.request(request({ taskId: 'low1', priority: 0 })), order)
    const high1 = track(s.request(request({ taskId: 'high1', priority: 5 })), order)
    const low2 = track(s.request(request({ taskId: 'low2', priority: 0 })), order)
    const high2 = track(s.request(request({ taskId: 'high2', priority: 5 })), order)
    const tickets = [first, high1, high2, low1, low2]
    for (const ticket of tickets) {
      ticket.cancel('done')
      await settle()
    }
    expect(order).toEqual(['high1', 'high2', 'low1', 'low2'])
  })

  it('shares slots fairly: the mission with the fewest running slots goes next', async () => {
    const s = scheduler({ limits: { agents: { worker: 3 } }, missionLimits: { maxBreadth: 20 } })
    const a = [1, 2, 3, 4, 5].map((n) => s.request(request({ taskId: `a${n}`, missionId: 'A' })))
    const b = [1, 2].map((n) => s.request(request({ taskId: `b${n}`, missionId: 'B', parentSessionId: 'other' })))
    expect(a.map((ticket) => ticket.status)).toEqual(['running', 'running', 'running', 'queued', 'queued'])
    // A holds 3 slots, B none: B's first request goes before A's older ones.
    await finish(a[0]!)
    expect(b[0]!.status).toBe('running')
    expect(a[3]!.status).toBe('queued')
    // A 2 running, B 1 after the next release: a tie, so arrival order decides (a4 is older than b2).
    await finish(a[1]!)
    expect(a[3]!.status).toBe('running')
    expect(b[1]!.status).toBe('queued')
    // A 2, B 0: B's younger request goes before A's older one again.
    await finish(b[0]!)
    expect(b[1]!.status).toBe('running')
    expect(a[4]!.status).toBe('queued')
    expect(s.stats().missions).toEqual({ A: { running: 2, queued: 1 }, B: { running: 1, queued: 0 } })
  })

  it('breaks fairness ties by arrival order', async () => {
    const s = scheduler({ limits: { global: 1 } })
    const holder = s.request(request({ missionId: 'C' }))
    const b = s.request(request({ missionId: 'B' }))
    const a = s.request(request({ missionId: 'A' }))
    await finish(holder)
    expect([b.status, a.status]).toEqual(['running', 'queued'])
  })
})

describe('createScheduler: release and cancel', () => {
  it('frees a slot exactly once, whatever mix of release and cancel is called', async () => {
    const s = scheduler({ limits: { agents: { worker: 1 } } })
    const a = s.request(request())
    const lease = await a.granted
    const waiting = [s.request(request()), s.request(request())]
    expect(a.cancel('stop')).toBe(true)
    expect(a.status).toBe('cancelled')
    expect(waiting[0]!.status).toBe('running')
    // A second end of the same ticket must not free another slot.
    expect(a.cancel('again')).toBe(false)
    expect(lease.release()).toBe(false)
    expect(waiting[1]!.status).toBe('queued')
    expect(s.stats()).toMatchObject({ running: 1, queued: 1 })
  })

  it('makes release idempotent', async () => {
    const s = scheduler({ limits: { agents: { worker: 1 } } })
    const lease = await s.request(request()).granted
    const next = s.request(request())
    const third = s.request(request())
    expect(lease.release()).toBe(true)
    expect(lease.release()).toBe(false)
    expect(lease.status).toBe('released')
    expect(next.status).toBe('running')
    expect(third.status).toBe('queued')
  })

  it('rejects a cancelled queued request with task-cancelled and keeps its place free', async () => {
    const s = scheduler({ limits: { agents: { worker: 1 } } })
    const running = s.request(request())
    const queued = s.request(request())
    const after = s.request(request())
    expect(queued.cancel('user pressed stop')).toBe(true)
    const error = await rejection(queued)
    expect(error.code).toBe('task-cancelled')
    expect(error.message).toContain('user pressed stop')
    expect(s.stats()).toMatchObject({ running: 1, queued: 1 })
    running.cancel()
    expect(after.status).toBe('running')
  })

  it('cancels a whole mission, queued requests first so they never start', async () => {
    const s = scheduler({ limits: { agents: { worker: 2 } } })
    const started: string[] = []
    const mine = [1, 2, 3, 4].map((n) => track(s.request(request({ taskId: `mine${n}` })), started))
    const other = track(s.request(request({ taskId: 'other', missionId: 'm2', parentSessionId: 'p2' })), started)
    expect(s.cancelMission('m1', '/stop')).toBe(4)
    await settle()
    expect(started).toEqual(['mine1', 'mine2', 'other'])
    expect(mine.map((ticket) => ticket.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled'])
    expect(other.status).toBe('running')
    expect(s.get('other')).toBe(other)
    expect(s.get('mine1')).toBeUndefined()
  })

  it('refuses a second live request with the same task id', () => {
    const s = scheduler()
    s.request(request({ taskId: 'dup' }))
    expect(() => s.request(request({ taskId: 'dup' }))).toThrowError(/taskId: got "dup"/)
  })

  it('names the bad field of a malformed request', () => {
    const s = scheduler()
    expect(() => s.request(request({ agent: '' }))).toThrowError(/agent: got "", expected a non-empty string/)
    expect(() => s.request(request({ depth: 1.5 }))).toThrowError(/depth: got 1.5/)
    expect(() => s.request(request({ priority: Number.NaN }))).toThrowError(/priority/)
  })
})

describe('createScheduler: timeouts', () => {
  it('fails a request that waits too long with a clear acquire-timeout error', async () => {
    const s = scheduler({ limits: { models: { 'openai/gpt-5': 1 }, acquireTimeoutMs: 1000 } })
    const model = { providerId: 'openai', modelId: 'gpt-5' }
    s.request(request({ model }))
    const waiting = s.request(request({ model }))
    vi.advanceTimersByTime(999)
    expect(waiting.status).toBe('queued')
    vi.advanceTimersByTime(1)
    expect(waiting.status).toBe('timed-out')
    const error = await rejection(waiting)
    expect(error.code).toBe('acquire-timeout')
    expect(error.message).toContain('waited 1000 ms')
    expect(error.message).toContain('concurrency.models["openai/gpt-5"]')
    expect(error.message).toContain('concurrency.acquireTimeoutMs')
    expect(error.details).toMatchObject({ key: 'model:openai/gpt-5', keyLimit: 1, keyRunning: 1 })
    expect(s.stats().queued).toBe(0)
    expect(logs.some((entry) => entry.level === 'warn')).toBe(true)
  })

  it('keeps a request queued for an acquireTimeoutMs beyond the 32-bit timer range (3e9 ms), then times it out', async () => {
    const s = scheduler({ limits: { models: { 'openai/gpt-5': 1 }, acquireTimeoutMs: 3e9 } })
    const model = { providerId: 'openai', modelId: 'gpt-5' }
    s.request(request({ model }))
    const waiting = s.request(request({ model }))
    vi.advanceTimersByTime(1_000)
    expect(waiting.status).toBe('queued')
    vi.advanceTimersByTime(3e9 - 1_001)
    expect(waiting.status).toBe('queued')
    vi.advanceTimersByTime(1)
    expect(waiting.status).toBe('timed-out')
    expect((await rejection(waiting)).code).toBe('acquire-timeout')
  })

  it('uses the per-request timeout and clears timers of granted requests', async () => {
    const s = scheduler({ limits: { agents: { worker: 1 } } })
    const first = s.request(request())
    const second = s.request(request({ acquireTimeoutMs: 50 }))
    const third = s.request(request({ acquireTimeoutMs: 0 }))
    expect(vi.getTimerCount()).toBe(1)
    await finish(first)
    expect(second.status).toBe('running')
    // The granted request's timer is gone; the third waits forever.
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(10_000_000)
    expect(third.status).toBe('queued')
  })
})

describe('createScheduler: mission limits', () => {
  it('refuses a request deeper than maxDepth, naming the limit and the config path', () => {
    const s = scheduler({ missionLimits: { maxDepth: 2 } })
    expect(s.request(request({ depth: 2 })).status).toBe('running')
    try {
      s.request(request({ taskId: 'deep', depth: 3 }))
      expect.unreachable()
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'limit-exceeded')).toBe(true)
      const orchestratorError = error as OrchestratorError
      expect(orchestratorError.details).toMatchObject({ limit: 'depth', value: 3, max: 2 })
      expect(orchestratorError.message).toContain('depth limit is 2')
      expect(orchestratorError.message).toContain('budgets.maxDepth')
    }
    expect(s.get('deep')).toBeUndefined()
  })

  it('limits live tasks per parent session and counts queued ones too', () => {
    const s = scheduler({ limits: { agents: { worker: 1 } }, missionLimits: { maxBreadth: 3 } })
    const tickets = [s.request(request()), s.request(request()), s.request(request())]
    expect(tickets.map((ticket) => ticket.status)).toEqual(['running', 'queued', 'queued'])
    let caught: unknown
    try {
      s.request(request())
    } catch (error) {
      caught = error
    }
    expect(OrchestratorError.hasCode(caught, 'limit-exceeded')).toBe(true)
    expect((caught as OrchestratorError).details).toMatchObject({ limit: 'breadth', value: 4, max: 3 })
    expect((caught as OrchestratorError).message).toContain('budgets.maxBreadth')
    // Another parent has its own breadth.
    expect(s.request(request({ parentSessionId: 'child' })).status).toBe('queued')
    // Ending a queued task frees breadth.
    tickets[2]!.cancel()
    expect(s.request(request()).status).toBe('queued')
  })
})

describe('createScheduler: dispatch gate', () => {
  it('keeps a refused request queued and asks again after retryInMs', () => {
    let open = false
    const seen: string[] = []
    const gate: DispatchGate = (gateRequest) => {
      seen.push(`${gateRequest.taskId}@${gateRequest.key}`)
      return open ? { allowed: true } : { allowed: false, retryInMs: 500, reason: 'circuit open for anthropic' }
    }
    const s = scheduler({ gate })
    const ticket = s.request(request({ model: { providerId: 'anthropic', modelId: 'x' } }))
    expect(ticket.status).toBe('queued')
    expect(s.stats()).toMatchObject({ running: 0, queued: 1 })
    expect(seen).toEqual([`${ticket.taskId}@default`])
    vi.advanceTimersByTime(499)
    expect(seen).toHaveLength(1)
    open = true
    vi.advanceTimersByTime(1)
    expect(seen).toHaveLength(2)
    expect(ticket.status).toBe('running')
  })

  it('lets other requests of the same key pass while one is held back, then restores arrival order', async () => {
    const blocked = new Set(['bad'])
    const s = scheduler({
      limits: { agents: { worker: 1 } },
      gate: (gateRequest) =>
        blocked.has(gateRequest.model?.providerId ?? '') ? { allowed: false, retryInMs: 100, reason: 'breaker' } : { allowed: true },
    })
    const holder = s.request(request())
    const bad = s.request(request({ model: { providerId: 'bad', modelId: 'm' } }))
    const good1 = s.request(request())
    const good2 = s.request(request())
    await finish(holder)
    // `bad` was first in line but is held back; `good1` takes the slot.
    expect([bad.status, good1.status, good2.status]).toEqual(['queued', 'running', 'queued'])
    blocked.clear()
    vi.advanceTimersByTime(100)
    await finish(good1)
    // Back in the queue in arrival order: `bad` is ahead of `good2`.
    expect([bad.status, good2.status]).toEqual(['running', 'queued'])
  })

  it('times out a request the gate keeps refusing, quoting the gate reason', async () => {
    const s = scheduler({
      limits: { acquireTimeoutMs: 1000 },
      gate: () => ({ allowed: false, retryInMs: 300, reason: 'circuit open for openai' }),
    })
    const ticket = s.request(request())
    vi.advanceTimersByTime(1000)
    const error = await rejection(ticket)
    expect(error.code).toBe('acquire-timeout')
    expect(error.message).toContain('circuit open for openai')
    expect(vi.getTimerCount()).toBe(0)
  })

  it('fails the request and logs when the gate throws or answers nonsense', async () => {
    const s = scheduler({
      gate: (gateRequest) => {
        if (gateRequest.agent === 'planner') throw new Error('breaker exploded')
        return { allowed: false, retryInMs: Number.NaN, reason: 'x' }
      },
    })
    const planner = s.request(request({ agent: 'planner' }))
    expect(planner.status).toBe('failed')
    await expect(planner.granted).rejects.toThrowError('breaker exploded')
    const worker = s.request(request())
    expect((await rejection(worker)).code).toBe('invalid-argument')
    expect(logs.filter((entry) => entry.level === 'error')).toHaveLength(2)
    expect(s.stats()).toMatchObject({ running: 0, queued: 0 })
  })
})

describe('createScheduler: dispose', () => {
  it('rejects everything queued, clears timers and refuses new requests', async () => {
    const s = scheduler({
      limits: { agents: { worker: 1 } },
      gate: (gateRequest) => (gateRequest.priority === 9 ? { allowed: false, retryInMs: 1000, reason: 'held' } : { allowed: true }),
    })
    const running = s.request(request())
    const queued = s.request(request())
    const parked = s.request(request({ agent: 'planner', priority: 9 }))
    expect(vi.getTimerCount()).toBe(3)
    s.dispose()
    expect((await rejection(queued)).code).toBe('task-cancelled')
    expect((await rejection(parked)).code).toBe('task-cancelled')
    expect(vi.getTimerCount()).toBe(0)
    expect(running.status).toBe('running')
    expect(() => s.request(request())).toThrowError(/disposed/)
    expect(running.cancel()).toBe(true)
    expect(s.stats()).toMatchObject({ running: 0, queued: 0, keys: {}, missions: {} })
  })
})

describe('createScheduler: fits the mission engine', () => {
  it('is a TaskDispatcher', async () => {
    const dispatcher: TaskDispatcher = scheduler({ limits: { agents: { worker: 1 } } })
    const base = { missionId: 'm1', agent: 'worker', priority: 0, depth: 1, parentSessionId: 'root' }
    const first = dispatcher.request({ taskId: 'x1', ...base })
    const second = dispatcher.request({ taskId: 'x2', ...base })
    ;(await first.granted).release()
    await expect(second.granted).resolves.toBeDefined()
  })
})
