import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { findMissionForSession, listMissionJournals, readMissionJournal } from './mission-journals'
import { missionRecord } from './test-support/mission-record'

let missions: string

beforeEach(async () => {
  missions = join(await mkdtemp(join(tmpdir(), 'cli-journals-')), 'missions')
  await mkdir(missions, { recursive: true })
})

afterEach(async () => {
  await rm(join(missions, '..'), { recursive: true, force: true })
})

const save = (name: string, content: unknown) => writeFile(join(missions, name), typeof content === 'string' ? content : JSON.stringify(content))

describe('mission journals', () => {
  it('lists readable journals newest first and names the unreadable ones', async () => {
    await save('mission_a.json', missionRecord({ id: 'mission_a', createdAt: 1 }))
    await save('mission_b.json', missionRecord({ id: 'mission_b', createdAt: 2, rootSessionId: 'ses_b' }))
    await save('mission_c.json', '{"version":1,')
    await save('notes.txt', 'ignored')
    await mkdir(join(missions, 'mission_a'))
    const { missions: records, problems } = await listMissionJournals(missions)
    expect(records.map((record) => record.id)).toEqual(['mission_b', 'mission_a'])
    expect(problems).toHaveLength(1)
    expect(problems[0]!.error.code).toBe('journal-corrupt')
    expect(problems[0]!.error.message).toContain('mission_c.json is not valid JSON')
    expect((await findMissionForSession(missions, 'ses_b'))?.id).toBe('mission_b')
    expect(await findMissionForSession(missions, 'ses_none')).toBeUndefined()
  })

  it('treats a missing folder as no missions', async () => {
    expect(await listMissionJournals(join(missions, 'nope'))).toEqual({ missions: [], problems: [] })
  })

  it('reads one journal; an unknown id says how to list the ids', async () => {
    await save('mission_a.json', missionRecord({ id: 'mission_a' }))
    expect((await readMissionJournal(missions, 'mission_a')).id).toBe('mission_a')
    const error = await readMissionJournal(missions, 'mission_zz').catch((caught: unknown) => caught)
    expect(OrchestratorError.hasCode(error, 'mission-not-found')).toBe(true)
    expect((error as Error).message).toContain('orchestrator status')
  })

  it('rejects a malformed journal and one from a newer version, naming the file', async () => {
    await save('mission_bad.json', { ...missionRecord({ id: 'mission_bad' }), state: 'exploded' })
    await save('mission_new.json', { ...missionRecord({ id: 'mission_new' }), version: 99 })
    await expect(readMissionJournal(missions, 'mission_bad')).rejects.toThrow(/mission_bad\.json is malformed at state/)
    await expect(readMissionJournal(missions, 'mission_new')).rejects.toMatchObject({ code: 'journal-version' })
  })
})
