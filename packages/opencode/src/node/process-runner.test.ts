import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { OrchestratorError, createLogger } from '@opencode-orchestrator/core'
import type { LogLevel, ProcessHandle } from '@opencode-orchestrator/core'
import { createProcessRunner } from './process-runner'
import type { NodeProcessRunner } from './process-runner'
import { isPidAlive } from './process-probe.test-helper'

let cwd: string
const entries: Array<{ level: LogLevel; message: string }> = []
const logger = createLogger((entry) => entries.push(entry))
const runners: NodeProcessRunner[] = []

function makeRunner(options: { killGraceMs?: number; maxOutputBytes?: number } = {}) {
  const runner = createProcessRunner({ logger, killGraceMs: 300, ...options })
  runners.push(runner)
  return runner
}

/** Waits (without timing assertions) until the process printed `count` lines. */
async function lines(handle: ProcessHandle, count: number): Promise<string[]> {
  await vi.waitFor(() => expect(handle.output().text.split('\n').length).toBeGreaterThan(count), { timeout: 10_000, interval: 10 })
  return handle.output().text.split('\n').slice(0, count)
}

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'process-runner-'))
})

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.disposeAll({ signal: 'SIGKILL' })))
  entries.length = 0
})

afterAll(async () => {
  await rm(cwd, { recursive: true, force: true })
})

