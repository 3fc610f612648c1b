import { mkdtemp, readdir, readFile, rm, symlink, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OrchestratorError, createLogger } from '@opencode-orchestrator/core'
import type { Storage } from '@opencode-orchestrator/core'
import { TEMPORARY_FILE_PREFIX, createFileStorage } from './file-storage'

const logger = createLogger(() => {})
let root: string
let storage: Storage

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-storage-'))
  storage = createFileStorage({ root, logger })
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

async function expectCode(promise: Promise<unknown>, code: string, mention?: string) {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  expect(OrchestratorError.isInstance(error), `expected OrchestratorError ${code}, got ${String(error)}`).toBe(true)
  expect((error as OrchestratorError).code).toBe(code)
  if (mention !== undefined) expect((error as OrchestratorError).message).toContain(mention)
}

describe('createFileStorage', () => {
  it('writes, reads, appends, sizes, renames, lists and removes', async () => {
    expect(await storage.read('missions/m1.json')).toBeUndefined()
    await storage.write('missions/m1.json', '{"a":1}')
    expect(await storage.read('missions/m1.json')).toBe('{"a":1}')
    await storage.write('missions/m1.json', 'é')
    expect(await storage.read('missions/m1.json')).toBe('é')
    expect(await storage.size('missions/m1.json')).toBe(2)
    expect(await storage.size('missions/none.json')).toBeUndefined()

    await storage.append('logs/deep/tasks.jsonl', 'one\n')
    await storage.append('logs/deep/tasks.jsonl', 'two\n')
    expect(await storage.read('logs/deep/tasks.jsonl')).toBe('one\ntwo\n')

    await storage.rename('missions/m1.json', 'archive/2024/m1.json')
    expect(await storage.read('missions/m1.json')).toBeUndefined()
    expect(await storage.read('archive/2024/m1.json')).toBe('é')

    await storage.write('missions/b.json', 'b')
    await storage.write('missions/a.json', 'a')
    await mkdir(join(root, 'missions', 'subfolder'))
    expect(await storage.list('missions')).toEqual(['a.json', 'b.json'])
    expect(await storage.list('missions/')).toEqual(['a.json', 'b.json'])
    expect(await storage.list('')).toEqual([])
    expect(await storage.list('nowhere')).toEqual([])

    await storage.remove('missions/a.json')
    await storage.remove('missions/a.json')
    await storage.remove('nowhere/x.json')
    expect(await storage.list('missions')).toEqual(['b.json'])
  })

  it('rejects paths that leave the root, naming the path', async () => {
    for (const path of ['/etc/passwd', '../outside.json', 'a/../../outside.json', 'a/..', 'a\0b', 'a\\..\\b', 'C:/x', '', '.']) {
      await expectCode(storage.write(path, 'x'), 'invalid-argument', JSON.stringify(path))
      await expectCode(storage.read(path), 'invalid-argument')
    }
    await expectCode(storage.list('..'), 'invalid-argument', '".."')
    await expectCode(storage.rename('ok.json', '../escape.json'), 'invalid-argument', 'to')
    await expectCode(storage.remove('/tmp/x'), 'invalid-argument')
    await expectCode(storage.append('../x', 'y'), 'invalid-argument')
    await expectCode(storage.size('../x'), 'invalid-argument')
    expect(await readdir(join(root, '..'))).not.toContain('outside.json')
  })

  it('needs an absolute root', () => {
    expect(() => createFileStorage({ root: 'relative/dir', logger })).toThrow(/absolute/)
  })

  it('fails clearly when renaming a missing file or writing under a file', async () => {
    await expectCode(storage.rename('missing.json', 'other.json'), 'storage-failed', 'missing.json')
    await storage.write('plain', 'x')
    await expectCode(storage.write('plain/child.json', 'y'), 'storage-failed', 'plain/child.json')
    expect(await readdir(root)).toEqual(['plain'])
  })

  it('never leaves a torn file under concurrent writes from two instances', async () => {
    const other = createFileStorage({ root, logger })
    // Large contents so each write needs several system calls.
    const contents = Array.from({ length: 24 }, (_, index) =>
      JSON.stringify({ writer: index, filler: String(index % 10).repeat(50_000 + index * 997) }),
    )
    const valid = new Set(contents)
    const torn: string[] = []
    let readCount = 0
    let writing = true
    // Readers poll the file for as long as the writers run.
    const readers = [storage, other].map(async (reader) => {
      while (writing) {
        const seen = await reader.read('state/mission.json')
        readCount += 1
        if (seen !== undefined && !valid.has(seen)) torn.push(seen.slice(0, 40))
      }
    })
    await Promise.all(contents.map((content, index) => (index % 2 === 0 ? storage : other).write('state/mission.json', content)))
    writing = false
    await Promise.all(readers)
    expect(readCount).toBeGreaterThan(0)
    expect(torn).toEqual([])
    const final = await storage.read('state/mission.json')
    expect(final !== undefined && valid.has(final)).toBe(true)
    expect(JSON.parse(final ?? '')).toHaveProperty('writer')
    expect(await readdir(join(root, 'state'))).toEqual(['mission.json'])
  })

  it('applies the writes of one instance in call order: the last call wins', async () => {
    const writes = Array.from({ length: 30 }, (_, index) => storage.write('order.json', `v${index}`.repeat(1000 + ((index * 7919) % 5000))))
    await Promise.all(writes)
    expect((await storage.read('order.json'))?.startsWith('v29')).toBe(true)
  })

  it('ignores the temporary file a crashed write left behind', async () => {
    await storage.write('missions/m1.json', '{"ok":true}')
    // A write that crashed after creating its temporary file but before the rename.
    await writeFile(join(root, 'missions', `${TEMPORARY_FILE_PREFIX}4242-7-deadbeef`), '{"ok":tr')
    expect(await storage.list('missions')).toEqual(['m1.json'])
    expect(await storage.read('missions/m1.json')).toBe('{"ok":true}')
    await storage.write('missions/m1.json', '{"ok":"again"}')
    expect(await storage.read('missions/m1.json')).toBe('{"ok":"again"}')
    expect(await storage.list('missions')).toEqual(['m1.json'])
  })
})

