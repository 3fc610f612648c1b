import picocolors from 'picocolors'
import { describe, expect, it } from 'vitest'
import { formatTokens, progressBar, renderEventLine, renderMissionEnd, renderProgressBlock } from './progress-view'
import type { ProgressSnapshot } from './run-event'

const plain = picocolors.createColors(false)

const snapshot: ProgressSnapshot = {
  missionId: 'mission_1',
  state: 'waiting',
  todos: { verified: 1, total: 3, failed: 0 },
  workers: { running: 2, queued: 1 },
  agents: { worker: 2, reviewer: 1 },
  recoveries: { inProgress: 1, notices: 2 },
  tokens: 12_345,
  elapsedMs: 12_400,
}

describe('progress view', () => {
  it('formats durations and token counts for people', () => {
    expect(formatTokens(950)).toBe('950')
    expect(formatTokens(12_345)).toBe('12.3k')
    expect(formatTokens(4_100_000)).toBe('4.1M')
  })

  it('draws a progress bar of verified todos', () => {
    expect(progressBar(1, 3, 6)).toBe('██░░░░')
    expect(progressBar(3, 3, 6)).toBe('██████')
    expect(progressBar(0, 0, 4)).toBe('░░░░')
  })

  it('renders the live block: bar, workers, recoveries, elapsed time, tokens', () => {
    expect(renderProgressBlock(snapshot, { goal: 'Add slugify', colors: plain, barWidth: 6 }).split('\n')).toEqual([
      'orchestrator · Add slugify',
      '  mission  mission_1 · waiting for tasks · 12.4 s',
      '  todos    ██░░░░ 1/3 verified',
      '  workers  2 running · 1 queued  (also running: reviewer 1)',
      '  recovery 1 retrying now · 2 notices',
      '  tokens   12.3k',
    ])
    const quiet = renderProgressBlock({ ...snapshot, missionId: undefined, state: 'starting', recoveries: { inProgress: 0, notices: 0 }, agents: {} }, { goal: 'g', colors: plain, barWidth: 2 })
    expect(quiet).toContain('mission  (starting) · starting')
    expect(quiet).toContain('recovery none')
  })

  it('renders activity lines for tasks and recoveries only', () => {
    expect(renderEventLine({ type: 'task-start', taskId: 'task_1', agent: 'worker', title: 't1: module', todoIds: ['t1'] }, plain)).toBe('▶ worker task_1 t1: module')
    expect(renderEventLine({ type: 'task-end', taskId: 'task_1', agent: 'worker', title: 't1', status: 'completed', durationMs: 1_200 }, plain)).toBe('✔ worker task_1 t1 (1.2 s)')
    expect(renderEventLine({ type: 'task-end', taskId: 'task_2', agent: 'worker', title: 't2', status: 'failed', error: '401' }, plain)).toBe('✖ worker task_2 t2 — failed: 401')
    expect(renderEventLine({ type: 'recovery', source: 'host-retry', attempt: 2, message: 'Rate limited' }, plain)).toBe('↻ model call retried (attempt 2): Rate limited')
    expect(renderEventLine({ type: 'tool', tool: 'write', sessionId: 's', agent: 'worker', target: 'src/a.mjs' }, plain)).toBe('  ✎ worker wrote src/a.mjs')
    expect(renderEventLine({ type: 'tool', tool: 'orchestrator_bg_run', sessionId: 's', target: 'node --test' }, plain)).toBe('  ⚙ background: node --test')
    expect(renderEventLine({ type: 'progress', ...snapshot }, plain)).toBeUndefined()
  })

  it('ends with the outcome, the reason when not sealed, the files and the exit code', () => {
    const files = { directory: '/p', journal: '/p/j.json', todo: '/p/todo.md', report: '/p/report.html' }
    const sealed = renderMissionEnd({ type: 'mission-end', missionId: 'm', state: 'sealed', reason: 'sealed', exitCode: 0, elapsedMs: 18_000, todos: { verified: 3, total: 3, failed: 0 }, tokens: 1, files }, plain)
    expect(sealed.split('\n')).toEqual([
      '✔ Mission sealed in 18.0 s: 3/3 todos verified.',
      '  Project: /p',
      '  Plan:    /p/todo.md',
      '  Journal: /p/j.json',
      '  Report:  /p/report.html',
      '  exit code 0',
    ])
    const stopped = renderMissionEnd({ type: 'mission-end', missionId: 'm', state: 'stopped', reason: 'no progress in 3 turns', exitCode: 2, elapsedMs: 9_000, todos: { verified: 0, total: 2, failed: 0 }, tokens: 1 }, plain)
    expect(stopped).toContain('■ Mission stopped after 9.0 s.')
    expect(stopped).toContain('Reason: no progress in 3 turns')
    expect(renderMissionEnd({ type: 'mission-end', missionId: 'm', state: 'failed', reason: '401', exitCode: 1, elapsedMs: 1, todos: { verified: 0, total: 0, failed: 0 }, tokens: 0 }, plain)).toContain('✖ Mission failed')
  })

  it('ends without saying the state twice, and never draws a cancelled task as failed', () => {
    const end = renderMissionEnd(
      { type: 'mission-end', missionId: 'm', state: 'stopped', reason: 'stopped: no todo progress in 3 turns (t1 still open)', exitCode: 3, elapsedMs: 12_000, todos: { verified: 0, total: 1, failed: 0 }, tokens: 10 },
      plain,
    )
    expect(end).toContain('Reason: no todo progress in 3 turns (t1 still open)')
    expect(end).not.toContain('stopped: stopped')
    const line = renderEventLine({ type: 'task-end', taskId: 'task_2', agent: 'worker', title: 't2', status: 'cancelled', error: 'mission-ended: mission stopped by the user (/stop)' }, plain)
    expect(line).toBe('■ worker task_2 t2 — cancelled: mission-ended: mission stopped by the user (/stop)')
  })
})
