import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { HostEvent } from '@opencode-orchestrator/core'
import { toHostMessage, translateEvent } from './event-translation'

/*
 * The translation runs on events recorded from a real `opencode serve`
 * (`pnpm --filter @opencode-orchestrator/opencode capture-fixtures`), never on
 * hand-written shapes: the predecessor's recovery read `error.message` where
 * OpenCode puts the text in `data.message`, and its tests never noticed.
 */

interface Fixtures {
  opencodeVersion: string
  sessions: { parent: string; child: string }
  events: Array<{ shape: string; event: { type: string; properties: unknown } }>
  childMessages: Array<{ info: unknown; parts: unknown[] }>
}

const fixtures = JSON.parse(readFileSync(new URL('../__fixtures__/opencode-events.json', import.meta.url), 'utf8')) as Fixtures
const { parent, child } = fixtures.sessions

const translatedOf = (shape: string): HostEvent[] =>
  fixtures.events.filter((recorded) => recorded.shape === shape).map((recorded) => translateEvent(recorded.event)).filter((event) => event !== undefined)

const firstOf = <Type extends HostEvent['type']>(shape: string, type: Type): Extract<HostEvent, { type: Type }> => {
  const event = translatedOf(shape).find((candidate) => candidate.type === type)
  if (!event) throw new Error(`no ${type} translated from a '${shape}' fixture (shapes: ${[...new Set(fixtures.events.map((recorded) => recorded.shape))].join(', ')})`)
  return event as Extract<HostEvent, { type: Type }>
}

