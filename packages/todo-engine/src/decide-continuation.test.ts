import { OrchestratorError, type ContinuationInput, type Todo, type TodoStatus } from '@opencode-orchestrator/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decideContinuation } from './decide-continuation'
import { continuationInputArbitrary } from './todo-arbitraries.test-support'
import { isSealable } from './todo-summary'

function todo(id: string, status: TodoStatus, extra: Partial<Todo> = {}): Todo {
  return {
    id,
    title: id,
    status,
    dependsOn: [],
    createdAt: 0,
    updatedAt: 0,
    ...(status === 'done' ? { evidence: { summary: 'verified', recordedAt: 0 } } : {}),
    ...(status === 'failed' || status === 'blocked' ? { note: 'why' } : {}),
    ...extra,
  }
}

/** A mission idle between turns with iterations left: the policy would continue. */
function input(overrides: {
  todos?: Todo[]
  state?: ContinuationInput['state']
  limits?: Partial<ContinuationInput['limits']>
  counters?: Partial<ContinuationInput['counters']>
  activity?: Partial<ContinuationInput['activity']>
  recent?: Partial<ContinuationInput['recent']>
  now?: number
}): ContinuationInput {
  return {
    state: overrides.state ?? 'waiting',
    todos: overrides.todos ?? [todo('t1', 'done'), todo('t2', 'pending'), todo('t3', 'pending', { dependsOn: ['t2'] })],
    now: overrides.now ?? 100_000,
    limits: { maxIterations: 20, stagnationTurns: 3, cooldownMs: 2000, ...overrides.limits },
    counters: { iterations: 3, idleTurnsWithoutProgress: 0, lastContinuationAt: 50_000, ...overrides.counters },
    activity: { runningTasks: 0, queuedTasks: 0, runningBackground: 0, rootBusy: false, ...overrides.activity },
    recent: { userMessage: false, cancelled: false, ...overrides.recent },
  }
}

const allVerified = [todo('t1', 'done'), todo('t2', 'done')]

