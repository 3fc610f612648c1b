import { describe, expect, it } from 'vitest'
import type { HostEvent, Logger } from '@opencode-orchestrator/core'
import { CONFINED_SESSION_RULES, createOpencodeHost, type OpencodeClient } from './opencode-host'

/*
 * A session in another directory (a Worker's worktree) lives in that directory's OpenCode
 * instance: its status, permission and prompt calls must name the directory
 * (docs/opencode-worktree-facts.md). The host remembers it from `create` and names it on every
 * later call, asks every directory in use for status, warms and releases instances.
 */

const MAIN = '/work/project'
const WORKTREE = '/work/project/.git/orchestrator/worktrees/m1/w1'

interface Call {
  operation: string
  directory: string | undefined
  body?: unknown
}

function fakeClient(options: { statuses?: Record<string, Record<string, unknown>> } = {}) {
  const calls: Call[] = []
  let next = 0
  const ok = <T>(data: T) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
  const record = (operation: string) => (request: { query?: { directory?: string }; body?: unknown; path?: { id: string } } = {}) => {
    calls.push({ operation, directory: request.query?.directory, ...(request.body === undefined ? {} : { body: request.body }) })
    return request
  }
  const client = {
    session: {
      create: (request: { query?: { directory?: string }; body: { title: string; parentID?: string } }) => {
        record('session.create')(request)
        return ok({ id: `ses_${++next}`, title: request.body.title, parentID: request.body.parentID, directory: request.query?.directory })
      },
      get: (request: { path: { id: string }; query?: { directory?: string } }) => {
        record('session.get')(request)
        return ok({ id: request.path.id, title: 'restored', directory: WORKTREE })
      },
      children: (request: { query?: { directory?: string } }) => (record('session.children')(request), ok([])),
      promptAsync: (request: { query?: { directory?: string } }) => (record('session.promptAsync')(request), ok(undefined)),
      abort: (request: { query?: { directory?: string } }) => (record('session.abort')(request), ok(true)),
      delete: (request: { query?: { directory?: string } }) => (record('session.delete')(request), ok(true)),
      messages: (request: { query?: { directory?: string } }) => (record('session.messages')(request), ok([])),
      todo: (request: { query?: { directory?: string } }) => (record('session.todo')(request), ok([])),
      summarize: (request: { query?: { directory?: string } }) => (record('session.summarize')(request), ok(true)),
      status: (request: { query?: { directory?: string } }) => {
        record('session.status')(request)
        return ok(options.statuses?.[request.query?.directory ?? ''] ?? {})
      },
    },
    find: { files: (request: { query?: { directory?: string } }) => (record('find.files')(request), ok([])) },
    tool: { ids: (request: { query?: { directory?: string } }) => (record('tool.ids')(request), ok([])) },
    config: { providers: (request: { query?: { directory?: string } }) => (record('config.providers')(request), ok({ providers: [], default: {} })) },
    instance: { dispose: (request: { query?: { directory?: string } }) => (record('instance.dispose')(request), ok(true)) },
    tui: { showToast: (request: { query?: { directory?: string } }) => (record('tui.showToast')(request), ok(true)) },
  }
  return { client: client as unknown as OpencodeClient, calls }
}

const logger: Logger = { log: () => undefined, child: () => logger }

function setup(options: Parameters<typeof fakeClient>[0] = {}) {
  const { client, calls } = fakeClient(options)
  const claims: string[] = []
  const host = createOpencodeHost({
    client,
    directory: MAIN,
    logger,
    directories: { claim: (directory) => claims.push(`+${directory}`), unclaim: (directory) => claims.push(`-${directory}`) },
  })
  return { host, calls, claims }
}

describe('OpenCode host with sessions in other directories', () => {
  it('creates a session in its directory, claims it first, confines it, and names the directory on every later call', async () => {
    const { host, calls, claims } = setup()
    const session = await host.sessions.create({ title: 'w', parentId: 'ses_root', agent: 'worker', directory: WORKTREE })
    expect(session).toMatchObject({ directory: WORKTREE, parentId: 'ses_root' })
    expect(claims).toEqual([`+${WORKTREE}`])
    expect(calls[0]).toEqual({ operation: 'session.create', directory: WORKTREE, body: expect.objectContaining({ permission: [...CONFINED_SESSION_RULES] }) })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'go' })
    await host.sessions.abort(session.id)
    await host.sessions.messages(session.id, { limit: 2 })
    await host.sessions.todos(session.id)
    await host.sessions.children(session.id)
    await host.sessions.summarize(session.id)
    await host.sessions.delete(session.id)
    expect(calls.slice(1).map((call) => `${call.operation} ${call.directory}`)).toEqual(
      ['session.promptAsync', 'session.abort', 'session.messages', 'session.todo', 'session.children', 'session.summarize', 'session.delete'].map((operation) => `${operation} ${WORKTREE}`),
    )
    expect(host.directoryOf(session.id)).toBe(MAIN)
  })

  it('keeps sessions of the project in the project, without confinement rules', async () => {
    const { host, calls, claims } = setup()
    const session = await host.sessions.create({ title: 'root' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'go' })
    expect(calls.map((call) => call.directory)).toEqual([MAIN, MAIN])
    expect(calls[0]?.body).not.toHaveProperty('permission')
    expect(claims).toEqual([])
  })

  it('asks every directory in use for status and merges the answers', async () => {
    const { host } = setup({ statuses: { [MAIN]: { ses_root: { type: 'busy' } }, [WORKTREE]: { ses_w: { type: 'busy' } } } })
    await host.sessions.create({ title: 'w', directory: WORKTREE })
    expect(await host.sessions.status()).toEqual({ ses_root: { type: 'busy' }, ses_w: { type: 'busy' } })
  })

  it('learns a session’s directory after a restart from OpenCode (get) and from a forwarded session.created event', async () => {
    const { host, calls } = setup()
    await host.sessions.get('ses_old')
    expect(host.directoryOf('ses_old')).toBe(WORKTREE)
    const events: HostEvent[] = []
    host.subscribe((event) => events.push(event))
    host.dispatch({ type: 'session.created', properties: { info: { id: 'ses_new', title: 't', directory: `${WORKTREE}2` } } })
    expect(host.directoryOf('ses_new')).toBe(`${WORKTREE}2`)
    expect(events.map((event) => event.type)).toEqual(['session-create'])
    await host.sessions.abort('ses_new')
    expect(calls.at(-1)).toEqual({ operation: 'session.abort', directory: `${WORKTREE}2` })
  })

  it('warms an instance with the calls that were measured to help, and releases it by disposing the instance', async () => {
    const { host, calls, claims } = setup()
    await host.sessions.warm!(WORKTREE)
    expect(calls.map((call) => `${call.operation} ${call.directory}`)).toEqual([`tool.ids ${WORKTREE}`, `config.providers ${WORKTREE}`, `find.files ${WORKTREE}`])
    const session = await host.sessions.create({ title: 'w', directory: WORKTREE })
    await host.sessions.release!(WORKTREE)
    expect(calls.at(-1)).toEqual({ operation: 'instance.dispose', directory: WORKTREE })
    expect(claims).toEqual([`+${WORKTREE}`, `-${WORKTREE}`])
    expect(host.directoryOf(session.id)).toBe(MAIN)
    // Neither touches the project's own instance.
    await host.sessions.warm!(MAIN)
    await host.sessions.release!(MAIN)
    expect(calls.at(-1)).toEqual({ operation: 'instance.dispose', directory: WORKTREE })
  })
})
