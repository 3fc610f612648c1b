import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, createUnlimitedDispatcher } from '@opencode-orchestrator/core'
import { createFakeClock, createFakeHost } from '@opencode-orchestrator/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createDispatchTrace, type DispatchTraceEntry } from './dispatch-trace'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

describe('createDispatchTrace', () => {
  it('times request → grant → create → prompt and appends them as JSONL', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'dispatch-trace-'))
    directories.push(directory)
    const file = join(directory, 'trace.jsonl')
    const clock = createFakeClock({ start: 1_000 })
    const errors: unknown[] = []
    const trace = createDispatchTrace({ file, clock, logger: createLogger((entry) => void errors.push(entry)) })
    const fake = createFakeHost({ clock })
    fake.onAgent('worker', { reply: 'done' })
    const root = await fake.sessions.create({ title: 'root' })
    const host = trace.traceHost(fake)
    const dispatcher = trace.traceDispatcher(createUnlimitedDispatcher())

    const lease = await dispatcher.request({ taskId: 'task_1', missionId: 'mission_1', agent: 'worker', priority: 0, depth: 1, parentSessionId: root.id }).granted
    const session = await host.sessions.create({ title: 'worker: part 1', parentId: root.id, agent: 'worker' })
    await host.sessions.promptAsync({ sessionId: session.id, text: 'do it' })
    lease.release()
    await trace.flush()

    const entries = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DispatchTraceEntry)
    expect(entries.map((entry) => entry.step)).toEqual(['request', 'grant', 'create-start', 'create-end', 'prompt-start', 'prompt-end'])
    expect(entries[3]).toMatchObject({ title: 'worker: part 1', sessionId: session.id })
    expect(entries[5]).toMatchObject({ sessionId: session.id })
    expect(entries.every((entry) => entry.at === 1_000)).toBe(true)
    expect(errors).toEqual([])
  })

  it('records a failed create with its error and still throws it', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'dispatch-trace-'))
    directories.push(directory)
    const file = join(directory, 'trace.jsonl')
    const clock = createFakeClock({ start: 5 })
    const trace = createDispatchTrace({ file, clock, logger: createLogger(() => undefined) })
    const failing = createFakeHost({ clock })
    const host = trace.traceHost({ ...failing, sessions: { ...failing.sessions, create: () => Promise.reject(new Error('HTTP 500')) } })
    await expect(host.sessions.create({ title: 'worker: part 2' })).rejects.toThrow('HTTP 500')
    await trace.flush()
    expect(JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[1]!)).toMatchObject({ step: 'create-end', title: 'worker: part 2', error: 'HTTP 500' })
  })
})
