import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createFakeClock } from '@opencode-orchestrator/testing'
import { main } from './main'
import { missionRecord, todo } from './test-support/mission-record'

/*
 * main() in-process for everything that needs no OpenCode server: usage
 * errors, status, report. The server paths are covered by the e2e tests.
 */

let project: string

beforeEach(async () => {
  project = await mkdtemp(join(tmpdir(), 'cli-main-'))
})

afterEach(async () => {
  await rm(project, { recursive: true, force: true })
})

async function run(argv: string[]) {
  const out: string[] = []
  const err: string[] = []
  const code = await main({
    argv,
    env: { HOME: project, XDG_CONFIG_HOME: join(project, '.config'), NO_COLOR: '1' },
    cwd: project,
    stdout: { write: (chunk) => out.push(chunk) > 0 },
    stderr: { write: (chunk) => err.push(chunk) > 0 },
    clock: createFakeClock({ start: 120_000 }),
    onInterrupt: () => () => undefined,
    temporaryDirectory: tmpdir(),
  })
  return { code, stdout: out.join(''), stderr: err.join('') }
}

async function saveJournal(name: string, content: unknown) {
  const missions = join(project, '.opencode', 'orchestrator', 'missions')
  await mkdir(missions, { recursive: true })
  await writeFile(join(missions, name), typeof content === 'string' ? content : JSON.stringify(content))
  return missions
}

describe('main', () => {
  it('prints the usage for help and no arguments', async () => {
    const { code, stdout } = await run([])
    expect(code).toBe(0)
    expect(stdout).toContain('orchestrator run "<mission>"')
  })

  it('rejects bad input with exit 64, the fix, and no stack trace', async () => {
    const { code, stderr, stdout } = await run(['run', 'x', '--colour'])
    expect(code).toBe(64)
    expect(stderr).toContain('error: Unknown flag --colour')
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(stdout).toBe('')
  })

  it('also writes the error as a JSON line when --json was asked for', async () => {
    const { code, stdout } = await run(['run', '--json'])
    expect(code).toBe(64)
    expect(JSON.parse(stdout)).toMatchObject({ type: 'error', code: 'invalid-argument', exitCode: 64, message: expect.stringContaining('Missing mission text') })
  })

  it('rejects a --dir that does not exist before starting anything', async () => {
    const { code, stderr } = await run(['run', 'x', '--dir', 'nowhere'])
    expect(code).toBe(64)
    expect(stderr).toContain(`${join(project, 'nowhere')} is not a directory`)
  })

  it('status lists the missions and names a corrupt journal (exit 65)', async () => {
    await saveJournal('mission_a.json', missionRecord({ id: 'mission_a', state: 'sealed', createdAt: 60_000, todos: [todo('t1', { status: 'done', evidence: { summary: 'ok', recordedAt: 1 } })], end: { at: 1, reason: 'sealed: the todo is done' } }))
    await saveJournal('mission_b.json', '{"version":1')
    const { code, stdout, stderr } = await run(['status'])
    expect(code).toBe(65)
    expect(stdout).toContain('mission_a  sealed  1/1    1m 00s ago  sealed: the todo is done')
    expect(stderr).toContain('mission_b.json is not valid JSON')

    const json = await run(['status', '--json'])
    const lines = json.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { type: string })
    expect(lines.map((line) => line.type)).toEqual(['mission', 'problem'])
  })

  it('status and report of a --dir that does not exist exit 64', async () => {
    expect((await run(['status', '--dir', 'nowhere'])).code).toBe(64)
    expect((await run(['report', 'mission_a', '--dir', 'nowhere'])).stderr).toContain('is not a directory')
  })

  it('status of a project without missions says how to start one', async () => {
    const { code, stdout } = await run(['status', '--dir', project])
    expect(code).toBe(0)
    expect(stdout).toContain('No missions in')
  })

  it('report writes the HTML next to the journal and prints its path', async () => {
    const missions = await saveJournal('mission_a.json', missionRecord({ id: 'mission_a', state: 'sealed', todos: [todo('t1', { title: 'Write slugify' })] }))
    const { code, stdout, stderr } = await run(['report', 'mission_a'])
    expect(code, stderr).toBe(0)
    expect(stdout.trim()).toBe(join(missions, 'mission_a', 'report.html'))
    expect(await readFile(stdout.trim(), 'utf8')).toContain('Write slugify')
  })

  it('report of an unknown mission exits 66 and says how to list them; a corrupt one exits 65', async () => {
    await saveJournal('mission_b.json', '{"version":1')
    const unknown = await run(['report', 'mission_zz'])
    expect(unknown.code).toBe(66)
    expect(unknown.stderr).toContain("No mission 'mission_zz'")
    expect(unknown.stderr).toContain('orchestrator status')
    const corrupt = await run(['report', 'mission_b'])
    expect(corrupt.code).toBe(65)
    expect(corrupt.stderr).toContain('mission_b.json is not valid JSON')
  })
})
