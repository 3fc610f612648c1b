import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, systemClock } from '@opencode-orchestrator/core'
import { afterAll, describe, expect, it } from 'vitest'
import { listDescendants, startOpencodeProcess } from './opencode-process'
import { isAlive } from './test-support/cli-process'

/*
 * The process handling, with a stand-in for OpenCode: a shell script that
 * prints the "listening" line, starts a child in a process group of its own
 * (like a background job) and sleeps.
 */

const directory = mkdtempSync(join(tmpdir(), 'cli-process-'))
afterAll(() => rmSync(directory, { recursive: true, force: true }))

const logger = createLogger(() => undefined)

function fakeOpencode(script: string): string {
  const path = join(directory, `opencode-${Math.random().toString(36).slice(2)}`)
  writeFileSync(path, `#!/bin/sh\n${script}\n`)
  chmodSync(path, 0o755)
  return path
}

describe('startOpencodeProcess', () => {
  it('reads the URL, and stop() ends the group and every descendant, even one in its own group', async () => {
    const binary = fakeOpencode(
      [
        'echo "some start-up noise"',
        // A background job of the plugin leads a process group of its own.
        `setsid sleep 300 & echo $! > "${directory}/job.pid"`,
        'echo "opencode server listening on http://127.0.0.1:4321"',
        'sleep 300',
      ].join('\n'),
    )
    const server = await startOpencodeProcess({ binary, directory, env: { PATH: process.env.PATH ?? '' }, clock: systemClock, logger })
    expect(server.url).toBe('http://127.0.0.1:4321')
    const descendants = listDescendants(server.pid)
    expect(descendants.length).toBeGreaterThanOrEqual(2)
    expect(server.logTail()).toContain('some start-up noise')

    await server.stop({ graceMs: 2_000 })
    expect(isAlive(server.pid)).toBe(false)
    expect(descendants.filter(isAlive)).toEqual([])
  })

  it('fails with the last output when OpenCode exits during start-up', async () => {
    const binary = fakeOpencode('echo "Error: config is broken at line 3" >&2\nexit 3')
    await expect(startOpencodeProcess({ binary, directory, env: { PATH: process.env.PATH ?? '' }, clock: systemClock, logger })).rejects.toThrow(
      /OpenCode exited during start-up \(code 3\)\. Last output:\nError: config is broken at line 3/,
    )
  })

  it('stops a start-up that is interrupted (Ctrl-C) and kills what it started', async () => {
    // The stand-in records its own pid and a child's (in a group of its own, like a background job), then never says "listening".
    const pids = join(directory, `interrupted-${Math.random().toString(36).slice(2)}`)
    const binary = fakeOpencode([`echo $$ > "${pids}.self"`, `setsid sleep 300 & echo $! > "${pids}.job"`, 'sleep 300'].join('\n'))
    const controller = new AbortController()
    const starting = startOpencodeProcess({ binary, directory, env: { PATH: process.env.PATH ?? '' }, clock: systemClock, logger, signal: controller.signal })
    const readPid = (path: string) => (existsSync(path) ? Number(readFileSync(path, 'utf8').trim()) || undefined : undefined)
    const deadline = Date.now() + 10_000
    while ((readPid(`${pids}.self`) === undefined || readPid(`${pids}.job`) === undefined) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    const started = [readPid(`${pids}.self`), readPid(`${pids}.job`)]
    expect(started.every((pid) => pid !== undefined && isAlive(pid))).toBe(true)
    controller.abort()
    await expect(starting).rejects.toMatchObject({ code: 'task-cancelled' })
    // What it started is gone, not only the promise: the stand-in and its background child.
    expect(started.filter((pid) => pid !== undefined && isAlive(pid))).toEqual([])
  })
})
