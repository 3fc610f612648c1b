import { createEventBus, createLogger, createMemoryStorage, systemClock } from '@opencode-orchestrator/core'
import type { HostMessage, HostSessions, LogLevel, MissionRecord, MissionSnapshot, OrchestratorEvents, Storage } from '@opencode-orchestrator/core'
import { parseMissionTimeline } from '@opencode-orchestrator/report'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createMissionEventLog } from './mission-event-log'
import { createMissionReportWriter } from './mission-report-writer'

const START = Date.UTC(2026, 0, 15, 9, 30)

const mission: MissionRecord = {
  version: 1,
  id: 'mission_1',
  rootSessionId: 'ses_root',
  goal: 'Add a slugify module <script>alert(1)</script>',
  state: 'stopped',
  createdAt: START,
  updatedAt: START + 60_000,
  generation: 1,
  budgets: { maxIterations: 20, maxWallTimeMs: 3_600_000, maxChildSessions: 50, maxDepth: 3, maxBreadth: 20, maxTokens: 0, maxCostUsd: 0 },
  counters: { iterations: 1, idleTurnsWithoutProgress: 0, childSessions: 2, tokens: 5000, costUsd: 0.01 },
  progressKey: '',
  todos: [{ id: 't1', title: 'slugify module', status: 'in_progress', dependsOn: [], createdAt: START, updatedAt: START }],
  tasks: [
    { id: 'task_1', missionId: 'mission_1', agent: 'worker', title: 't1: slugify module', prompt: 'p', todoIds: ['t1'], status: 'cancelled', priority: 0, parentSessionId: 'ses_root', sessionId: 'ses_w1', depth: 1, createdAt: START + 1000, startedAt: START + 2000, endedAt: START + 60_000 },
    { id: 'task_2', missionId: 'mission_1', agent: 'worker', title: 't2: CLI flag', prompt: 'p', todoIds: [], status: 'cancelled', priority: 0, parentSessionId: 'ses_root', sessionId: 'ses_w2', depth: 1, createdAt: START + 1000, startedAt: START + 2500, endedAt: START + 60_000 },
  ],
  sessions: [
    { sessionId: 'ses_root', agent: 'commander', depth: 0 },
    { sessionId: 'ses_w1', agent: 'worker', depth: 1, taskId: 'task_1', parentSessionId: 'ses_root' },
    { sessionId: 'ses_w2', agent: 'worker', depth: 1, taskId: 'task_2', parentSessionId: 'ses_root' },
  ],
  pendingWakes: {},
  end: { at: START + 60_000, reason: 'stopped by the user (/stop)' },
}

const assistant = (sessionId: string, start: number, end: number | undefined): HostMessage => ({
  id: `msg_${sessionId}_${start}`,
  sessionId,
  role: 'assistant',
  agent: 'worker',
  createdAt: START + start,
  ...(end !== undefined ? { completedAt: START + end } : {}),
  finish: 'tool-calls',
  text: '',
  toolCalls: [{ callId: 'call_1', tool: 'bash', status: 'completed', input: { command: 'pnpm test' }, startedAt: START + start + 500, endedAt: START + start + 900 }],
})

function setup(options: { storage?: Storage; messages?: HostSessions['messages'] } = {}) {
  const storage = options.storage ?? createMemoryStorage()
  const logs: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = []
  const logger = createLogger((entry) => logs.push(entry))
  const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => logs.push({ level: 'error', message: String(error), fields: {} }) })
  const notImplemented = (name: string) => () => Promise.reject(new Error(`HostSessions.${name} is not scripted in this test`))
  const messages = vi.fn(
    options.messages ??
      (async (sessionId: string) => (sessionId === 'ses_root' ? [assistant('ses_root', 0, 1500)] : [assistant(sessionId, 3000, 20_000), assistant(sessionId, 21_000, undefined)])),
  )
  const sessions: HostSessions = {
    create: notImplemented('create'),
    get: notImplemented('get'),
    children: notImplemented('children'),
    promptAsync: notImplemented('promptAsync'),
    abort: notImplemented('abort'),
    delete: notImplemented('delete'),
    messages,
    todos: notImplemented('todos'),
    status: notImplemented('status'),
    summarize: notImplemented('summarize'),
  }
  const snapshots = new Map<string, MissionSnapshot>([[mission.id, structuredClone(mission)]])
  const eventLog = createMissionEventLog({ bus, storage, clock: systemClock, logger, missionOfSession: () => mission.id })
  const writer = createMissionReportWriter({ bus, host: { sessions }, storage, clock: systemClock, logger, getMission: (id) => snapshots.get(id), eventLog, settleMs: 1000 })
  return { bus, storage, logs, messages, writer, eventLog, snapshots }
}

