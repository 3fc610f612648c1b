import { describe, expect, it } from 'vitest'
import { buildMissionTimeline } from './build-mission-timeline'
import type { MissionEventLogEntry } from './mission-event-log-entry'
import { SAMPLE_START, sampleMission, sessionMessages } from './sample-mission.test-helper'

const at = (seconds: number) => SAMPLE_START + seconds * 1000

describe('buildMissionTimeline', () => {
  it('makes one lane per session, root first, labelled with agent and task title', () => {
    const timeline = buildMissionTimeline(sampleMission())
    expect(timeline.lanes.map((lane) => lane.label)).toEqual([
      'Commander',
      'Planner · Plan: slugify feature',
      'Worker · t1: slugify module',
      'Worker · t2: CLI flag --slug',
      'Worker · t3: docs',
      'Reviewer · Review t1–t4',
    ])
    expect(timeline.lanes.every((lane) => lane.source === 'messages')).toBe(true)
    expect(timeline.notes).toEqual([])
  })

  it('draws model turns and tool calls from the messages, with parallel workers overlapping', () => {
    const timeline = buildMissionTimeline(sampleMission())
    const lane = (sessionId: string) => timeline.lanes.find((item) => item.sessionId === sessionId)!
    const worker1 = lane('ses_w1')
    const worker2 = lane('ses_w2')
    expect(worker1.turns).toBe(5)
    expect(worker1.toolCalls).toBe(5)
    const turn = worker1.spans.find((span) => span.kind === 'turn')!
    expect(turn).toMatchObject({ start: at(24.3), end: at(30.3), status: 'ok', label: 'turn (tool-calls)' })
    expect(turn.detail).toContain('anthropic/claude-sonnet-4')
    const bash = worker1.spans.find((span) => span.kind === 'tool' && span.label === 'bash')!
    expect(bash).toMatchObject({ start: at(56), end: at(68), status: 'error' })
    expect(bash.detail).toContain('pnpm vitest run slugify')
    expect(bash.detail).toContain('FAIL src/slugify.test.ts')

    // Workers 1 and 2 ran at the same time: their activity intervals overlap.
    const range = (spans: typeof worker1.spans) => [Math.min(...spans.map((span) => span.start)), Math.max(...spans.map((span) => span.end))] as const
    const [start1, end1] = range(worker1.spans)
    const [start2, end2] = range(worker2.spans)
    expect(start1 < end2 && start2 < end1).toBe(true)
    expect(worker1.tokens).toBeGreaterThan(0)
  })

  it('marks error turns with the error name and the host text from data.message', () => {
    const timeline = buildMissionTimeline(sampleMission())
    const worker1 = timeline.lanes.find((lane) => lane.sessionId === 'ses_w1')!
    const failed = worker1.spans.filter((span) => span.status === 'error' && span.kind === 'turn')
    expect(failed).toHaveLength(1)
    expect(failed[0]!.label).toBe('turn failed (APIError)')
    expect(failed[0]!.detail).toContain('APIError: Rate limit exceeded')
    expect(worker1.errors).toBe(2) // the failed turn and the failed bash call
  })

  it('falls back to the task start and end when a session has no messages', () => {
    const input = sampleMission()
    const messages = { ...input.messages }
    delete messages['ses_w2']
    messages['ses_w3'] = []
    const timeline = buildMissionTimeline({ ...input, messages })
    const worker2 = timeline.lanes.find((lane) => lane.sessionId === 'ses_w2')!
    expect(worker2.source).toBe('task')
    expect(worker2.spans).toEqual([
      { kind: 'session', start: at(25), end: at(78), label: 'task completed (messages unavailable)', status: 'ok' },
    ])
    expect(timeline.lanes.find((lane) => lane.sessionId === 'ses_w3')!.source).toBe('task')
    expect(timeline.notes).toHaveLength(2)
    expect(timeline.notes[0]).toContain('Worker · t2: CLI flag --slug')
  })

  it('draws the root from the mission when its messages are gone', () => {
    const input = sampleMission()
    const timeline = buildMissionTimeline({ ...input, messages: {} })
    const root = timeline.lanes[0]!
    expect(root.source).toBe('mission')
    expect(root.spans[0]).toMatchObject({ kind: 'session', start: input.mission.createdAt, end: at(200) })
    expect(timeline.lanes).toHaveLength(6)
  })

  it('runs the unfinished turns and tool calls of a cancelled task to the end of the axis, marked cancelled (not failed)', () => {
    const input = sampleMission()
    const keep = new Set(['ses_root', 'ses_w1', 'ses_w2'])
    const tasks = input.mission.tasks
      .filter((task) => keep.has(task.sessionId ?? ''))
      .map((task) => ({ ...task, status: 'cancelled' as const, endedAt: at(61) }))
    const mission = {
      ...input.mission,
      state: 'stopped' as const,
      end: { at: at(60), reason: 'stopped by the user (/stop)' },
      sessions: input.mission.sessions.filter((session) => keep.has(session.sessionId)),
      tasks,
    }
    const messages = {
      ses_root: sessionMessages('ses_root', 'commander', [{ at: 1, took: 2, finish: 'stop' }]),
      ses_w1: sessionMessages('ses_w1', 'worker', [{ at: 50, tools: [{ tool: 'bash', at: 52, took: 0, status: 'running' }] }]),
    }
    const events: MissionEventLogEntry[] = [{ at: at(60), type: 'mission-stop', missionId: 'mission_sample', reason: 'stopped by the user (/stop)' }]
    const timeline = buildMissionTimeline({ ...input, mission, messages, events })
    expect(timeline.end).toBe(at(61)) // worker 2's task (messages gone) was cancelled just after the stop
    const worker1 = timeline.lanes.find((lane) => lane.sessionId === 'ses_w1')!
    expect(worker1.spans.map((span) => [span.kind, span.status, span.end])).toEqual([
      ['turn', 'cancelled', timeline.end],
      ['tool', 'cancelled', timeline.end],
    ])
    expect(worker1.errors).toBe(0)
    expect(timeline.markers).toEqual([{ kind: 'mission-stop', at: at(60), label: 'Stopped', detail: 'stopped by the user (/stop)' }])
  })

  it('turns the event log into markers and phases, ignoring other missions', () => {
    const input = sampleMission()
    const foreign: MissionEventLogEntry = { at: at(50), type: 'mission-continue', missionId: 'mission_other', iteration: 9, reason: 'x' }
    const timeline = buildMissionTimeline({ ...input, events: [...input.events, foreign] })
    expect(timeline.markers.map((marker) => [marker.kind, marker.sessionId ?? null, marker.label])).toEqual([
      ['mission-wake', 'ses_root', 'Wake: 1 task reported back'],
      ['recovery-start', 'ses_w1', 'Rate limited — OpenCode retries in 8 s (OpenCode retry 1)'],
      ['recovery-end', 'ses_w1', 'Recovered: rate limited'],
      ['mission-wake', 'ses_root', 'Wake: 2 tasks reported back'],
      ['mission-continue', 'ses_root', 'Continuation #1'],
      ['mission-wake', 'ses_root', 'Wake: 1 task reported back'],
      ['mission-continue', 'ses_root', 'Continuation #2'],
      ['mission-wake', 'ses_root', 'Wake: 1 task reported back'],
      ['mission-seal', null, 'Sealed'],
    ])
    expect(timeline.phases.map((phase) => [phase.state, (phase.start - SAMPLE_START) / 1000, (phase.end - SAMPLE_START) / 1000])).toEqual([
      ['planning', 0, 22],
      ['dispatching', 22, 27],
      ['waiting', 27, 98],
      ['dispatching', 98, 101],
      ['waiting', 101, 143],
      ['reviewing', 143, 200],
    ])
  })

  it('adds the end marker from the journal when the event log lost it', () => {
    const input = sampleMission()
    const timeline = buildMissionTimeline({ ...input, events: [] })
    expect(timeline.markers).toEqual([{ kind: 'mission-seal', at: at(200), label: 'Sealed', detail: 'every todo verified by the Reviewer' }])
    expect(timeline.phases).toEqual([])
  })

  it('keeps recovery events without a mission id when their session belongs to the mission', () => {
    const input = sampleMission()
    const events: MissionEventLogEntry[] = [
      { at: at(40), type: 'recovery-start', sessionId: 'ses_w2', kind: 'overloaded', action: 'retry', reason: '529', attempt: 2 },
      { at: at(41), type: 'recovery-start', sessionId: 'ses_elsewhere', kind: 'overloaded', action: 'retry', reason: '529', attempt: 1 },
    ]
    const timeline = buildMissionTimeline({ ...input, events })
    expect(timeline.markers.filter((marker) => marker.kind === 'recovery-start').map((marker) => marker.sessionId)).toEqual(['ses_w2'])
  })

  it('carries the summary, todos with evidence and tasks', () => {
    const timeline = buildMissionTimeline(sampleMission())
    expect(timeline.mission).toMatchObject({ id: 'mission_sample', state: 'sealed', iterations: 2, tokens: 61_400, childSessions: 5, endReason: 'every todo verified by the Reviewer' })
    expect(timeline.todos).toHaveLength(4)
    expect(timeline.todos[2]).toMatchObject({ id: 't3', dependsOn: ['t1', 't2'], evidence: { reviewerSessionId: 'ses_review' } })
    expect(timeline.tasks.map((task) => task.id)).toEqual(['task_plan', 'task_w1', 'task_w2', 'task_w3', 'task_review'])
    expect(timeline.start).toBe(SAMPLE_START)
    expect(timeline.end).toBe(at(200))
  })

  it('is plain JSON: a round trip through JSON changes nothing', () => {
    const timeline = buildMissionTimeline(sampleMission())
    expect(JSON.parse(JSON.stringify(timeline))).toEqual(timeline)
  })

  it('draws a Worker whose turn the stop aborted as cancelled, never as an error', () => {
    const input = sampleMission()
    const tasks = input.mission.tasks.map((task) => (task.sessionId === 'ses_w1' ? { ...task, status: 'cancelled' as const, endedAt: at(60) } : task))
    const mission = { ...input.mission, state: 'stopped' as const, end: { at: at(60), reason: 'stopped by the user (/stop)' }, tasks }
    const aborted = { name: 'MessageAbortedError', data: { message: 'Aborted' } }
    const messages = {
      ...input.messages,
      ses_w1: sessionMessages('ses_w1', 'worker', [{ at: 50, took: 10, error: aborted, tools: [{ tool: 'bash', at: 52, took: 8, status: 'error', output: 'Tool execution aborted' }] }]),
    }
    const lane = buildMissionTimeline({ ...input, mission, messages }).lanes.find((item) => item.sessionId === 'ses_w1')!
    expect(lane.spans.map((span) => [span.kind, span.status, span.label])).toEqual([
      ['turn', 'cancelled', 'turn cancelled (aborted by the stop)'],
      ['tool', 'cancelled', 'bash'],
    ])
    expect(lane.errors).toBe(0)
  })

  it('leaves plain chat before /task (and after the end) out of the Commander lane and the axis', () => {
    const input = sampleMission()
    const chat = sessionMessages('ses_root', 'build', [
      { at: -40, took: 10, finish: 'stop', text: 'plain chat answer' },
      { at: -25, took: 20, finish: 'stop', text: 'more plain chat' },
    ])
    const after = sessionMessages('ses_root', 'build', [{ at: 500, took: 5, finish: 'stop', text: 'chat after the mission' }])
    const own = input.messages['ses_root'] ?? []
    const messages = { ...input.messages, ses_root: [...chat, ...own, ...after] }
    const withChat = buildMissionTimeline({ ...input, messages })
    const without = buildMissionTimeline(input)
    expect(withChat.start).toBe(without.start)
    expect(withChat.end).toBe(without.end)
    const root = withChat.lanes.find((lane) => lane.sessionId === 'ses_root')!
    expect(root.turns).toBe(without.lanes.find((lane) => lane.sessionId === 'ses_root')!.turns)
    expect(root.spans.some((span) => (span.detail ?? '').includes('plain chat'))).toBe(false)
  })
})
