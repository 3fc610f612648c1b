import { createEventBus, createLogger, createMemoryStorage } from '@opencode-orchestrator/core'
import type { LogLevel, OrchestratorEvents, Storage, Task } from '@opencode-orchestrator/core'
import { parseMissionEventLog } from '@opencode-orchestrator/report'
import { describe, expect, it } from 'vitest'
import { createMissionEventLog } from './mission-event-log'

function setup(storage: Storage = createMemoryStorage()) {
  const logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = []
  const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => logs.push({ level: 'error', message: String(error), fields: {} }) })
  let now = 1_000
  const eventLog = createMissionEventLog({
    bus,
    storage,
    clock: { now: () => now++ },
    logger: createLogger((entry) => logs.push(entry)),
    missionOfSession: (sessionId) => (sessionId.startsWith('ses_m1') ? 'm1' : undefined),
  })
  return { bus, eventLog, logs, storage }
}

const task: Task = {
  id: 'task_1',
  missionId: 'm1',
  agent: 'worker',
  title: 't1: slugify',
  prompt: 'Write it.',
  todoIds: ['t1'],
  status: 'running',
  priority: 0,
  parentSessionId: 'ses_m1_root',
  sessionId: 'ses_m1_child',
  depth: 1,
  createdAt: 1,
  startedAt: 2,
}

describe('createMissionEventLog', () => {
  it('appends the report events of each mission to its own JSONL file, in order', async () => {
    const storage = createMemoryStorage()
    const { bus, eventLog } = setup(storage)
    bus.emit('mission-start', { missionId: 'm1', rootSessionId: 'ses_m1_root', goal: 'Build <it>' })
    bus.emit('task-queue', { task: { ...task, status: 'queued' } }) // not kept: the journal has it
    bus.emit('task-start', { task })
    bus.emit('todo-update', { missionId: 'm1', todos: [] }) // not kept
    bus.emit('recovery-start', { sessionId: 'ses_m1_child', kind: 'rate-limit', action: 'wait', reason: '429', attempt: 1, delayMs: 2000 })
    bus.emit('recovery-start', { sessionId: 'ses_plain_chat', kind: 'rate-limit', action: 'wait', reason: '429', attempt: 1 })
    bus.emit('mission-continue', { missionId: 'm2', iteration: 1, reason: 'open todos' })
    bus.emit('mission-seal', { missionId: 'm1', todos: [] })
    await eventLog.flush()

    expect(Object.keys(storage.files()).sort()).toEqual(['missions/m1/events.jsonl', 'missions/m2/events.jsonl'])
    const parsed = parseMissionEventLog((await storage.read(eventLog.pathOf('m1')))!)
    expect(parsed.problems).toEqual([])
    expect(parsed.entries.map((entry) => entry.type)).toEqual(['mission-start', 'task-start', 'recovery-start', 'mission-seal'])
    expect(parsed.entries[2]).toMatchObject({ sessionId: 'ses_m1_child', kind: 'rate-limit' })
    expect(parsed.entries.map((entry) => entry.at)).toEqual([...parsed.entries.map((entry) => entry.at)].sort((a, b) => a - b))
  })

  it('writes a burst of events with one append while the previous one is in flight', async () => {
    const base = createMemoryStorage()
    const appends: string[] = []
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => (release = resolve))
    const storage: Storage = {
      ...base,
      async append(path, content) {
        appends.push(content)
        if (appends.length === 1) await gate
        await base.append(path, content)
      },
    }
    const { bus, eventLog } = setup(storage)
    for (let iteration = 1; iteration <= 5; iteration++) bus.emit('mission-continue', { missionId: 'm1', iteration, reason: 'open todos' })
    release()
    await eventLog.flush('m1')
    expect(appends).toHaveLength(2)
    const parsed = parseMissionEventLog((await base.read('missions/m1/events.jsonl'))!)
    expect(parsed.entries.map((entry) => (entry.type === 'mission-continue' ? entry.iteration : 0))).toEqual([1, 2, 3, 4, 5])
  })

  it('logs a failed append with the number of lines lost and keeps going', async () => {
    const base = createMemoryStorage()
    let failures = 1
    const storage: Storage = {
      ...base,
      async append(path, content) {
        if (failures-- > 0) throw new Error('EACCES: permission denied')
        await base.append(path, content)
      },
    }
    const { bus, eventLog, logs } = setup(storage)
    bus.emit('mission-stop', { missionId: 'm1', reason: 'stopped by the user' })
    await eventLog.flush()
    bus.emit('mission-fail', { missionId: 'm1', reason: 'second event' })
    await eventLog.dispose()

    const failure = logs.find((entry) => entry.level === 'error')
    expect(failure?.message).toMatch(/could not append to the mission event log/)
    expect(failure?.fields).toMatchObject({ missionId: 'm1', lines: 1, error: 'EACCES: permission denied', path: 'missions/m1/events.jsonl' })
    expect(parseMissionEventLog((await base.read('missions/m1/events.jsonl'))!).entries.map((entry) => entry.type)).toEqual(['mission-fail'])
  })

  it('stops listening on dispose', async () => {
    const storage = createMemoryStorage()
    const { bus, eventLog } = setup(storage)
    await eventLog.dispose()
    bus.emit('mission-seal', { missionId: 'm1', todos: [] })
    await eventLog.flush()
    expect(storage.files()).toEqual({})
  })
})
