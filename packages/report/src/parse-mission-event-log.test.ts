import { describe, expect, it } from 'vitest'
import type { OrchestratorEvents, Task } from '@opencode-orchestrator/core'
import { toMissionEventLogEntry } from './mission-event-log-entry'
import { parseMissionEventLog } from './parse-mission-event-log'
import { sampleMission } from './sample-mission.test-helper'

const toJsonl = (values: readonly unknown[]) => values.map((value) => JSON.stringify(value)).join('\n') + '\n'

describe('parseMissionEventLog', () => {
  it('reads every line of a well-formed log', () => {
    const { events } = sampleMission()
    const parsed = parseMissionEventLog(toJsonl(events))
    expect(parsed.problems).toEqual([])
    expect(parsed.entries).toEqual(events)
  })

  it('skips malformed lines, keeps the good ones and reports each bad line by number', () => {
    const good1 = { at: 1, type: 'mission-continue', missionId: 'm', iteration: 1, reason: 'open todos' }
    const good2 = { at: 5, type: 'mission-seal', missionId: 'm', todoCount: 2, verifiedCount: 2 }
    const text = [
      JSON.stringify(good1),
      '{"at": 2, "type": "mission-wake", "missionId": "m", "sessionId": "s"', // torn by a crash
      '',
      JSON.stringify({ at: 3, type: 'mission-stop', missionId: 'm' }), // reason missing
      JSON.stringify({ at: 4, type: 'mission-teleport', missionId: 'm' }),
      '[1, 2, 3]',
      JSON.stringify(good2),
    ].join('\n')
    const parsed = parseMissionEventLog(text)
    expect(parsed.entries).toEqual([good1, good2])
    expect(parsed.problems.map((problem) => problem.line)).toEqual([2, 4, 5, 6])
    expect(parsed.problems[0]!.message).toMatch(/not valid JSON/)
    expect(parsed.problems[1]!.message).toMatch(/mission-stop event: field "reason"/)
    expect(parsed.problems[2]!.message).toMatch(/unknown event type "mission-teleport"/)
    expect(parsed.problems[3]!.message).toMatch(/field "type" is missing/)
  })

  it('accepts CRLF line endings and an empty file', () => {
    expect(parseMissionEventLog('')).toEqual({ entries: [], problems: [] })
    const parsed = parseMissionEventLog('{"at":1,"type":"mission-fail","missionId":"m","reason":"401"}\r\n')
    expect(parsed.problems).toEqual([])
    expect(parsed.entries).toHaveLength(1)
  })
})

describe('toMissionEventLogEntry', () => {
  const task: Task = {
    id: 'task_1',
    missionId: 'm',
    agent: 'worker',
    title: 't1: slugify',
    prompt: 'a very long prompt '.repeat(100),
    todoIds: ['t1'],
    status: 'failed',
    priority: 0,
    parentSessionId: 'root',
    sessionId: 'child',
    depth: 1,
    createdAt: 1,
    error: { code: 'host-failed', message: '401 Unauthorized' },
  }

  it('keeps tasks small: no prompt, the error as one line', () => {
    const entry = toMissionEventLogEntry('task-end', { task }, 10)
    expect(entry).toEqual({ at: 10, type: 'task-end', missionId: 'm', taskId: 'task_1', agent: 'worker', title: 't1: slugify', sessionId: 'child', status: 'failed', error: 'host-failed: 401 Unauthorized' })
  })

  it('reduces a seal to counts', () => {
    const payload: OrchestratorEvents['mission-seal'] = { missionId: 'm', todos: sampleMission().mission.todos }
    expect(toMissionEventLogEntry('mission-seal', payload, 3)).toEqual({ at: 3, type: 'mission-seal', missionId: 'm', todoCount: 4, verifiedCount: 4 })
  })

  it('ignores events the log does not keep', () => {
    expect(toMissionEventLogEntry('task-queue', { task }, 1)).toBeUndefined()
    expect(toMissionEventLogEntry('todo-update', { missionId: 'm', todos: [] }, 1)).toBeUndefined()
  })

  it('writes lines the parser reads back', () => {
    const entries = [
      toMissionEventLogEntry('recovery-start', { sessionId: 'child', kind: 'rate-limit', action: 'wait', reason: '429', attempt: 1, delayMs: 2000 }, 1),
      toMissionEventLogEntry('mission-fail', { missionId: 'm', reason: 'auth', error: { name: 'ProviderAuthError', data: { message: 'bad key' } } }, 2),
      toMissionEventLogEntry('task-start', { task }, 3),
    ]
    const parsed = parseMissionEventLog(toJsonl(entries))
    expect(parsed.problems).toEqual([])
    expect(parsed.entries).toEqual(entries)
    expect(parsed.entries[1]).toMatchObject({ errorName: 'ProviderAuthError' })
  })
})
