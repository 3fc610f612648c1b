import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { acquireInstanceLock } from './instance-lock'
import { readProcessIdentity } from './process-identity'

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})
const lockPath = () => {
  const root = mkdtempSync(join(tmpdir(), 'instance-lock-'))
  roots.push(root)
  return join(root, 'orchestrator', 'instance.lock')
}

describe('acquireInstanceLock', () => {
  it('one instance per project: a second instance in the same process stays out while the first holds it', async () => {
    const path = lockPath()
    const self = await readProcessIdentity(process.pid)
    const first = await acquireInstanceLock({ path, instance: 'plugin_a', process: self, now: () => 1 })
    const second = await acquireInstanceLock({ path, instance: 'plugin_b', process: self, now: () => 2 })
    expect(first.acquired).toBe(true)
    expect(second).toEqual({ acquired: false, holder: { instance: 'plugin_a', process: self, acquiredAt: 1 } })
    // Released on dispose: the next one gets it.
    if (first.acquired) await first.release()
    const third = await acquireInstanceLock({ path, instance: 'plugin_c', process: self, now: () => 3 })
    expect(third.acquired).toBe(true)
  })

  it('takes over the lock of a process that is gone (a killed OpenCode)', async () => {
    const path = lockPath()
    const self = await readProcessIdentity(process.pid)
    const stale = await acquireInstanceLock({ path, instance: 'plugin_dead', process: { pid: self!.pid, startTicks: '1' }, now: () => 1 })
    expect(stale.acquired).toBe(true)
    const next = await acquireInstanceLock({ path, instance: 'plugin_new', process: self, now: () => 2 })
    expect(next.acquired).toBe(true)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ instance: 'plugin_new' })
  })

  it('takes over an unreadable lock file, and a release never removes a successor’s lock', async () => {
    const path = lockPath()
    const self = await readProcessIdentity(process.pid)
    const first = await acquireInstanceLock({ path, instance: 'plugin_a', process: self, now: () => 1 })
    writeFileSync(path, '{"inst')
    const second = await acquireInstanceLock({ path, instance: 'plugin_b', process: self, now: () => 2 })
    expect(second.acquired).toBe(true)
    if (first.acquired) await first.release()
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ instance: 'plugin_b' })
  })
})
