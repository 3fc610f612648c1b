import { createEventBus, type OrchestratorEvents } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { missionEndNote, writeMissionEndNotes } from './mission-end-note'

describe('mission end notes', () => {
  it('writes one short line into the root session when a mission seals, stops or fails', async () => {
    const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => { throw error } })
    const notes: Array<[string, string]> = []
    const off = writeMissionEndNotes({
      bus,
      rootSessionOf: (missionId) => (missionId === 'm1' ? 'ses_root' : undefined),
      note: async (sessionId, text) => void notes.push([sessionId, text]),
      onError: (error) => {
        throw error
      },
    })
    bus.emit('mission-stop', { missionId: 'm1', reason: 'the root session was interrupted by the user' })
    bus.emit('mission-seal', { missionId: 'm1', todos: [] })
    bus.emit('mission-fail', { missionId: 'unknown', reason: 'x' })
    off()
    bus.emit('mission-stop', { missionId: 'm1', reason: 'after unsubscribe' })
    expect(notes).toEqual([
      ['ses_root', '[orchestrator] Mission stopped: the root session was interrupted by the user'],
      ['ses_root', '[orchestrator] Mission sealed: all 0 todos verified.'],
    ])
  })

  it('reports a note that could not be written', async () => {
    const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => { throw error } })
    const errors: string[] = []
    writeMissionEndNotes({ bus, rootSessionOf: () => 'ses_root', note: () => Promise.reject(new Error('server gone')), onError: (error, missionId) => errors.push(`${missionId}: ${String(error)}`) })
    bus.emit('mission-fail', { missionId: 'm2', reason: 'a 401' })
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(errors).toEqual(['m2: Error: server gone'])
  })

  it('names the count of verified todos', () => {
    expect(missionEndNote({ kind: 'seal', todoCount: 1 })).toBe('[orchestrator] Mission sealed: all 1 todo verified.')
    expect(missionEndNote({ kind: 'fail', reason: 'the provider refused the API key' })).toBe('[orchestrator] Mission failed: the provider refused the API key')
    // The user's own stop says so once, and the report line follows when its path is known.
    expect(missionEndNote({ kind: 'stop', reason: 'stopped by the user (/stop)' }, '.opencode/orchestrator/missions/m1/report.html')).toBe(
      '[orchestrator] Mission stopped by the user (/stop)\nReport: .opencode/orchestrator/missions/m1/report.html',
    )
  })

  it('says where a mission\'s result landed and which worktrees and branches are left, once git is done', () => {
    const bus = createEventBus<OrchestratorEvents>({ onListenerError: (error) => { throw error } })
    const notes: Array<[string, string]> = []
    writeMissionEndNotes({ bus, rootSessionOf: () => 'ses_root', note: async (sessionId, text) => void notes.push([sessionId, text]), onError: (error) => { throw error } })
    bus.emit('mission-workspaces-end', { missionId: 'm1', outcome: 'sealed', end: { landing: { kind: 'branch', branch: 'orchestrator/m1' }, left: [] } })
    bus.emit('mission-workspaces-end', {
      missionId: 'm2',
      outcome: 'stopped',
      end: { left: [{ branch: 'orchestrator/m2--task_1', path: '/repo/.git/orchestrator/worktrees/m2/w1', taskId: 'task_1', reason: 'dirty' }] },
    })
    bus.emit('mission-workspaces-end', { missionId: 'm3', outcome: 'stopped', end: { left: [] } })
    expect(notes).toEqual([
      ['ses_root', '[orchestrator] The mission\'s result is on branch orchestrator/m1 (config onSeal "branch"); review it, then merge it: git merge orchestrator/m1'],
      ['ses_root', '[orchestrator] Worktrees and branches left (1):\n- orchestrator/m2--task_1 at /repo/.git/orchestrator/worktrees/m2/w1 (task_1): dirty'],
    ])
  })
})