describe('decideContinuation', () => {
  it('continues with what is ready, failed and waiting', () => {
    const todos = [todo('t1', 'done'), todo('t2', 'pending'), todo('t3', 'pending', { dependsOn: ['t4'] }), todo('t4', 'failed'), todo('t5', 'in_progress')]
    expect(decideContinuation(input({ todos }))).toEqual({
      type: 'continue',
      reason: 'continuing (4/20): t2 ready; t5 marked in progress, but nothing runs for it — check its result, then mark it done for the Reviewer or delegate it again; t4 failed — retry or replan; t3 waiting on dependencies',
    })
  })

  it('continues to get a plan when there are no todos yet', () => {
    expect(decideContinuation(input({ todos: [], state: 'planning' }))).toEqual({ type: 'continue', reason: 'continuing (4/20): no todos yet — the plan is missing' })
    // After a fan-out without a plan the work is not "missing": the reason says tasks ended without a todo list.
    expect(decideContinuation(input({ todos: [], state: 'planning', activity: { runningTasks: 0, queuedTasks: 0, runningBackground: 0, endedTasks: 2, rootBusy: false } }))).toEqual({
      type: 'continue',
      reason: 'continuing (4/20): no todo list yet, though 2 delegated tasks ended — have the Planner write it from the goal and their results',
    })
  })

  it('seals when every todo is done with evidence', () => {
    expect(decideContinuation(input({ todos: allVerified }))).toEqual({ type: 'seal', reason: 'sealed: all 2 todos are done and verified by the Reviewer' })
  })

  it('never seals done todos without evidence', () => {
    const todos = [todo('t1', 'done'), todo('t2', 'done', { evidence: undefined })]
    const decision = decideContinuation(input({ todos }))
    expect(decision.type).toBe('continue')
    expect(decision.reason).toContain('t2 done but not verified — have the Reviewer check')
  })

  it('stops with a user-facing reason after stagnation', () => {
    expect(decideContinuation(input({ counters: { idleTurnsWithoutProgress: 3 } }))).toEqual({
      type: 'stop',
      reason: 'stopped: no todo progress in 3 turns (t2, t3 still open)',
    })
  })

  it('stops at the iteration cap naming the open todos by status', () => {
    const todos = [todo('t1', 'done'), todo('t2', 'failed'), todo('t3', 'blocked'), todo('t4', 'pending'), todo('t5', 'pending')]
    expect(decideContinuation(input({ todos, counters: { iterations: 20 } }))).toEqual({
      type: 'stop',
      reason: 'stopped: reached the limit of 20 continuations; still open: t2 failed, t3 blocked, t4, t5 pending',
    })
  })

  it('keeps failed todos going while continuations are left, and stops naming them at the cap', () => {
    const todos = [todo('t1', 'done'), todo('t2', 'failed')]
    expect(decideContinuation(input({ todos })).type).toBe('continue')
    expect(decideContinuation(input({ todos, counters: { iterations: 20 } })).reason).toContain('t2 failed')
  })

  it('stops at once when only cancelled todos keep the mission from sealing', () => {
    expect(decideContinuation(input({ todos: [todo('t1', 'done'), todo('t2', 'cancelled')] }))).toEqual({
      type: 'stop',
      reason: 'stopped: t2 was cancelled, so the mission cannot be sealed (every other todo is verified)',
    })
    expect(decideContinuation(input({ todos: [todo('t1', 'cancelled')] })).reason).toBe('stopped: every todo was cancelled (t1); nothing is left to do')
  })

  it('waits while work is in flight, without a retry timer', () => {
    expect(decideContinuation(input({ activity: { runningTasks: 2, queuedTasks: 1, runningBackground: 1 } }))).toEqual({
      type: 'wait',
      reason: 'waiting: 2 tasks running, 1 queued, 1 background command running',
    })
    expect(decideContinuation(input({ activity: { rootBusy: true } })).type).toBe('wait')
  })

  it('pauses after a user message', () => {
    const decision = decideContinuation(input({ recent: { userMessage: true } }))
    expect(decision.type).toBe('wait')
    expect(decision).not.toHaveProperty('retryInMs')
    expect(decision.reason).toMatch(/^paused: you wrote to the mission session/)
  })

  it('after a turn without progress, waits out the cooldown with the remaining time', () => {
    const noProgress = { lastContinuationAt: 50_000, idleTurnsWithoutProgress: 1 }
    expect(decideContinuation(input({ now: 50_500, counters: noProgress }))).toEqual({
      type: 'wait',
      reason: 'waiting: cooldown, next continuation in 1.5 s',
      retryInMs: 1500,
    })
    expect(decideContinuation(input({ now: 52_000, counters: noProgress })).type).toBe('continue')
    // A clock that went backwards never asks for more than one cooldown.
    expect(decideContinuation(input({ now: 40_000, counters: noProgress }))).toMatchObject({ type: 'wait', retryInMs: 2000 })
  })

  it('with progress since the last continuation, continues at once even if the last turn itself made none (a wake turn after finished tasks)', () => {
    expect(decideContinuation(input({ now: 50_001, counters: { lastContinuationAt: 50_000, idleTurnsWithoutProgress: 1 }, recent: { progress: true } })).type).toBe('continue')
    expect(decideContinuation(input({ now: 50_001, counters: { lastContinuationAt: 50_000, idleTurnsWithoutProgress: 0 }, recent: { progress: false } })).type).toBe('wait')
  })

  it('after a turn with progress, continues at once: the cooldown only slows a loop that is not getting anywhere', () => {
    expect(decideContinuation(input({ now: 50_001, counters: { lastContinuationAt: 50_000, idleTurnsWithoutProgress: 0 } }))).toEqual({
      type: 'continue',
      reason: 'continuing (4/20): t2 ready; t3 waiting on dependencies',
    })
  })

  it('does nothing for a mission that already ended', () => {
    for (const state of ['sealed', 'stopped', 'failed'] as const) {
      expect(decideContinuation(input({ state, recent: { cancelled: true } }))).toEqual({ type: 'wait', reason: `waiting: the mission is already ${state}; nothing to continue` })
    }
  })

  describe('precedence: cancel > seal > stop (cancelled only) > wait for work > stop (cap, stagnation) > user message > cooldown > continue', () => {
    const everything = {
      todos: allVerified,
      counters: { iterations: 20, idleTurnsWithoutProgress: 5, lastContinuationAt: 99_999 },
      activity: { runningTasks: 1 },
      recent: { userMessage: true, cancelled: true },
    }
    it('cancel beats everything', () => {
      expect(decideContinuation(input(everything))).toEqual({ type: 'stop', reason: 'stopped: the mission was cancelled' })
    })
    it('seal beats the cap, stagnation, background commands and a user message', () => {
      expect(decideContinuation(input({ ...everything, activity: { runningBackground: 2 }, recent: { userMessage: true } })).type).toBe('seal')
    })
    it('a verified list waits for delegated tasks still in flight instead of cutting them', () => {
      expect(decideContinuation(input({ ...everything, recent: { userMessage: true } }))).toEqual({
        type: 'wait',
        reason: 'waiting: every todo is verified; the mission seals once 1 task running has ended',
      })
    })
    it('a list left with only cancelled todos stops even while work runs', () => {
      expect(decideContinuation(input({ ...everything, todos: [todo('t1', 'done'), todo('t2', 'cancelled')], recent: { userMessage: true } })).reason).toContain('t2 was cancelled')
    })
    it('running work beats the cap and stagnation: work in flight is never thrown away by a counter', () => {
      const decision = decideContinuation(input({ ...everything, todos: undefined, recent: { userMessage: true } }))
      expect(decision).toEqual({
        type: 'wait',
        reason: 'waiting: 1 task running (the limit of 20 continuations is reached: the mission ends once this work is done unless it can seal)',
      })
    })
    it('the cap beats stagnation, stagnation beats a user message', () => {
      expect(decideContinuation(input({ counters: { iterations: 20, idleTurnsWithoutProgress: 5 }, recent: { userMessage: true } })).reason).toMatch(/^stopped: reached the limit/)
      expect(decideContinuation(input({ counters: { idleTurnsWithoutProgress: 5 }, recent: { userMessage: true } })).reason).toMatch(/^stopped: no todo progress/)
    })
    it('a user message beats the cooldown, the cooldown beats continue', () => {
      const noProgress = { lastContinuationAt: 99_000, idleTurnsWithoutProgress: 1 }
      expect(decideContinuation(input({ now: 99_999, counters: noProgress, recent: { userMessage: true } })).reason).toMatch(/^paused/)
      expect(decideContinuation(input({ now: 99_999, counters: noProgress }))).toMatchObject({ type: 'wait', retryInMs: 1001 })
    })
  })

  it('rejects nonsense limits and counters', () => {
    for (const bad of [input({ limits: { maxIterations: Number.NaN } }), input({ limits: { stagnationTurns: 0 } }), input({ counters: { iterations: -1 } })]) {
      expect(() => decideContinuation(bad)).toThrowError(OrchestratorError)
    }
  })

  describe('properties', () => {
    const runs = { numRuns: 600 }
    const decide = (value: ContinuationInput) => decideContinuation(value)

    it('never continues at or over the iteration cap, when cancelled, after a user message, while work runs, or inside the cooldown after a turn without progress', () => {
      fc.assert(
        fc.property(continuationInputArbitrary(), (value) => {
          const decision = decide(value)
          if (decision.type !== 'continue') return
          expect(value.counters.iterations).toBeLessThan(value.limits.maxIterations)
          expect(value.recent.cancelled).toBe(false)
          expect(value.recent.userMessage).toBe(false)
          expect(value.activity.runningTasks + value.activity.queuedTasks + value.activity.runningBackground).toBe(0)
          expect(value.activity.rootBusy).toBe(false)
          expect(value.counters.idleTurnsWithoutProgress).toBeLessThan(value.limits.stagnationTurns)
          const progressed = value.recent.progress ?? value.counters.idleTurnsWithoutProgress === 0
          if (!progressed && value.counters.lastContinuationAt !== undefined && value.limits.cooldownMs > 0) {
            expect(value.now - value.counters.lastContinuationAt).toBeGreaterThanOrEqual(value.limits.cooldownMs)
          }
        }),
        runs,
      )
    })

    it('continues whenever no rule holds it back (the loop never goes silent)', () => {
      fc.assert(
        fc.property(continuationInputArbitrary(), (value) => {
          const { counters, limits, activity, recent, todos } = value
          const unverified = todos.filter((item) => !(item.status === 'done' && item.evidence))
          const blocked =
            ['sealed', 'stopped', 'failed'].includes(value.state) ||
            recent.cancelled ||
            recent.userMessage ||
            isSealable(todos) ||
            (todos.length > 0 && unverified.every((item) => item.status === 'cancelled')) ||
            activity.runningTasks + activity.queuedTasks + activity.runningBackground > 0 ||
            activity.rootBusy ||
            counters.iterations >= limits.maxIterations ||
            counters.idleTurnsWithoutProgress >= limits.stagnationTurns ||
            (!(recent.progress ?? counters.idleTurnsWithoutProgress === 0) &&
              counters.lastContinuationAt !== undefined &&
              limits.cooldownMs > 0 &&
              value.now - counters.lastContinuationAt < limits.cooldownMs)
          expect(decide(value).type === 'continue').toBe(!blocked)
        }),
        runs,
      )
    })

    it('seals exactly when the mission is live, not cancelled, and every todo is done with evidence', () => {
      fc.assert(
        fc.property(continuationInputArbitrary(), (value) => {
          const decision = decide(value)
          const live = !['sealed', 'stopped', 'failed'].includes(value.state)
          const quiet = value.activity.runningTasks + value.activity.queuedTasks === 0 && !value.activity.rootBusy
          expect(decision.type === 'seal').toBe(live && !value.recent.cancelled && isSealable(value.todos) && quiet)
          if (decision.type === 'seal') {
            expect(value.todos.length).toBeGreaterThan(0)
            for (const item of value.todos) {
              expect(item.status).toBe('done')
              expect(item.evidence?.summary).toBeTruthy()
            }
          }
        }),
        runs,
      )
    })

    it('always stops a live cancelled mission, and retries only for the cooldown', () => {
      fc.assert(
        fc.property(continuationInputArbitrary(), (value) => {
          const decision = decide(value)
          const live = !['sealed', 'stopped', 'failed'].includes(value.state)
          if (live && value.recent.cancelled) expect(decision.type).toBe('stop')
          if (decision.type === 'wait' && decision.retryInMs !== undefined) {
            expect(decision.retryInMs).toBeGreaterThan(0)
            expect(decision.retryInMs).toBeLessThanOrEqual(value.limits.cooldownMs)
          }
          expect(decision.reason).toMatch(/^(continuing|waiting|paused|sealed|stopped)[ :(]/)
        }),
        runs,
      )
    })

    it('is pure: same answer twice, input untouched', () => {
      fc.assert(
        fc.property(continuationInputArbitrary(), (value) => {
          const before = structuredClone(value)
          const first = decide(value)
          expect(decide(value)).toEqual(first)
          expect(value).toEqual(before)
        }),
        { numRuns: 300 },
      )
    })
  })
})
