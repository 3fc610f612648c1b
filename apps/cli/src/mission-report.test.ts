import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, type HostMessage } from '@opencode-orchestrator/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { missionFiles } from './mission-files'
import { writeMissionReport } from './mission-report'
import { missionRecord, task } from './test-support/mission-record'

let missions: string
const logger = createLogger(() => undefined)

beforeEach(async () => {
  missions = join(await mkdtemp(join(tmpdir(), 'cli-report-')), 'missions')
  await mkdir(missions, { recursive: true })
})

afterEach(async () => {
  await rm(join(missions, '..'), { recursive: true, force: true })
})

const record = missionRecord({
  state: 'sealed',
  end: { at: 9_000, reason: 'sealed: the todo is done and verified by the Reviewer' },
  tasks: [task('task_1', { status: 'completed', sessionId: 'ses_w1', startedAt: 2_000, endedAt: 5_000 })],
  sessions: [
    { sessionId: 'ses_root', agent: 'commander', depth: 0 },
    { sessionId: 'ses_w1', agent: 'worker', depth: 1, taskId: 'task_1', parentSessionId: 'ses_root' },
  ],
})

const turn = (sessionId: string, id: string, start: number, end: number): HostMessage => ({
  id,
  sessionId,
  role: 'assistant',
  createdAt: start,
  completedAt: end,
  finish: 'stop',
  text: 'done',
  toolCalls: [{ callId: `${id}_call`, tool: 'write', status: 'completed', input: { filePath: 'a.ts' }, startedAt: start + 10, endedAt: start + 20 }],
})

describe('writeMissionReport', () => {
  it('run writes timeline.json beside report.html, and a later `orchestrator report` redraws that one (turns and tool calls kept)', async () => {
    await writeFile(join(missions, 'mission_1.json'), JSON.stringify(record))
    const messages = { ses_root: [turn('ses_root', 'm1', 1_500, 8_000)], ses_w1: [turn('ses_w1', 'm2', 2_100, 4_900)] }
    const files = missionFiles(missions, 'mission_1')

    const run = await writeMissionReport({ missions, missionId: 'mission_1', now: 10_000, logger, messages })
    expect(run.source).toBe('journal')
    const timeline = JSON.parse(await readFile(files.timeline, 'utf8')) as { lanes: Array<{ source: string; toolCalls: number }> }
    expect(timeline.lanes.map((lane) => [lane.source, lane.toolCalls])).toEqual([
      ['messages', 1],
      ['messages', 1],
    ])
    const richReport = await readFile(files.report, 'utf8')

    const later = await writeMissionReport({ missions, missionId: 'mission_1', now: 20_000, logger })
    expect(later.source).toBe('timeline.json')
    const redrawn = await readFile(files.report, 'utf8')
    expect(redrawn).not.toContain('messages unavailable')
    expect(redrawn).toBe(richReport)
  })

  it('keeps an existing report it could only redraw poorer (no timeline.json, no messages)', async () => {
    await writeFile(join(missions, 'mission_1.json'), JSON.stringify(record))
    const files = missionFiles(missions, 'mission_1')
    await mkdir(join(missions, 'mission_1'), { recursive: true })
    await writeFile(files.report, '<html>the rich report</html>')
    const written = await writeMissionReport({ missions, missionId: 'mission_1', now: 20_000, logger })
    expect(written.source).toBe('kept')
    expect(await readFile(files.report, 'utf8')).toBe('<html>the rich report</html>')
  })

  it('builds from the journal when there is no report yet', async () => {
    await writeFile(join(missions, 'mission_1.json'), JSON.stringify(record))
    const written = await writeMissionReport({ missions, missionId: 'mission_1', now: 20_000, logger })
    expect(written.source).toBe('journal')
    expect(await readFile(written.path, 'utf8')).toContain('messages unavailable')
  })
})