describe('createProcessRunner', () => {
  it('captures stdout and stderr and reports the exit code', async () => {
    const handle = makeRunner().spawn({ command: "printf 'out\\n'; printf 'err\\n' >&2; printf \"$GREETING\\n\"; exit 3", cwd, env: { GREETING: 'hi' } })
    expect(handle.pid).toBeGreaterThan(1)
    expect(await handle.exited).toEqual({ code: 3, signal: null })
    const { text, nextByte, truncated } = handle.output()
    // stdout and stderr are separate pipes: their relative order is not defined.
    expect(text.split('\n').sort()).toEqual(['', 'err', 'hi', 'out'])
    expect(nextByte).toBe(11)
    expect(truncated).toBe(false)
  })

  it('reads new output since a byte, the tail, and says when output was truncated', async () => {
    const runner = makeRunner({ maxOutputBytes: 16 })
    const handle = runner.spawn({ command: 'i=0; while [ $i -lt 10 ]; do printf "line-$i|"; i=$((i+1)); done', cwd })
    await handle.exited
    const all = handle.output()
    expect(all.nextByte).toBe(70)
    expect(all.truncated).toBe(true)
    expect(all.text).toBe('7|line-8|line-9|')
    expect(handle.output({ tailBytes: 7 })).toEqual({ text: 'line-9|', nextByte: 70, truncated: false })
    expect(handle.output({ sinceByte: 63 })).toEqual({ text: 'line-9|', nextByte: 70, truncated: false })
    expect(handle.output({ sinceByte: 70 }).text).toBe('')
    expect(handle.output({ sinceByte: 10 }).truncated).toBe(true)

    const roomy = runner.spawn({ command: 'printf abc; printf def', cwd, outputLimitBytes: 1024 })
    await roomy.exited
    expect(roomy.output()).toEqual({ text: 'abcdef', nextByte: 6, truncated: false })
  })

  it('detects exit by the process, not by its output', async () => {
    const handle = makeRunner().spawn({ command: 'echo "exit 0"; echo done; kill -9 $$', cwd })
    expect(await handle.exited).toEqual({ code: null, signal: 'SIGKILL' })
  })

  it('kills the whole process group, grandchildren included', async () => {
    const handle = makeRunner().spawn({ command: 'sleep 30 & echo $!; sleep 30', cwd })
    const [grandchild] = await lines(handle, 1)
    const grandchildPid = Number(grandchild)
    expect(grandchildPid).toBeGreaterThan(1)
    expect(isPidAlive(handle.pid)).toBe(true)
    expect(isPidAlive(grandchildPid)).toBe(true)

    expect(await handle.kill()).toEqual({ code: null, signal: 'SIGTERM' })
    expect(isPidAlive(handle.pid)).toBe(false)
    expect(isPidAlive(grandchildPid)).toBe(false)
    expect(entries.filter((entry) => entry.message.includes('SIGKILL'))).toEqual([])
  })

  it('escalates to SIGKILL when the group ignores SIGTERM', async () => {
    const handle = makeRunner({ killGraceMs: 150 }).spawn({ command: "trap '' TERM; sleep 30 & echo $!; wait", cwd })
    const grandchildPid = Number((await lines(handle, 1))[0])
    const exit = await handle.kill()
    expect(exit).toEqual({ code: null, signal: 'SIGKILL' })
    expect(isPidAlive(handle.pid)).toBe(false)
    expect(isPidAlive(grandchildPid)).toBe(false)
    expect(entries.some((entry) => entry.level === 'warn' && entry.message.includes('sending SIGKILL'))).toBe(true)
  })

  it('resolves a kill of an exited process at once with its exit', async () => {
    const handle = makeRunner().spawn({ command: 'exit 7', cwd })
    const exit = await handle.exited
    await expect(handle.kill()).resolves.toEqual(exit)
    await expect(handle.kill('SIGKILL')).resolves.toEqual({ code: 7, signal: null })
  })

  it('settles exited when the leader exits although a background child keeps the pipes open, and kill still reaches it', async () => {
    const runner = makeRunner()
    const handle = runner.spawn({ command: 'sleep 30 & echo $!', cwd })
    expect(await handle.exited).toEqual({ code: 0, signal: null })
    const leftover = Number(handle.output().text.trim())
    expect(isPidAlive(leftover)).toBe(true)
    expect(runner.activeCount).toBe(1)
    await handle.kill()
    expect(isPidAlive(leftover)).toBe(false)
    expect(runner.activeCount).toBe(0)
  })

  it('reports a missing working directory through exited and kill, not as an unhandled error', async () => {
    const handle = makeRunner().spawn({ command: 'echo never', cwd: join(cwd, 'does-not-exist') })
    expect(handle.pid).toBe(0)
    const error = await handle.exited.catch((caught: unknown) => caught)
    expect(OrchestratorError.hasCode(error, 'invalid-argument')).toBe(true)
    expect((error as Error).message).toContain('does-not-exist')
    await expect(handle.kill()).rejects.toThrow(/does-not-exist/)
    expect(entries.some((entry) => entry.level === 'error' && entry.message.includes('does-not-exist'))).toBe(true)
  })

  it('reports a missing shell as a host failure', async () => {
    const runner = createProcessRunner({ logger, shell: join(cwd, 'no-such-shell') })
    runners.push(runner)
    const handle = runner.spawn({ command: 'true', cwd })
    const error = await handle.exited.catch((caught: unknown) => caught)
    expect(OrchestratorError.hasCode(error, 'host-failed')).toBe(true)
    expect((error as Error).message).toContain('no-such-shell')
  })

  it('rejects bad input synchronously, naming the field', () => {
    const runner = makeRunner()
    expect(() => runner.spawn({ command: '  ', cwd })).toThrow(/Command/)
    expect(() => runner.spawn({ command: 'true', cwd: 'relative' })).toThrow(/Working directory "relative"/)
    expect(() => runner.spawn({ command: 'true', cwd, outputLimitBytes: 0 })).toThrow(/outputLimitBytes|Output limit/)
    expect(() => createProcessRunner({ logger, killGraceMs: -1 })).toThrow(/killGraceMs/)
  })

  it('disposeAll kills every process it started and refuses new ones', async () => {
    const runner = makeRunner()
    const handles = [
      runner.spawn({ command: 'sleep 30 & echo $!; sleep 30', cwd }),
      runner.spawn({ command: 'sleep 30 & echo $!; sleep 30', cwd }),
      runner.spawn({ command: "trap '' TERM; echo $$; sleep 30", cwd }),
    ]
    const pids = [...handles.map((handle) => handle.pid)]
    for (const handle of handles) pids.push(Number((await lines(handle, 1))[0]))
    expect(pids.every(isPidAlive)).toBe(true)
    expect(runner.activeCount).toBe(3)

    await runner.disposeAll()
    expect(pids.filter(isPidAlive)).toEqual([])
    expect(runner.activeCount).toBe(0)
    for (const handle of handles) expect((await handle.exited).signal).toMatch(/SIGTERM|SIGKILL/)
    expect(() => runner.spawn({ command: 'true', cwd })).toThrow(/disposed/)
  })

  it('never signals processes it did not start', async () => {
    const other = makeRunner()
    const bystander = other.spawn({ command: 'sleep 30', cwd })
    const runner = makeRunner()
    const own = runner.spawn({ command: 'sleep 30', cwd })
    await runner.disposeAll()
    expect(isPidAlive(own.pid)).toBe(false)
    expect(isPidAlive(bystander.pid)).toBe(true)
  })
})