describe('createFileStorage: symbolic links never lead out of the project (issue 18 #10)', () => {
  let project: string
  let outside: string
  let linked: Storage

  beforeEach(async () => {
    project = await mkdtemp(join(tmpdir(), 'file-storage-project-'))
    outside = await mkdtemp(join(tmpdir(), 'file-storage-outside-'))
    await mkdir(join(project, '.opencode', 'orchestrator'), { recursive: true })
    linked = createFileStorage({ root: join(project, '.opencode', 'orchestrator'), boundary: project, logger })
  })

  afterEach(async () => {
    await rm(project, { recursive: true, force: true })
    await rm(outside, { recursive: true, force: true })
  })

  const state = (...parts: string[]) => join(project, '.opencode', 'orchestrator', ...parts)

  it('never appends model-controlled lines to the target of a linked archive file', async () => {
    const target = join(outside, 'victim.txt')
    await writeFile(target, 'precious\n')
    await mkdir(state('archive'))
    await symlink(target, state('archive', 'tasks-000001.jsonl'))
    await expectCode(linked.append('archive/tasks-000001.jsonl', '{"model":"controlled"}\n'), 'storage-failed', 'archive/tasks-000001.jsonl is a symbolic link')
    expect(await readFile(target, 'utf8')).toBe('precious\n')
    await expectCode(linked.read('archive/tasks-000001.jsonl'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.size('archive/tasks-000001.jsonl'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.write('archive/tasks-000001.jsonl', 'x'), 'storage-failed', 'is a symbolic link')
    expect(await readFile(target, 'utf8')).toBe('precious\n')
  })

  it('never puts journals into the target of a linked missions/ folder, nor reads or lists it', async () => {
    await writeFile(join(outside, 'm0.json'), '{"planted":true}')
    await symlink(outside, state('missions'))
    await expectCode(linked.write('missions/m1.json', '{}'), 'storage-failed', `${join('.opencode', 'orchestrator', 'missions')} is a symbolic link to ${outside}`)
    await expectCode(linked.append('missions/m1/events.jsonl', '{}\n'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.read('missions/m0.json'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.list('missions'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.rename('missions/m0.json', 'missions/m0.json.corrupt-1'), 'storage-failed', 'is a symbolic link')
    await expectCode(linked.remove('missions/m0.json'), 'storage-failed', 'is a symbolic link')
    expect((await readdir(outside)).sort()).toEqual(['m0.json'])
  })

  it('refuses a linked .opencode folder between the project and the state root', async () => {
    const project2 = await mkdtemp(join(tmpdir(), 'file-storage-project2-'))
    try {
      await symlink(outside, join(project2, '.opencode'))
      const storage2 = createFileStorage({ root: join(project2, '.opencode', 'orchestrator'), boundary: project2, logger })
      await expectCode(storage2.write('missions/m1.json', '{}'), 'storage-failed', '.opencode is a symbolic link')
      expect(await readdir(outside)).toEqual([])
    } finally {
      await rm(project2, { recursive: true, force: true })
    }
  })

  it('works in a project that is itself reached through a link', async () => {
    const alias = join(outside, 'alias')
    await symlink(project, alias)
    const storage2 = createFileStorage({ root: join(alias, '.opencode', 'orchestrator'), boundary: alias, logger })
    await storage2.write('missions/m1.json', '{}')
    await storage2.append('archive/tasks-000001.jsonl', 'a\n')
    expect(await storage2.read('missions/m1.json')).toBe('{}')
    expect(await readFile(state('archive', 'tasks-000001.jsonl'), 'utf8')).toBe('a\n')
  })

  it('refuses a boundary that does not contain the root', () => {
    expect(() => createFileStorage({ root: join(project, 'state'), boundary: outside, logger })).toThrow(/must be an absolute directory that contains the root/)
  })
})
