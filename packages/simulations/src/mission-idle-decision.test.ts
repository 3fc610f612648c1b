import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'

/*
 * OpenCode sends a turn's final text and its completed message before the idle.
 * The engine decides such an idle from the events alone — no read of the
 * session's messages over HTTP between a child's answer and its parent's wake —
 * and falls back to reading the host whenever the events do not show a cleanly
 * finished turn.
 */

function scenario(worker: Parameters<ReturnType<typeof createMissionHarness>['host']['onAgent']>[1]) {
  const harness = createMissionHarness()
  harness.host.onAgent('commander', [{ steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'waiting' }, { reply: 'noted' }])
  harness.host.onAgent('worker', worker)
  harness.onTool('orchestrator_delegate', ({ sessionId }) => void harness.engine.delegate({ sessionId, agent: 'worker', title: 'w', prompt: 'work' }))
  return harness
}

const messageReads = (harness: ReturnType<typeof createMissionHarness>, sessionId: string) =>
  harness.host.calls.filter((call) => call.method === 'messages' && call.args[0] === sessionId).length

describe('deciding an idle', () => {
  it('takes a finished turn from the events: the result and the wake need no read of the messages', async () => {
    const harness = scenario({ durationMs: 300, reply: 'Implemented t1.' })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(5_000)
    const [task] = harness.engine.getMission(missionId)!.tasks
    expect(task).toMatchObject({ status: 'completed', result: 'Implemented t1.' })
    expect(messageReads(harness, task!.sessionId!)).toBe(0)
    expect(harness.prompts(rootSessionId).filter((prompt) => prompt.text.includes('Implemented t1.'))).toHaveLength(1)
  })

  it('reads the messages when the idle comes before the final message', async () => {
    const harness = scenario({ durationMs: 300, reply: 'Implemented t1.', order: 'idle-then-message' })
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)
    const [task] = harness.engine.getMission(missionId)!.tasks
    expect(task).toMatchObject({ status: 'completed', result: 'Implemented t1.' })
    expect(messageReads(harness, task!.sessionId!)).toBeGreaterThan(0)
  })

  it('never takes a step that called tools, nor a transient idle between steps, as the end of the task', async () => {
    const harness = scenario({ steps: [{ tool: 'bash', durationMs: 200, toolDurationMs: 100, transientIdleMs: 50 }], durationMs: 200, reply: 'done after the tool' })
    const { missionId } = await harness.startMission()
    await harness.advance(5_000)
    expect(harness.engine.getMission(missionId)!.tasks[0]).toMatchObject({ status: 'completed', result: 'done after the tool' })
  })
})
