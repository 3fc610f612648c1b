import type { Event as OpencodeEvent } from '@opencode-ai/sdk/v2'
import { describe, expect, it } from 'vitest'
import { createProgressTracker } from './progress-tracker'
import { missionRecord, task, todo } from './test-support/mission-record'

const assistantMessage = (sessionID: string, id: string, tokens: { input: number; output: number; reasoning?: number }) =>
  ({
    id: 'evt',
    type: 'message.updated',
    properties: {
      sessionID,
      info: {
        id,
        sessionID,
        role: 'assistant',
        time: { created: 1 },
        parentID: 'msg_user',
        modelID: 'm',
        providerID: 'p',
        mode: 'worker',
        agent: 'worker',
        path: { cwd: '/', root: '/' },
        cost: 0,
        tokens: { input: tokens.input, output: tokens.output, reasoning: tokens.reasoning ?? 0, cache: { read: 0, write: 0 } },
      },
    },
  }) as OpencodeEvent

const status = (sessionID: string, value: { type: 'busy' } | { type: 'idle' } | { type: 'retry'; attempt: number; message: string; next: number }) =>
  ({ id: 'evt', type: 'session.status', properties: { sessionID, status: value } }) as OpencodeEvent

const toast = (title: string, message: string, variant: 'info' | 'success' | 'warning' | 'error') =>
  ({ id: 'evt', type: 'tui.toast.show', properties: { title, message, variant } }) as OpencodeEvent

