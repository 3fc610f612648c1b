import { createSequentialIds, systemClock, type HostEvent } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createInProcessHost, type Agent } from './in-process-host'

function setup(agents: Record<string, Agent>) {
  const host = createInProcessHost({ agents, clock: systemClock, ids: createSequentialIds() })
  const events: HostEvent[] = []
  host.subscribe((event) => events.push(event))
  /** `user`, `busy`, `assistant:stop`, `idle`, … for the session's events. */
  const trace = (sessionId: string) =>
    events.flatMap((event) => {
      if (event.type === 'session-status' && event.sessionId === sessionId) return [event.status.type]
      if (event.type === 'session-error' && event.sessionId === sessionId) return [`error:${event.error.name}`]
      if (event.type === 'message-update' && event.message.sessionId === sessionId) {
        const { role, finish, error } = event.message
        return [role === 'user' ? 'user' : `assistant:${error ? error.name : finish}`]
      }
      return []
    })
  const idle = (sessionId: string) =>
    new Promise<void>((resolve) => {
      const stop = host.subscribe((event) => {
        if (event.type === 'session-status' && event.sessionId === sessionId && event.status.type === 'idle') {
          stop()
          resolve()
        }
      })
    })
  return { host, events, trace, idle }
}

describe('createInProcessHost', () => {
  it('emits a turn in OpenCode\'s order, one assistant message per step', async () => {
    let calls = 0
    const { host, trace, idle } = setup({
      async echo({ text }) {
        calls++
        return calls === 1 ? { actions: [{ tool: 'note', input: { text }, run: () => 'noted' }] } : { text: `echo: ${text}` }
      },
    })
    const session = await host.sessions.create({ title: 'echo', agent: 'echo' })
    const done = idle(session.id)
    const accepted = host.sessions.promptAsync({ sessionId: session.id, text: 'hi' })
    expect(trace(session.id)).toEqual([]) // the turn starts after promptAsync has returned
    await accepted
    await done

    expect(trace(session.id)).toEqual(['user', 'busy', 'assistant:tool-calls', 'assistant:stop', 'idle'])
    const messages = await host.sessions.messages(session.id)
    expect(messages.at(-1)).toMatchObject({ role: 'assistant', text: 'echo: hi', finish: 'stop' })
    expect(messages.at(-1)?.completedAt).toBeTypeOf('number')
    expect(messages[1]?.toolCalls).toMatchObject([{ tool: 'note', status: 'completed', output: 'noted' }])
  })

  it('aborts a running turn through its AbortSignal, in the host error shape', async () => {
    let seen: AbortSignal | undefined
    const { host, trace } = setup({
      slow: ({ signal }) =>
        new Promise((_, reject) => {
          seen = signal
          signal.addEventListener('abort', () => reject(new Error('cancelled')))
        }),
    })
    const session = await host.sessions.create({ title: 'slow', agent: 'slow' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'work' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(await host.sessions.status()).toEqual({ [session.id]: { type: 'busy' } })

    await host.sessions.abort(session.id)

    expect(seen?.aborted).toBe(true)
    expect(trace(session.id)).toEqual(['user', 'busy', 'assistant:MessageAbortedError', 'error:MessageAbortedError', 'idle'])
    expect((await host.sessions.messages(session.id)).at(-1)?.error).toEqual({ name: 'MessageAbortedError', data: { message: 'The operation was aborted.' } })
    expect(await host.sessions.status()).toEqual({})
  })

  it('refuses unknown agents, naming the known ones', async () => {
    const { host } = setup({ commander: async () => ({ text: 'ok' }) })
    await expect(host.sessions.create({ title: 'x', agent: 'comander' })).rejects.toThrow(/no agent 'comander'; pass one of: commander/)
  })

  it('lists children and deletes a session with its children', async () => {
    const { host, events } = setup({ commander: async () => ({ text: 'ok' }) })
    const root = await host.sessions.create({ title: 'root', agent: 'commander' })
    const child = await host.sessions.create({ title: 'child', agent: 'commander', parentId: root.id })
    expect(await host.sessions.children(root.id)).toEqual([child])

    await host.sessions.delete(root.id)

    expect(events.filter((event) => event.type === 'session-delete')).toEqual([
      { type: 'session-delete', sessionId: child.id },
      { type: 'session-delete', sessionId: root.id },
    ])
    expect(await host.sessions.get(root.id)).toBeUndefined()
  })
})
