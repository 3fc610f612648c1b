import { createMemoryStorage, parseMissionJournal, type Storage } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { createMissionHarness } from './create-mission-harness'

/** A memory storage whose writes fail while `broken` is set, like a read-only or full disk. */
function faultyStorage() {
  const inner = createMemoryStorage()
  const state = { broken: false, failedWrites: 0 }
  const storage: Storage = {
    ...inner,
    async write(path, content) {
      if (state.broken) {
        state.failedWrites++
        throw new Error(`EROFS: read-only file system, open '${path}'`)
      }
      return inner.write(path, content)
    },
  }
  return { storage, state, inner }
}

describe('a journal that cannot be written holds the mission (issue 18 #9)', () => {
  it('pauses the mission with the failure named, keeps what was saved, and carries on once resumed', async () => {
    const { storage, state, inner } = faultyStorage()
    const harness = createMissionHarness({ storage })
    harness.host.onAgent('commander', { steps: [{ tool: 'orchestrator_delegate', toolDurationMs: 5 }], reply: 'delegated' })
    harness.host.onAgent('worker', { durationMs: 5_000, reply: 'implemented it' })
    let delegated = false
    harness.onTool('orchestrator_delegate', ({ sessionId }) => {
      if (delegated) return
      delegated = true
      harness.engine.delegate({ sessionId, agent: 'worker', title: 'w1', prompt: 'work' })
    })
    const { missionId, rootSessionId } = await harness.startMission()
    await harness.advance(1_000)
    expect(harness.engine.getMission(missionId)!.tasks.map((task) => task.status)).toEqual(['running'])
    // An open todo: without the hold, every idle of the root would bring a continuation.
    harness.engine.setTodos(missionId, [{ id: 't1', title: 'Ship it', status: 'pending', dependsOn: [], createdAt: 0, updatedAt: 0 }])
    const journalFile = `missions/${missionId}.json`
    await harness.journal.flush()
    const savedBefore = inner.files()[journalFile]!

    // The disk turns read-only while the Worker works. Its end is the first state that cannot be
    // saved: the write fails after the wake went out, and from then on the mission is held.
    state.broken = true
    await harness.advance(10_000)
    expect(state.failedWrites).toBeGreaterThan(0)
    const held = harness.engine.missionStateOf(rootSessionId)
    expect(held?.state).toMatch(/^(planning|dispatching|waiting|reviewing)$/)
    expect(held?.heldReason).toContain('its journal could not be saved')
    expect(held?.heldReason).toContain('EROFS: read-only file system')
    expect(harness.engine.getMission(missionId)!.pausedReason).toBe(held?.heldReason)
    // Held: nothing continues, for as long as it takes.
    const promptsWhenHeld = harness.prompts(rootSessionId).length
    await harness.advance(3_600_000)
    expect(harness.prompts(rootSessionId)).toHaveLength(promptsWhenHeld)
    expect(harness.eventsOf('mission-continue')).toEqual([])
    // Nothing saved was lost: the journal on disk is the last state that landed.
    expect(inner.files()[journalFile]).toBe(savedBefore)
    expect(parseMissionJournal(savedBefore, journalFile).tasks.map((task) => task.status)).toEqual(['running'])
    // One pause for the failure, not one per retry.
    expect(harness.logs.filter((entry) => entry.message === 'mission paused')).toHaveLength(1)

    // The disk is fixed and the user resumes: the state lands and the loop carries on.
    state.broken = false
    harness.engine.resumeMission(missionId)
    await harness.advance(5_000)
    expect(harness.eventsOf('mission-continue').length).toBeGreaterThan(0)
    expect(harness.prompts(rootSessionId).length).toBeGreaterThan(promptsWhenHeld)
    await harness.journal.flush()
    const saved = parseMissionJournal(inner.files()[journalFile]!, journalFile)
    expect(saved.tasks.map((task) => task.status)).toEqual(['completed'])
    expect(saved.pausedReason).toBeUndefined()
    expect(harness.engine.missionStateOf(rootSessionId)?.heldReason).toBeUndefined()
  })
})