describe('createMissionReportWriter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START + 60_000 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('writes timeline.json and report.html after the mission ends, without touching the host in the stop path', async () => {
    const { bus, storage, messages, writer, logs } = setup()
    bus.emit('recovery-start', { missionId: 'mission_1', sessionId: 'ses_w1', kind: 'rate-limit', action: 'wait', reason: '429', attempt: 1 })
    bus.emit('mission-stop', { missionId: 'mission_1', reason: 'stopped by the user (/stop)' })
    expect(messages).not.toHaveBeenCalled()

    await vi.advanceTimersByTimeAsync(1000)
    await writer.flush()

    expect(messages.mock.calls.map(([sessionId]) => sessionId).sort()).toEqual(['ses_root', 'ses_w1', 'ses_w2'])
    const timeline = parseMissionTimeline((await storage.read('missions/mission_1/timeline.json'))!)
    expect(timeline.lanes.map((lane) => lane.label)).toEqual(['Commander', 'Worker · t1: slugify module', 'Worker · t2: CLI flag'])
    expect(timeline.markers.map((marker) => marker.kind)).toEqual(['recovery-start', 'mission-stop'])
    // The turn the stop cut off runs to the end of the axis, drawn as cancelled (its task was), not as an open or failed turn.
    expect(timeline.lanes[1]!.spans.filter((span) => span.status === 'cancelled')).toHaveLength(1)
    const html = (await storage.read('missions/mission_1/report.html'))!
    expect(html).toContain('data-lane="ses_w2"')
    expect(html).not.toContain('<script>')
    expect(logs.find((entry) => entry.message === 'mission report written')?.fields).toMatchObject({ missionId: 'mission_1', report: 'missions/mission_1/report.html', lanes: 3 })
  })

  it('tolerates sessions that are gone: their lanes come from the tasks', async () => {
    const { bus, storage, writer, logs } = setup({
      messages: async (sessionId) => {
        if (sessionId === 'ses_w2') throw new Error('session.messages failed: 404 session not found')
        return [assistant(sessionId, 3000, 20_000)]
      },
    })
    bus.emit('mission-stop', { missionId: 'mission_1', reason: 'stopped' })
    await writer.flush()

    const timeline = parseMissionTimeline((await storage.read('missions/mission_1/timeline.json'))!)
    expect(timeline.lanes.map((lane) => lane.source)).toEqual(['messages', 'messages', 'task'])
    expect(timeline.notes).toHaveLength(1)
    expect(logs.find((entry) => entry.level === 'warn')?.fields).toMatchObject({ sessionId: 'ses_w2', error: 'session.messages failed: 404 session not found' })
  })

  it('logs a failed write and never throws', async () => {
    const base = createMemoryStorage()
    const storage: Storage = {
      ...base,
      async write(path, content) {
        if (path.endsWith('report.html')) throw new Error('ENOSPC: no space left on device')
        await base.write(path, content)
      },
    }
    const { bus, writer, logs } = setup({ storage })
    bus.emit('mission-fail', { missionId: 'mission_1', reason: '401' })
    await writer.flush()

    expect(await base.read('missions/mission_1/timeline.json')).toBeDefined()
    expect(logs.find((entry) => entry.level === 'error')).toMatchObject({ message: 'could not write the mission report', fields: { missionId: 'mission_1', error: 'ENOSPC: no space left on device' } })
  })

  it('writes the reports still waiting on dispose, and then stops listening', async () => {
    const { bus, storage, writer, messages } = setup()
    bus.emit('mission-seal', { missionId: 'mission_1', todos: [] })
    await writer.dispose()
    expect(await storage.read('missions/mission_1/report.html')).toContain('<!doctype html>')

    messages.mockClear()
    bus.emit('mission-seal', { missionId: 'mission_1', todos: [] })
    await vi.advanceTimersByTimeAsync(5000)
    expect(messages).not.toHaveBeenCalled()
  })

  it('skips a mission the engine no longer knows, with a warning', async () => {
    const { bus, writer, logs, snapshots, storage } = setup()
    snapshots.clear()
    bus.emit('mission-seal', { missionId: 'mission_1', todos: [] })
    await writer.flush()
    expect(await storage.read('missions/mission_1/report.html')).toBeUndefined()
    expect(logs.find((entry) => entry.level === 'warn')?.message).toMatch(/no report is written/)
  })
})
