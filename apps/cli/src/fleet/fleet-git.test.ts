import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cloneAtRef, commitAndPush } from './fleet-git'

let root: string
let origin: string
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'fleet-git-'))
  origin = join(root, 'origin.git')
  const seed = join(root, 'seed')
  execFileSync('git', ['init', '-q', '--bare', origin])
  execFileSync('git', ['init', '-q', '-b', 'main', seed])
  writeFileSync(join(seed, 'README.md'), 'hello\n')
  execFileSync('git', ['add', '.'], { cwd: seed })
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init'], { cwd: seed })
  execFileSync('git', ['push', '-q', origin, 'main'], { cwd: seed })
  execFileSync('git', ['-C', seed, 'tag', 'v1'])
  execFileSync('git', ['push', '-q', origin, 'v1'], { cwd: seed })
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Real redis-server / git processes on a shared two-core machine: more than vitest's 5 s default.
describe('fleet git', { timeout: 60_000 }, () => {
  it('clones at a branch or a tag, commits the work and pushes it as the mission branch', async () => {
    const directory = join(root, 'work-1')
    const head = await cloneAtRef({ repo: origin, ref: 'v1', directory, parent: root })
    expect(head).toMatch(/^[0-9a-f]{40}$/)
    writeFileSync(join(directory, 'FLEET.md'), 'done\n')
    await commitAndPush({ directory, branch: 'orchestrator/fm-test-1', message: 'orchestrator: test' })
    expect(execFileSync('git', ['show', 'orchestrator/fm-test-1:FLEET.md'], { cwd: origin, encoding: 'utf8' })).toBe('done\n')
  })

  it('an option-looking ref or repo reaches git as an operand after `--`, never as an option', async () => {
    const marker = join(root, 'pwned')
    await expect(cloneAtRef({ repo: origin, ref: `--upload-pack=touch ${marker}`, directory: join(root, 'work-2'), parent: root })).rejects.toThrow(/git fetch/)
    await expect(cloneAtRef({ repo: `--upload-pack=touch ${marker}`, ref: 'main', directory: join(root, 'work-3'), parent: root })).rejects.toThrow(/git clone/)
    expect(existsSync(marker)).toBe(false)
    // Remote helpers that run programs are off even if a value got past validation.
    await expect(cloneAtRef({ repo: `ext::sh -c touch% ${marker}`, ref: 'main', directory: join(root, 'work-4'), parent: root })).rejects.toThrow()
    expect(existsSync(marker)).toBe(false)
  })
})