describe(`translateEvent on events recorded from OpenCode ${fixtures.opencodeVersion}`, () => {
  it('has fixtures for every event kind the adapter acts on', () => {
    const types = new Set(fixtures.events.map((recorded) => recorded.event.type))
    for (const type of ['session.created', 'session.deleted', 'session.status', 'session.error', 'session.compacted', 'message.updated', 'message.part.updated', 'todo.updated', 'command.executed']) {
      expect(types, type).toContain(type)
    }
  })

  it('translates session creation with the parent link, and deletion', () => {
    const created = translatedOf('session.created').filter((event) => event.type === 'session-create')
    expect(created.map((event) => event.session)).toEqual([
      expect.objectContaining({ id: parent, title: 'fixture parent' }),
      expect.objectContaining({ id: child, parentId: parent, title: 'fixture child' }),
    ])
    expect(created[0]!.session.parentId).toBeUndefined()
    expect(firstOf('session.deleted', 'session-delete')).toEqual({ type: 'session-delete', sessionId: child })
  })

  it('translates busy and idle statuses', () => {
    expect(firstOf('session.status busy', 'session-status')).toEqual({ type: 'session-status', sessionId: child, status: { type: 'busy' } })
    expect(firstOf('session.status idle', 'session-status')).toEqual({ type: 'session-status', sessionId: child, status: { type: 'idle' } })
  })

  it('keeps the real error shape: name plus data with message and status code', () => {
    const error = firstOf('session.error', 'session-error')
    expect(error.sessionId).toBe(parent)
    expect(error.error.name).toBe('APIError')
    expect(error.error.data).toMatchObject({ message: 'Invalid API key provided', statusCode: 401, isRetryable: false })
  })

  it('reads a step that called tools as not finished, and the answer after it as finished', () => {
    const step = firstOf('message.updated assistant completed tool-calls', 'message-update').message
    expect(step).toMatchObject({ sessionId: child, role: 'assistant', finish: 'tool-calls', agent: 'build', model: { providerId: 'fake', modelId: 'fake-model' } })
    expect(step.completedAt).toBeGreaterThan(0)
    const answer = firstOf('message.updated assistant completed stop', 'message-update').message
    expect(answer).toMatchObject({ role: 'assistant', finish: 'stop' })
    expect(answer.tokens).toMatchObject({ input: expect.any(Number), output: expect.any(Number) })
    expect(answer.tokens!.input).toBeGreaterThan(0)
    const open = firstOf('message.updated assistant open', 'message-update').message
    expect(open.completedAt).toBeUndefined()
    const failed = firstOf('message.updated assistant error', 'message-update').message
    expect(failed.error).toMatchObject({ name: 'APIError', data: { statusCode: 401 } })
  })

  it('translates user messages with their agent', () => {
    const user = firstOf('message.updated user open', 'message-update').message
    expect(user).toMatchObject({ role: 'user', sessionId: child, agent: 'build' })
  })

  it('translates tool parts through their states, with input and output', () => {
    const pending = firstOf('message.part.updated tool todowrite pending', 'part-update').part
    expect(pending).toMatchObject({ kind: 'tool', sessionId: child, call: { tool: 'todowrite', status: 'pending' } })
    const completed = firstOf('message.part.updated tool bash completed', 'part-update').part
    if (completed.kind !== 'tool') throw new Error('expected a tool part')
    expect(completed.call).toMatchObject({ tool: 'bash', status: 'completed', input: { command: 'echo fixture-output' } })
    expect(completed.call.output).toContain('fixture-output')
    expect(completed.call.startedAt).toBeGreaterThan(0)
  })

  it('translates text parts with their part id, so several parts of one message stay apart', () => {
    expect(firstOf('message.part.updated text', 'part-update').part).toEqual({ kind: 'text', sessionId: child, messageId: 'msg_1', partId: 'prt_1', text: '[[fx-tools]] Plan and print.' })
  })

  it('translates step-finish parts with their reason and usage', () => {
    const reasons = translatedOf('message.part.updated step-finish').map((event) => (event.type === 'part-update' && event.part.kind === 'step-finish' ? event.part.reason : undefined))
    expect(reasons).toEqual(['tool-calls', 'stop'])
  })

  it('translates todo updates and executed commands', () => {
    expect(firstOf('todo.updated', 'todo-update')).toEqual({
      type: 'todo-update',
      sessionId: child,
      todos: [{ id: 'Write the module', content: 'Write the module', status: 'in_progress', priority: 'high' }],
    })
    expect(firstOf('command.executed', 'command-execute')).toEqual({ type: 'command-execute', sessionId: parent, command: 'fx-command', arguments: 'now' })
    expect(firstOf('session.compacted', 'session-compact')).toEqual({ type: 'session-compact', sessionId: child })
  })

  it('drops what the orchestrator does not act on: deltas, diffs, idle duplicates, catalog and plugin events', () => {
    for (const shape of ['message.part.delta', 'session.diff', 'session.idle', 'session.updated', 'plugin.added', 'catalog.updated', 'message.part.updated step-start', 'message.part.updated compaction']) {
      const recorded = fixtures.events.filter((event) => event.shape === shape)
      expect(recorded.length, shape).toBeGreaterThan(0)
      for (const event of recorded) expect(translateEvent(event.event), shape).toBeUndefined()
    }
  })

  it('drops malformed events instead of throwing', () => {
    for (const malformed of [null, 42, 'session.status', {}, { type: 'session.status' }, { type: 'session.status', properties: { sessionID: 'x', status: { type: 'weird' } } }, { type: 'message.updated', properties: { info: { id: 'm' } } }]) {
      expect(translateEvent(malformed)).toBeUndefined()
    }
    // An error event without details still reaches recovery, as an unknown error.
    expect(translateEvent({ type: 'session.error', properties: {} })).toEqual({
      type: 'session-error',
      error: { name: 'UnknownError', data: { message: 'OpenCode reported an error without details' } },
    })
  })
})

describe('toHostMessage on session.messages output', () => {
  it('reads a whole turn: the user prompt, the tool step with both calls, the answer', () => {
    const messages = fixtures.childMessages.map((entry) => toHostMessage(entry.info, entry.parts))
    const [user, step, answer] = messages
    expect(user).toMatchObject({ role: 'user', text: '[[fx-tools]] Plan and print.' })
    expect(step).toMatchObject({ role: 'assistant', finish: 'tool-calls' })
    expect(step!.toolCalls.map((call) => [call.tool, call.status])).toEqual([
      ['todowrite', 'completed'],
      ['bash', 'completed'],
    ])
    expect(answer).toMatchObject({ role: 'assistant', finish: 'stop', text: 'Both tools ran.' })
  })
})
