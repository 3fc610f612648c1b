import { OrchestratorError } from '@opencode-orchestrator/core'
import type { HostEvent } from '@opencode-orchestrator/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createFakeClock } from './fake-clock'
import { createFakeHost } from './fake-host'

/** Compact, order-revealing form of an event. */
function label(event: HostEvent): string {
  switch (event.type) {
    case 'session-status':
      return `status:${event.status.type}`
    case 'message-update': {
      const { message } = event
      if (message.role === 'user') return 'message:user'
      if (message.error !== undefined) return `message:assistant:error:${message.error.name}`
      return message.completedAt === undefined ? 'message:assistant:open' : `message:assistant:${message.finish}`
    }
    case 'part-update':
      if (event.part.kind === 'tool') return `tool:${event.part.call.tool}:${event.part.call.status}`
      if (event.part.kind === 'step-finish') return `step-finish:${event.part.reason}`
      return 'text'
    case 'session-error':
      return `error:${event.error.name}`
    case 'todo-update':
      return `todos:${event.todos.length}`
    case 'session-create':
      return 'create'
    case 'session-delete':
      return `delete:${event.sessionId}`
    case 'session-compact':
      return 'compact'
    case 'command-execute':
      return 'command'
  }
}

function setup() {
  const clock = createFakeClock({ start: 1_000 })
  const host = createFakeHost({ clock })
  const seen: HostEvent[] = []
  host.subscribe((event) => seen.push(event))
  const labels = () => seen.map(label)
  return { clock, host, seen, labels }
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected a rejection')
}