describe('createProgressTracker', () => {
  it('starts empty and in the starting state', () => {
    const tracker = createProgressTracker({ startedAt: 1_000 })
    expect(tracker.snapshot(3_500)).toEqual({
      missionId: undefined,
      state: 'starting',
      todos: { verified: 0, total: 0, failed: 0 },
      workers: { running: 0, queued: 0 },
      agents: {},
      tasksEnded: 0,
      recoveries: { inProgress: 0, notices: 0 },
      tokens: 0,
      elapsedMs: 2_500,
    })
  })

  it('counts only todos the Reviewer verified with evidence, and failed ones', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    tracker.applyJournal(
      missionRecord({
        state: 'waiting',
        todos: [
          todo('t1', { status: 'done', evidence: { summary: 'ran the tests', recordedAt: 2 } }),
          // Done without evidence does not count (a person ticked the box in todo.md).
          todo('t2', { status: 'done' }),
          todo('t3', { status: 'failed', note: 'broken' }),
          todo('t4'),
        ],
      }),
    )
    expect(tracker.snapshot(0).todos).toEqual({ verified: 1, total: 4, failed: 1 })
    expect(tracker.state).toBe('waiting')
    expect(tracker.missionId).toBe('mission_1')
  })

  it('counts running and queued workers, and other running agents by name', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    tracker.applyJournal(
      missionRecord({
        tasks: [
          task('a', { status: 'running', startedAt: 2 }),
          task('b', { status: 'running', startedAt: 2 }),
          task('c', { status: 'queued' }),
          task('d', { status: 'running', agent: 'reviewer', startedAt: 2 }),
          task('e', { status: 'completed', startedAt: 2, endedAt: 3 }),
        ],
      }),
    )
    const snapshot = tracker.snapshot(0)
    expect(snapshot.workers).toEqual({ running: 2, queued: 1 })
    expect(snapshot.agents).toEqual({ worker: 2, reviewer: 1 })
  })

  it('emits task-start and task-end once each, in order, even when both happen between two reads', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    expect(tracker.applyJournal(missionRecord({ tasks: [task('a', { status: 'queued' })] }))).toEqual([])
    const started = tracker.applyJournal(missionRecord({ tasks: [task('a', { status: 'running', startedAt: 5, sessionId: 'ses_a', todoIds: ['t1'] })] }))
    expect(started).toEqual([{ type: 'task-start', taskId: 'a', agent: 'worker', title: 'task a', todoIds: ['t1'], sessionId: 'ses_a' }])
    expect(tracker.applyJournal(missionRecord({ tasks: [task('a', { status: 'running', startedAt: 5 })] }))).toEqual([])
    const ended = tracker.applyJournal(
      missionRecord({
        tasks: [
          task('a', { status: 'failed', startedAt: 5, endedAt: 905, error: { code: 'host-failed', message: '401 from the provider' } }),
          task('b', { status: 'completed', startedAt: 10, endedAt: 20 }),
        ],
      }),
    )
    expect(ended).toEqual([
      { type: 'task-end', taskId: 'a', agent: 'worker', title: 'task a', status: 'failed', error: '401 from the provider', durationMs: 900 },
      { type: 'task-start', taskId: 'b', agent: 'worker', title: 'task b', todoIds: [] },
      { type: 'task-end', taskId: 'b', agent: 'worker', title: 'task b', status: 'completed', durationMs: 10 },
    ])
    // A cancelled task that never started ends without a start line.
    expect(tracker.applyJournal(missionRecord({ tasks: [task('c', { status: 'cancelled', endedAt: 30 })] }))).toEqual([
      { type: 'task-end', taskId: 'c', agent: 'worker', title: 'task c', status: 'cancelled' },
    ])
  })

  it('sums live tokens of the mission sessions (latest count per message), never below the journal', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    tracker.setRootSession('ses_root')
    tracker.applyEvent(assistantMessage('ses_root', 'msg_1', { input: 100, output: 5 }))
    // OpenCode re-sends a message as it grows: the latest count replaces the earlier one.
    tracker.applyEvent(assistantMessage('ses_root', 'msg_1', { input: 100, output: 20, reasoning: 3 }))
    // A session of another conversation on the same server does not count…
    tracker.applyEvent(assistantMessage('ses_other', 'msg_2', { input: 999, output: 1 }))
    expect(tracker.snapshot(0).tokens).toBe(123)
    // …a child created under the root does, from its creation event.
    tracker.applyEvent({ id: 'evt', type: 'session.created', properties: { sessionID: 'ses_child', info: { id: 'ses_child', parentID: 'ses_root' } } } as OpencodeEvent)
    tracker.applyEvent(assistantMessage('ses_child', 'msg_3', { input: 50, output: 7 }))
    expect(tracker.snapshot(0).tokens).toBe(180)
    tracker.applyJournal(missionRecord({ counters: { iterations: 0, idleTurnsWithoutProgress: 0, childSessions: 1, tokens: 5_000, costUsd: 0 } }))
    expect(tracker.snapshot(0).tokens).toBe(5_000)
  })

  it('tracks OpenCode retries of mission sessions as recoveries in progress, one event per attempt', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    tracker.applyJournal(missionRecord({ sessions: [{ sessionId: 'ses_root', agent: 'commander', depth: 0 }, { sessionId: 'ses_w', agent: 'worker', depth: 1 }] }))
    const retry = (attempt: number) => status('ses_w', { type: 'retry', attempt, message: 'Rate limit reached', next: 99 })
    expect(tracker.applyEvent(retry(1))).toEqual([{ type: 'recovery', source: 'host-retry', sessionId: 'ses_w', attempt: 1, message: 'Rate limit reached' }])
    expect(tracker.applyEvent(retry(1))).toEqual([])
    expect(tracker.snapshot(0).recoveries).toEqual({ inProgress: 1, notices: 0 })
    expect(tracker.applyEvent(retry(2))).toHaveLength(1)
    tracker.applyEvent(status('ses_w', { type: 'busy' }))
    expect(tracker.snapshot(0).recoveries.inProgress).toBe(0)
    expect(tracker.applyEvent(status('ses_elsewhere', { type: 'retry', attempt: 1, message: 'x', next: 1 }))).toEqual([])
  })

  it('reads the plugin notices: warnings and errors are recoveries, terminal notices give the end reason', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    expect(tracker.applyEvent(toast('Orchestrator', '1/3 todos · 2 workers running', 'info'))).toEqual([])
    expect(tracker.applyEvent(toast('Orchestrator', 'Rate limited by fake — retrying in 2 s (attempt 1/3)', 'warning'))).toEqual([
      { type: 'recovery', source: 'orchestrator', message: 'Rate limited by fake — retrying in 2 s (attempt 1/3)' },
    ])
    expect(tracker.snapshot(0).recoveries.notices).toBe(1)
    expect(tracker.applyEvent(toast('Mission failed', "The provider 'fake' rejected the API key (401).", 'error'))).toEqual([])
    expect(tracker.endReason).toBe("The provider 'fake' rejected the API key (401).")
    // The journal's own reason wins once the mission is final.
    tracker.applyJournal(missionRecord({ state: 'failed', end: { at: 5, reason: 'auth failed for fake' } }))
    expect(tracker.endReason).toBe('auth failed for fake')
  })

  it('reports files written and commands started by mission sessions, once per call', () => {
    const tracker = createProgressTracker({ startedAt: 0, directory: '/work/demo' })
    tracker.applyJournal(missionRecord({ sessions: [{ sessionId: 'ses_root', agent: 'commander', depth: 0 }, { sessionId: 'ses_w', agent: 'worker', depth: 1 }] }))
    const toolPart = (sessionID: string, callID: string, tool: string, status: string, input: Record<string, unknown>) =>
      ({ id: 'evt', type: 'message.part.updated', properties: { sessionID, time: 1, part: { id: `prt_${callID}`, sessionID, messageID: 'msg', type: 'tool', callID, tool, state: { status, input, output: '', title: '', metadata: {}, time: { start: 1, end: 2 } } } } }) as OpencodeEvent
    expect(tracker.applyEvent(toolPart('ses_w', 'c1', 'write', 'running', { filePath: '/work/demo/src/a.mjs' }))).toEqual([])
    expect(tracker.applyEvent(toolPart('ses_w', 'c1', 'write', 'completed', { filePath: '/work/demo/src/a.mjs' }))).toEqual([{ type: 'tool', tool: 'write', sessionId: 'ses_w', agent: 'worker', target: 'src/a.mjs' }])
    expect(tracker.applyEvent(toolPart('ses_w', 'c1', 'write', 'completed', { filePath: '/work/demo/src/a.mjs' }))).toEqual([])
    expect(tracker.applyEvent(toolPart('ses_root', 'c2', 'orchestrator_bg_run', 'completed', { command: 'node --test' }))).toEqual([{ type: 'tool', tool: 'orchestrator_bg_run', sessionId: 'ses_root', agent: 'commander', target: 'node --test' }])
    expect(tracker.applyEvent(toolPart('ses_root', 'c3', 'read', 'completed', { filePath: '/x' }))).toEqual([])
    expect(tracker.applyEvent(toolPart('ses_elsewhere', 'c4', 'write', 'completed', { filePath: '/x' }))).toEqual([])
  })

  it('has a progress key that ignores the passing of time', () => {
    const tracker = createProgressTracker({ startedAt: 0 })
    const before = tracker.progressKey()
    expect(tracker.snapshot(10_000).elapsedMs).toBe(10_000)
    expect(tracker.progressKey()).toBe(before)
    tracker.applyJournal(missionRecord({ todos: [todo('t1')] }))
    expect(tracker.progressKey()).not.toBe(before)
  })
})
