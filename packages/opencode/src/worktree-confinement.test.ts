import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createShellConfinement } from './node'
import { confinementRefusal } from './worktree-confinement'

const bases: string[] = []
afterEach(() => {
  for (const base of bases.splice(0)) rmSync(base, { recursive: true, force: true })
})

describe('a Worker file tool in its worktree', () => {
  it('is refused a path that leaves the worktree by its words or through a link; a path inside runs', async () => {
    const base = mkdtempSync(join(tmpdir(), 'worktree-confinement-'))
    bases.push(base)
    const worktree = join(base, 'wt')
    mkdirSync(join(base, 'main'))
    mkdirSync(worktree)
    symlinkSync(join(base, 'main'), join(worktree, 'out'))
    const refuse = (tool: string, args: Record<string, unknown>) => confinementRefusal({ tool, args, boundary: worktree, confinement: createShellConfinement() })
    expect(await refuse('write', { filePath: 'src/a.ts' })).toBeUndefined()
    expect(await refuse('write', { filePath: join(base, 'main', 'a.ts') })).toContain(`write would change ${join(base, 'main', 'a.ts')}`)
    expect(await refuse('edit', { filePath: 'out/a.ts' })).toContain(`edit would change ${join(worktree, 'out', 'a.ts')}`)
    expect(await refuse('apply_patch', { patchText: '*** Begin Patch\n*** Add File: out/b.ts\n+x\n*** End Patch' })).toContain('apply_patch would change')
    expect(await refuse('bash', { command: 'ls', workdir: 'out' })).toContain('the working directory (workdir) is')
  })
})
