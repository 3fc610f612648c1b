import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'

/*
 * A turn recovery is still handling is not the task's result: the answer cut at the output
 * limit (recovery asks the session to continue) or the summary of recovery's own compaction.
 * Found by apps/opencode-plugin/src/recovery-paths.e2e.test.ts on a real OpenCode server.
 */
async function startWorker(reply: string) {
  const harness = createMissionHarness()
  harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
  harness.host.onAgent('worker', { durationMs: 1_000, reply })
  let delegated = false
  harness.onTool('orchestrator_delegate', ({ sessionId }) => {
    if (delegated) return
    delegated = true
    harness.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work' })
  })
  const { missionId } = await harness.startMission()
  await harness.advance(100)
  const task = () => harness.engine.getMission(missionId)!.tasks[0]!
  expect(task().status).toBe('running')
  return { harness, task, sessionId: task().sessionId! }
}

describe('a task and a recovery that holds its session', () => {
  it('the idle after a turn recovery holds does not settle the task; the end of the recovery does', async () => {
    const { harness, task, sessionId } = await startWorker('a cut answer and')
    harness.bus.emit('recovery-start', { sessionId, kind: 'output-length', action: 'retry', reason: 'cut', attempt: 1 })
    await harness.advance(2_000)
    expect(task().status).toBe('running')
    harness.bus.emit('recovery-end', { sessionId, kind: 'output-length', outcome: 'recovered', reason: 'answered again' })
    await harness.advance(100)
    expect(task().status).toBe('completed')
  })

  it('recovery giving up while the turn is still running fails the task at the idle, with the reason', async () => {
    const { harness, task, sessionId } = await startWorker('still cut and')
    await harness.advance(500)
    harness.bus.emit('recovery-end', { sessionId, kind: 'output-length', outcome: 'gave-up', reason: 'output-length: 3 recovery attempts used (limit 3).' })
    expect(task().status).toBe('running')
    await harness.advance(2_000)
    expect(task().status).toBe('failed')
    expect(task().error).toEqual({ code: 'recovery-gave-up', message: 'output-length: 3 recovery attempts used (limit 3).' })
  })
})
