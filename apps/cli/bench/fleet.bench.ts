/**
 * `pnpm bench fleet`: the fleet on this machine with 1, 2 and 3 workers
 * (each its own process and OpenCode server, concurrency 2) running short
 * scripted missions: missions per minute (the scaling curve), queue overhead
 * per job (submit → worker start) and the worker's fixed cost per job (clone,
 * instance, report, push, clean-up: wall time minus the mission's model span).
 * docs/fleet.md turns these into a model for 100 machines.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { BenchReport } from '../../../scripts/bench'
import { createFleetFixture } from '../src/fleet/test-support/fleet-fixture'
import { fleetGoal, missionOf } from '../src/fleet/test-support/fleet-team'

const MISSIONS_PER_RUN = Number(process.env['FLEET_BENCH_MISSIONS'] ?? 6)
const CONCURRENCY = 2

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2
}

export default async function fleetBench(report: BenchReport): Promise<void> {
  // Workers are the built CLI, exactly as users run them: built here when missing (after a change, `pnpm build:cli`).
  if (!existsSync(fileURLToPath(new URL('../dist/bin.js', import.meta.url))) || !existsSync(fileURLToPath(new URL('../dist/fleet-plugin.js', import.meta.url)))) {
    execFileSync('pnpm', ['--filter', '@opencode-orchestrator/cli', 'build'], { cwd: fileURLToPath(new URL('../../..', import.meta.url)), stdio: 'ignore' })
  }
  let missionNumber = 1_000
  for (const workerCount of [1, 2, 3]) {
    const fleet = await createFleetFixture()
    try {
      for (let index = 1; index <= workerCount; index++) await fleet.startWorker(`w${index}`, { concurrency: CONCURRENCY })
      const first = missionNumber
      const startedAt = Date.now()
      const ids = await fleet.queue.submit(Array.from({ length: MISSIONS_PER_RUN }, () => ({ repo: fleet.origin, ref: 'main', goal: fleetGoal(missionNumber++) })))
      const jobs = await fleet.waitForJobs(ids, (job) => job.state === 'completed' || job.state === 'failed', 900_000)
      const elapsedMs = Date.now() - startedAt
      const failed = jobs.filter((job) => job.state !== 'completed').length
      report(`${workerCount} worker(s) × ${CONCURRENCY}: missions per minute`, (MISSIONS_PER_RUN * 60_000) / elapsedMs, 'missions/min')
      if (failed > 0) report(`${workerCount} worker(s): failed missions`, failed, 'missions', 0)
      // Queue overhead: submit → worker start for the jobs idle workers took at once (the first wave).
      const firstWave = [...jobs].sort((a, b) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity)).slice(0, workerCount * CONCURRENCY)
      report(`${workerCount} worker(s): queue overhead (submit → worker start, idle workers)`, median(firstWave.map((job) => (job.startedAt ?? Number.NaN) - job.submittedAt)), 'ms')
      // Fixed cost per job on the worker: its wall time minus the span of the mission's model requests.
      const fixed = jobs.map((job, index) => {
        const requests = fleet.model.requests.filter((request) => missionOf(request) === first + index)
        const span = Math.max(...requests.map((request) => request.endedAt ?? request.receivedAt)) - Math.min(...requests.map((request) => request.receivedAt))
        return (job.result?.elapsedMs ?? Number.NaN) - span
      })
      report(`${workerCount} worker(s): worker overhead per job (clone, instance, report, push)`, median(fixed), 'ms')
      report(`${workerCount} worker(s): mission wall time (median)`, median(jobs.map((job) => job.result?.elapsedMs ?? Number.NaN)), 'ms')
    } finally {
      await fleet.dispose()
    }
  }
}
