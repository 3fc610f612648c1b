import picocolors from 'picocolors'
import { describe, expect, it } from 'vitest'
import type { ProgressSnapshot } from './run-event'
import { createJsonLinesReporter, createTerminalReporter, type OutputStream } from './run-reporter'

function memoryStream(isTTY = false): OutputStream & { text: () => string } {
  const chunks: string[] = []
  return { isTTY, write: (chunk) => chunks.push(chunk) > 0, text: () => chunks.join('') }
}

const snapshot = (overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  missionId: 'mission_1',
  state: 'waiting',
  todos: { verified: 0, total: 3, failed: 0 },
  workers: { running: 2, queued: 0 },
  agents: { worker: 2 },
  recoveries: { inProgress: 0, notices: 0 },
  tokens: 100,
  elapsedMs: 1_000,
  ...overrides,
})

describe('createJsonLinesReporter', () => {
  it('writes one parseable JSON object per line with type and time; progress only on change', () => {
    const stream = memoryStream()
    let now = 5_000
    const reporter = createJsonLinesReporter({ stream, now: () => now })
    reporter.note('Starting OpenCode…')
    reporter.emit({ type: 'mission-start', missionId: 'mission_1', sessionId: 'ses_1', goal: 'say "hi"\nand leave', directory: '/p', server: { url: 'http://127.0.0.1:1', pid: 42 }, demo: false })
    reporter.progress(snapshot())
    now = 6_000
    reporter.progress(snapshot({ elapsedMs: 2_000 }))
    reporter.progress(snapshot({ todos: { verified: 1, total: 3, failed: 0 } }))
    reporter.emit({ type: 'mission-end', missionId: 'mission_1', state: 'sealed', reason: 'sealed', exitCode: 0, elapsedMs: 3_000, todos: { verified: 3, total: 3, failed: 0 }, tokens: 9 })
    const lines = stream.text().trimEnd().split('\n')
    const objects = lines.map((line) => JSON.parse(line) as { type: string; at: number })
    expect(objects.map((item) => item.type)).toEqual(['mission-start', 'progress', 'progress', 'mission-end'])
    expect(objects[0]).toMatchObject({ at: 5_000, goal: 'say "hi"\nand leave', server: { pid: 42 } })
    expect(objects[2]).toMatchObject({ at: 6_000, todos: { verified: 1 } })
  })
})

describe('createTerminalReporter without a terminal', () => {
  it('prints plain lines: notes, activity, a progress line per change, the ending', () => {
    const stream = memoryStream(false)
    const reporter = createTerminalReporter({ stream, colors: picocolors.createColors(false), goal: 'Add slugify' })
    reporter.note('Starting OpenCode…')
    reporter.progress(snapshot())
    reporter.progress(snapshot({ elapsedMs: 5_000 }))
    reporter.emit({ type: 'task-start', taskId: 'task_1', agent: 'worker', title: 't1', todoIds: [] })
    reporter.emit({ type: 'mission-end', missionId: 'mission_1', state: 'sealed', reason: 'sealed', exitCode: 0, elapsedMs: 3_000, todos: { verified: 3, total: 3, failed: 0 }, tokens: 9 })
    reporter.close()
    const text = stream.text()
    expect(text).not.toContain(`${String.fromCharCode(27)}[`)
    expect(text.split('\n').filter((line) => line.startsWith('progress'))).toEqual(['progress waiting for tasks · 0/3 todos verified · 2 workers running · 100 tokens'])
    expect(text).toContain('Starting OpenCode…\n')
    expect(text).toContain('▶ worker task_1 t1\n')
    expect(text).toContain('✔ Mission sealed in 3.0 s: 3/3 todos verified.')
  })
})

describe('createTerminalReporter on a terminal', () => {
  it('redraws the live block in place and keeps activity lines above it', () => {
    const stream = Object.assign(memoryStream(true), { columns: 100, rows: 40 })
    const reporter = createTerminalReporter({ stream, colors: picocolors.createColors(false), goal: 'Add slugify' })
    reporter.progress(snapshot())
    reporter.emit({ type: 'task-start', taskId: 'task_1', agent: 'worker', title: 't1', todoIds: [] })
    reporter.progress(snapshot({ todos: { verified: 2, total: 3, failed: 0 } }))
    reporter.emit({ type: 'mission-end', missionId: 'mission_1', state: 'sealed', reason: 'sealed', exitCode: 0, elapsedMs: 3_000, todos: { verified: 3, total: 3, failed: 0 }, tokens: 9 })
    reporter.close()
    const text = stream.text()
    // Cursor movement and line erasing: the block is redrawn, not appended.
    const escape = String.fromCharCode(27)
    expect(text.includes(`${escape}[2K`) || text.includes(`${escape}[1A`)).toBe(true)
    expect(text).toContain('▶ worker task_1 t1')
    expect(text).toContain('2/3 verified')
    expect(text.trimEnd().endsWith('exit code 0')).toBe(true)
  })
})
