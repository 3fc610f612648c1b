import { createLogger } from '@opencode-orchestrator/core'
import type { FleetJobContext, FleetProgress } from '@opencode-orchestrator/fleet'
import { describe, expect, it } from 'vitest'
import type { ProgressSnapshot } from '../run-event'
import { createFleetJobReporter } from './fleet-job-reporter'

function fakeContext() {
  const progress: FleetProgress[] = []
  const logs: string[] = []
  const context: FleetJobContext = {
    id: 'fm-test-1',
    spec: { repo: '/srv/a.git', ref: 'main', goal: 'g' },
    attempt: 1,
    signal: new AbortController().signal,
    abortReason: () => undefined,
    queuedMs: 0,
    progress: async (value) => void progress.push(value),
    log: async (line) => void logs.push(line),
  }
  return { context, progress, logs }
}

const snapshot = (verified: number, tokens: number, elapsedMs: number): ProgressSnapshot => ({
  missionId: 'mission_1',
  state: 'dispatching',
  todos: { verified, total: 2, failed: 0 },
  workers: { running: 1, queued: 0 },
  agents: { worker: 1 },
  recoveries: { inProgress: 0, notices: 0 },
  tokens,
  elapsedMs,
})

describe('fleet job reporter', () => {
  it("puts the runner's --json event lines into the job log and its progress into the job's progress, throttled", async () => {
    let now = 1_000
    const { context, progress, logs } = fakeContext()
    const reporter = createFleetJobReporter({ context, workerId: 'host:1', now: () => now, logger: createLogger(() => undefined), minIntervalMs: 500 })
    reporter.progress(snapshot(0, 10, 0))
    now += 100
    reporter.progress(snapshot(0, 20, 100)) // too soon: skipped
    now += 100
    reporter.progress(snapshot(0, 20, 200)) // unchanged apart from the time: skipped
    reporter.emit({ type: 'task-end', taskId: 't', agent: 'worker', title: 'write it', status: 'completed' })
    now += 600
    reporter.progress(snapshot(1, 40, 900))
    await reporter.flush()
    expect(progress.map((item) => item.tokens)).toEqual([10, 20, 40, 40])
    expect(progress[1]).toMatchObject({ worker: 'host:1', last: 'worker completed: write it' })
    expect(progress.at(-1)).toMatchObject({ todos: { verified: 1, total: 2, failed: 0 } })
    expect(JSON.parse(logs[0]!)).toMatchObject({ type: 'task-end', agent: 'worker', at: 1_200 })
  })
})