describe('createFakeHost', () => {
  it('runs a session in the directory it was created with, and records warm and release', async () => {
    const host = createFakeHost({ directory: '/repo' })
    await host.sessions.warm?.('/repo/.git/orchestrator/worktrees/m/1')
    const session = await host.sessions.create({ title: 'w', agent: 'worker', directory: '/repo/.git/orchestrator/worktrees/m/1' })
    const plain = await host.sessions.create({ title: 'p' })
    await host.sessions.release?.('/repo/.git/orchestrator/worktrees/m/1')
    expect(session.directory).toBe('/repo/.git/orchestrator/worktrees/m/1')
    expect(plain.directory).toBe('/repo')
    expect(host.calls.map((call) => call.method)).toEqual(['warm', 'create', 'create', 'release'])
  })

  it('answers a prompt in OpenCode order, with deterministic ids, on the injected clock', async () => {
    const { clock, host, labels } = setup()
    host.onAgent('worker', { durationMs: 500, reply: 'done', tokens: { input: 100, output: 20 }, cost: 0.01 })
    const session = await host.sessions.create({ title: 'child', agent: 'worker' })
    expect(session.id).toBe('ses_1')

    await host.sessions.promptAsync({ sessionId: session.id, text: 'do it' })
    expect(labels()).toEqual(['create', 'message:user', 'text', 'status:busy'])
    expect(await host.sessions.status()).toEqual({ ses_1: { type: 'busy' } })

    clock.advance(499)
    expect(labels().at(-1)).toBe('message:assistant:open')
    clock.advance(1)
    expect(labels().slice(4)).toEqual([
      'message:assistant:open',
      'text',
      'step-finish:stop',
      'message:assistant:stop',
      'message:assistant:stop',
      'status:busy',
      'status:idle',
    ])
    expect(await host.sessions.status()).toEqual({})
    const messages = await host.sessions.messages(session.id)
    expect(messages.map((message) => [message.id, message.role, message.text])).toEqual([
      ['msg_1', 'user', 'do it'],
      ['msg_2', 'assistant', 'done'],
    ])
    expect(messages[1]).toMatchObject({
      agent: 'worker',
      createdAt: 1_000,
      completedAt: 1_500,
      finish: 'stop',
      tokens: { input: 100, output: 20, reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      cost: 0.01,
      model: { providerId: 'fake', modelId: 'fake-model' },
    })
    expect(host.calls.map((call) => call.method)).toEqual(['create', 'promptAsync', 'status', 'status', 'messages'])
    expect(host.turns).toEqual([{ sessionId: 'ses_1', text: 'do it', agent: 'worker', source: 'prompt', rule: 'agent:worker', at: 1_000 }])
    expect(clock.pending()).toBe(0)
  })

  it('runs tool steps with a transient idle between them: the first idle is not the end', async () => {
    const { clock, host, seen, labels } = setup()
    host.onAgent('worker', {
      steps: [
        { tool: 'bash', input: { command: 'ls' }, output: 'a.txt', durationMs: 100, toolDurationMs: 50, transientIdleMs: 200 },
        { tool: 'read', error: 'no such file', durationMs: 100 },
      ],
      durationMs: 100,
      reply: 'finished',
    })
    const session = await host.sessions.create({ title: 'w', agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'go' })
    clock.advance(150)
    expect(labels().slice(4)).toEqual([
      'message:assistant:open',
      'tool:bash:pending',
      'tool:bash:running',
      'tool:bash:completed',
      'step-finish:tool-calls',
      'message:assistant:tool-calls',
      'message:assistant:tool-calls',
      'status:busy',
      'status:idle',
    ])
    expect(host.isBusy(session.id)).toBe(true)
    clock.advance(200)
    expect(labels().slice(13)).toEqual(['status:busy', 'message:assistant:open'])
    clock.runAll()
    expect(labels().slice(15)).toEqual([
      'tool:read:pending',
      'tool:read:running',
      'tool:read:error',
      'step-finish:tool-calls',
      'message:assistant:tool-calls',
      'message:assistant:tool-calls',
      'status:busy',
      'message:assistant:open',
      'text',
      'step-finish:stop',
      'message:assistant:stop',
      'message:assistant:stop',
      'status:busy',
      'status:idle',
    ])
    const messages = await host.sessions.messages(session.id)
    expect(messages.map((message) => message.finish ?? message.role)).toEqual(['user', 'tool-calls', 'tool-calls', 'stop'])
    expect(messages[1]!.toolCalls).toEqual([
      { callId: 'call_1', tool: 'bash', status: 'completed', input: { command: 'ls' }, output: 'a.txt', startedAt: 1_100, endedAt: 1_150 },
    ])
    expect(messages[2]!.toolCalls[0]).toMatchObject({ tool: 'read', status: 'error', output: 'no such file' })
    expect(clock.now()).toBe(1_550)
    expect(seen.filter((event) => event.type === 'session-status' && event.status.type === 'idle')).toHaveLength(2)
  })

  it('ends a turn with a real-shaped error: session-error, idle, message with error, idle', async () => {
    const { clock, host, labels } = setup()
    const error = {
      name: 'APIError',
      data: { message: 'Rate limit reached', statusCode: 429, isRetryable: true, responseHeaders: { 'retry-after-ms': '2000' } },
    }
    host.script({ match: { text: 'limit' }, turn: { durationMs: 30, error } })
    const session = await host.sessions.create({ title: 'e' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'hit the limit' })
    clock.advance(30)
    expect(labels().slice(4)).toEqual([
      'message:assistant:open',
      'error:APIError',
      'status:idle',
      'message:assistant:error:APIError',
      'status:idle',
    ])
    const [, assistant] = await host.sessions.messages(session.id)
    expect(assistant!.error).toEqual(error)
    expect(assistant!.finish).toBeUndefined()
    expect(assistant!.completedAt).toBe(1_030)
  })

  it('reports host retries as retry statuses with the next attempt time', async () => {
    const { clock, host, seen } = setup()
    host.onAgent('worker', { retries: [{ delayMs: 2_000, message: 'Overloaded' }, { afterMs: 100, delayMs: 4_000 }], durationMs: 10, reply: 'ok' })
    const session = await host.sessions.create({ title: 'r', agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'x' })
    clock.advance(0)
    expect(await host.sessions.status()).toEqual({ ses_1: { type: 'retry', attempt: 1, message: 'Overloaded', nextAt: 3_000 } })
    clock.runAll()
    const statuses = seen.flatMap((event) => (event.type === 'session-status' ? [event.status] : []))
    expect(statuses).toEqual([
      { type: 'busy' },
      { type: 'retry', attempt: 1, message: 'Overloaded', nextAt: 3_000 },
      { type: 'busy' },
      { type: 'retry', attempt: 2, message: 'Rate limit reached', nextAt: 7_100 },
      { type: 'busy' },
      { type: 'busy' },
      { type: 'idle' },
    ])
    expect(clock.now()).toBe(7_110)
  })

  it('abort stops the turn at once, fails running tools, and leaves no timer behind', async () => {
    const { clock, host, labels } = setup()
    host.onAgent('worker', { steps: [{ tool: 'bash', durationMs: 10, toolDurationMs: 60_000 }], reply: 'never' })
    const session = await host.sessions.create({ title: 'a', agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'long' })
    clock.advance(20)
    expect(clock.pending()).toBe(1)
    const before = labels().length
    await host.sessions.abort(session.id)
    expect(labels().slice(before)).toEqual([
      'tool:bash:error',
      'error:MessageAbortedError',
      'status:idle',
      'message:assistant:error:MessageAbortedError',
      'status:idle',
    ])
    expect(clock.pending()).toBe(0)
    expect(host.isBusy(session.id)).toBe(false)
    const [, assistant] = await host.sessions.messages(session.id)
    expect(assistant!.error).toEqual({ name: 'MessageAbortedError', data: { message: 'Aborted' } })
    expect(assistant!.toolCalls[0]).toMatchObject({ status: 'error', output: 'Tool execution aborted' })
    // Aborting an idle session only repeats the idle status (as OpenCode 1.18.33 does).
    await host.sessions.abort(session.id)
    expect(labels().slice(before + 5)).toEqual(['status:idle'])
  })

  it('a hanging turn runs until aborted, and abort also drops queued prompts', async () => {
    const { clock, host } = setup()
    host.onAgent('worker', { hang: true })
    const session = await host.sessions.create({ title: 'h', agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'one' })
    clock.advance(0)
    await host.sessions.promptAsync({ sessionId: session.id, text: 'two' })
    clock.advance(3_600_000)
    expect(host.isBusy(session.id)).toBe(true)
    expect(clock.pending()).toBe(0)
    await host.sessions.abort(session.id)
    clock.runAll()
    const messages = await host.sessions.messages(session.id)
    expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user'])
    expect(host.isBusy(session.id)).toBe(false)
  })

  it('queues a prompt sent while busy and answers it after the current turn without going idle', async () => {
    const { clock, host, labels } = setup()
    host.script({ match: { text: 'first' }, turn: { durationMs: 100, reply: 'A' } })
    host.script({ match: { text: 'second' }, turn: { durationMs: 100, reply: 'B' } })
    const session = await host.sessions.create({ title: 'q' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'first' })
    clock.advance(50)
    await host.sessions.promptAsync({ sessionId: session.id, text: 'second' })
    clock.runAll()
    const order = labels()
    expect(order.filter((entry) => entry === 'status:idle')).toHaveLength(1)
    expect(order.at(-1)).toBe('status:idle')
    const messages = await host.sessions.messages(session.id)
    expect(messages.map((message) => `${message.role}:${message.text}`)).toEqual(['user:first', 'assistant:A', 'user:second', 'assistant:B'])
    expect(messages[3]!.completedAt).toBe(1_200)
  })

  it('can deliver the idle before the final message update', async () => {
    const { clock, host, labels } = setup()
    host.onAgent('worker', { reply: 'late', order: 'idle-then-message' })
    const session = await host.sessions.create({ title: 'o', agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'x' })
    clock.runAll()
    expect(labels().slice(-6)).toEqual(['text', 'step-finish:stop', 'status:idle', 'message:assistant:stop', 'message:assistant:stop', 'status:idle'])
  })

  it('emits todo updates from steps and keeps them for todos()', async () => {
    const { clock, host, labels } = setup()
    host.onAgent('planner', {
      steps: [{ tool: 'todowrite', todos: [{ content: 'plan', status: 'in_progress', priority: 'high' }, { id: 'x', content: 'build', status: 'pending' }] }],
      reply: 'planned',
    })
    const session = await host.sessions.create({ title: 'p', agent: 'planner' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'plan' })
    clock.runAll()
    expect(labels()).toContain('todos:2')
    expect(labels().indexOf('todos:2')).toBe(labels().indexOf('tool:todowrite:pending') + 1)
    expect(await host.sessions.todos(session.id)).toEqual([
      { id: '1', content: 'plan', status: 'in_progress', priority: 'high' },
      { id: 'x', content: 'build', status: 'pending' },
    ])
    host.setTodos(session.id, [])
    expect(await host.sessions.todos(session.id)).toEqual([])
  })

  it('throws not-implemented for unscripted prompts and summarize, host-failed for unknown sessions', async () => {
    const { host } = setup()
    const session = await host.sessions.create({ title: 'x', agent: 'reviewer' })
    const unscripted = await caught(host.sessions.promptAsync({ sessionId: session.id, text: 'review' }))
    expect(OrchestratorError.hasCode(unscripted, 'not-implemented')).toBe(true)
    expect((unscripted as Error).message).toContain('agent reviewer')
    expect(host.calls.at(-1)?.method).toBe('promptAsync')
    expect(OrchestratorError.hasCode(await caught(host.sessions.summarize(session.id)), 'not-implemented')).toBe(true)
    expect(OrchestratorError.hasCode(await caught(host.sessions.promptAsync({ sessionId: 'ses_404', text: 'x' })), 'host-failed')).toBe(true)
    expect(OrchestratorError.hasCode(await caught(host.sessions.create({ title: 'orphan', parentId: 'ses_404' })), 'host-failed')).toBe(true)
    expect(await host.sessions.get('ses_404')).toBeUndefined()
    expect(() => host.script({ turn: [] })).toThrow(/empty array/)
  })

  it('matches rules by session, parent, text and predicate; sequences advance; once expires', async () => {
    const { clock, host } = setup()
    const root = host.addSession({ title: 'root' })
    const child = await host.sessions.create({ title: 'c', parentId: root.id, agent: 'worker' })
    host.script({ name: 'root', match: { sessionId: root.id }, turn: { reply: 'root answer' } })
    host.script({ name: 'seq', match: { parentId: root.id, text: /^step/ }, turn: [{ reply: 'one' }, { reply: 'two' }], once: true })
    host.script({ name: 'fn', match: { predicate: (prompt) => prompt.promptNumber >= 3 }, turn: (prompt) => ({ reply: `#${prompt.promptNumber} ${prompt.text}` }) })
    for (const text of ['step a', 'step b', 'step c']) {
      await host.sessions.promptAsync({ sessionId: child.id, text })
      clock.runAll()
    }
    await host.sessions.promptAsync({ sessionId: root.id, text: 'hi' })
    clock.runAll()
    expect(host.turns.map((turn) => turn.rule)).toEqual(['seq', 'seq', 'fn', 'root'])
    const texts = (await host.sessions.messages(child.id)).filter((message) => message.role === 'assistant').map((message) => message.text)
    expect(texts).toEqual(['one', 'two', '#3 step c'])
    expect((await host.sessions.children(root.id)).map((session) => session.id)).toEqual([child.id])
    // addSession is not a call of the code under test.
    expect(host.calls.filter((call) => call.method === 'create')).toHaveLength(1)
  })

  it('a listener may prompt again from the idle event (continuation loops)', async () => {
    const { clock, host } = setup()
    host.onAgent('commander', (prompt) => ({ reply: `turn ${prompt.promptNumber}` }))
    const session = await host.sessions.create({ title: 'loop', agent: 'commander' })
    let continuations = 0
    host.subscribe((event) => {
      if (event.type === 'session-status' && event.status.type === 'idle' && continuations < 3) {
        continuations++
        void host.sessions.promptAsync({ sessionId: session.id, text: 'continue' })
      }
    })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'start' })
    clock.runAll()
    const texts = (await host.sessions.messages(session.id)).filter((message) => message.role === 'assistant').map((message) => message.text)
    expect(texts).toEqual(['turn 1', 'turn 2', 'turn 3', 'turn 4'])
  })

  it('userPrompt runs a turn without recording a call; delete removes children first', async () => {
    const { clock, host, labels } = setup()
    host.script({ match: { predicate: (prompt) => prompt.source === 'user' }, turn: { reply: 'hello human', hang: false } })
    const root = host.addSession({ title: 'root' })
    host.userPrompt({ sessionId: root.id, text: 'hi' })
    clock.runAll()
    expect(host.calls).toHaveLength(0)
    expect(host.turns[0]?.source).toBe('user')
    const child = await host.sessions.create({ title: 'c', parentId: root.id })
    await host.sessions.delete(root.id)
    expect(labels().slice(-2)).toEqual([`delete:${child.id}`, `delete:${root.id}`])
    expect(await host.sessions.get(root.id)).toBeUndefined()
  })

  it('summarize, once scripted, compacts on the clock', async () => {
    const { clock, host, labels } = setup()
    host.onSummarize({ durationMs: 300 })
    const session = await host.sessions.create({ title: 's' })
    let done = false
    const pending = host.sessions.summarize(session.id).then(() => (done = true))
    clock.advance(299)
    await Promise.resolve()
    expect(done).toBe(false)
    clock.advance(1)
    await pending
    expect(labels().slice(-3)).toEqual(['status:busy', 'compact', 'status:idle'])
  })

  it('records toasts and rethrows listener errors after every listener ran', async () => {
    const { host } = setup()
    await host.toast({ message: 'hello', variant: 'info' })
    expect(host.toasts).toEqual([{ message: 'hello', variant: 'info' }])
    const seen: string[] = []
    host.subscribe(() => {
      throw new Error('listener bug')
    })
    host.subscribe((event) => seen.push(event.type))
    await expect(host.sessions.create({ title: 'x' })).rejects.toThrow('listener bug')
    expect(seen).toEqual(['session-create'])
  })

  describe('with vitest fake timers and the default clock', () => {
    afterEach(() => {
      vi.useRealTimers()
    })

    it('progresses on vi.advanceTimersByTime', async () => {
      vi.useFakeTimers()
      const host = createFakeHost()
      host.onAgent('worker', { durationMs: 1_000, reply: 'done' })
      const session = await host.sessions.create({ title: 'v', agent: 'worker' })
      await host.sessions.promptAsync({ sessionId: session.id, text: 'x' })
      vi.advanceTimersByTime(999)
      expect(host.isBusy(session.id)).toBe(true)
      vi.advanceTimersByTime(1)
      expect(host.isBusy(session.id)).toBe(false)
      expect(vi.getTimerCount()).toBe(0)
    })
  })

  it('simulates thousands of sessions deterministically', async () => {
    const clock = createFakeClock()
    const host = createFakeHost({ clock, recordEvents: false })
    let idles = 0
    host.subscribe((event) => {
      if (event.type === 'session-status' && event.status.type === 'idle') idles++
    })
    host.onAgent('worker', (prompt) => ({
      steps: [{ tool: 'bash', durationMs: (prompt.text.length * 37) % 500 }],
      durationMs: 100,
      reply: prompt.text,
    }))
    const sessionIds: string[] = []
    for (let index = 0; index < 2_000; index++) {
      const session = await host.sessions.create({ title: `s${index}`, agent: 'worker' })
      sessionIds.push(session.id)
      await host.sessions.promptAsync({ sessionId: session.id, text: `task ${index}` })
    }
    clock.runAll()
    expect(idles).toBe(2_000)
    expect(await host.sessions.status()).toEqual({})
    const last = await host.sessions.messages(sessionIds.at(-1)!)
    expect(last.at(-1)?.text).toBe('task 1999')
    expect(host.events).toHaveLength(0)
  })
})
