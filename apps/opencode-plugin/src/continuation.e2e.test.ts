import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import {
  delegateCall,
  requestsOf,
  scriptCommander,
  scriptPlanner,
  scriptReviewer,
  scriptWorker,
  startTask,
  waitForToastMatching,
  waitForFinalJournal,
  type CommanderScript,
} from './test-support/lifecycle-team'

/*
 * The continuation loop on a real OpenCode server: a Commander that ends a turn
 * with open todos is continued and the mission seals once the work is done; one
 * that never progresses is stopped by stagnation; one that keeps progressing is
 * stopped at the iteration cap — each with its reason in the notice and the
 * journal. Every scenario runs with a fast model (answers at once) and a slow
 * one (a second per model call), all missions at once on one server.
 */

const MAX_ITERATIONS = 4
const STAGNATION_TURNS = 2

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { budgets: { maxIterations: MAX_ITERATIONS }, continuation: { cooldownMs: 200, stagnationTurns: STAGNATION_TURNS } } }))
})

afterAll(() => stopPluginServer({ model, server }))

const SPEEDS = [
  { speed: 'fast', delayMs: 0 },
  { speed: 'slow', delayMs: 1000 },
] as const

/** Planner writes t1; Worker answers; Reviewer verifies. */
function scriptTeamOf(marker: string, delayMs: number) {
  scriptPlanner(model, { marker, delayMs, todos: [{ id: 't1', title: `Build the thing (${marker})` }] })
  scriptWorker(model, { marker, delayMs })
  scriptReviewer(model, { marker, delayMs })
}

/** The 'Mission stopped' notice of this mission (its goal starts with the marker; the title names it when several run). */
const stopNotice = (marker: string, reason: string) =>
  waitForToastMatching(
    context(),
    (toast) => toast.title.startsWith('Mission stopped') && (toast.title === 'Mission stopped' || toast.title.includes(marker)) && toast.message.includes(reason),
    `the stop notice of ${marker}`,
  )

const context = () => ({ model, server })

describe.concurrent('continuation on a real OpenCode server', () => {
  it.each(SPEEDS)('$speed model: a turn that ends with open todos is continued, then the mission seals', async ({ speed, delayMs }) => {
    const marker = `cont-seal-${speed}`
    scriptTeamOf(marker, delayMs)
    const commander = scriptCommander(model, {
      marker,
      delayMs,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'continuation') return { toolCalls: [delegateCall('worker', 't1', 'Implement t1', ['t1'])] }
        if (kind === 'wake' && count === 0) return { text: 'The plan is in. I will look at it in a moment.' } // ends the turn with t1 open
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
        return { text: 'Every todo is verified.' }
      },
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)

    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('sealed')
    expect(record.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([['t1', 'done', true]])
    expect(record.counters.iterations).toBe(1)
    // The seal waits for the Reviewer's turn to end, so its wake always reaches the Commander.
    expect(commander.turns).toEqual(['task', 'wake', 'continuation', 'wake', 'wake'])
    // The continuation prompt reached the model, saying what is open.
    const continuation = requestsOf(model, `commander:${marker}`).find((request) => request.summary?.lastUserMessage.startsWith('[orchestrator] The mission continues'))
    expect(continuation?.summary?.lastUserMessage).toContain('t1 ready')
    await waitForToastMatching(context(), (toast) => toast.title.startsWith('Mission sealed') && (toast.title === 'Mission sealed' || toast.title.includes(marker)), `the seal notice of ${marker}`)
  })

  it.each(SPEEDS)('$speed model: a Commander that never progresses is stopped by stagnation, with the reason', async ({ speed, delayMs }) => {
    const marker = `cont-stagnant-${speed}`
    scriptTeamOf(marker, delayMs)
    const commander = scriptCommander(model, {
      marker,
      delayMs,
      turn: (kind) => (kind === 'task' ? { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] } : { text: 'Still thinking about it.' }),
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)

    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('stopped')
    expect(record.end?.reason).toBe(`stopped: no todo progress in ${STAGNATION_TURNS} turns (t1 still open)`)
    expect(record.end?.budget).toBeUndefined()
    // The wake after the plan was progress; then STAGNATION_TURNS continuations without any.
    expect(record.counters.iterations).toBe(STAGNATION_TURNS)
    expect(commander.turns).toEqual(['task', 'wake', ...Array<string>(STAGNATION_TURNS).fill('continuation')])
    await stopNotice(marker, record.end!.reason)
    await expectNoMoreRequests(marker, commander)
  })

  it.each(SPEEDS)('$speed model: a Commander that keeps progressing is stopped at the iteration cap, never past it', async ({ speed, delayMs }) => {
    const marker = `cont-cap-${speed}`
    scriptTeamOf(marker, delayMs)
    const commander = scriptCommander(model, {
      marker,
      delayMs,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        // Every continuation delegates one more worker (a finished task is progress), none of which finishes t1.
        if (kind === 'continuation') return { toolCalls: [delegateCall('worker', `probe ${count + 1}`, `Investigate part ${count + 1} of the problem`)] }
        return { text: 'Noted; t1 is not done yet.' }
      },
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)

    const record = await waitForFinalJournal(context(), rootSessionId, 90_000)
    expect(record.state).toBe('stopped')
    expect(record.end?.budget).toBe('iterations')
    expect(record.end?.reason).toBe(`stopped: reached the limit of ${MAX_ITERATIONS} continuations; still open: t1 pending`)
    expect(record.counters.iterations).toBe(MAX_ITERATIONS)
    expect(commander.turns.filter((kind) => kind === 'continuation')).toHaveLength(MAX_ITERATIONS)
    const continuations = requestsOf(model, `commander:${marker}`).filter(
      (request) => request.summary?.lastRole === 'user' && request.summary.lastUserMessage.startsWith('[orchestrator] The mission continues'),
    )
    expect(continuations).toHaveLength(MAX_ITERATIONS)
    expect(continuations.at(-1)?.summary?.lastUserMessage).toContain(`(${MAX_ITERATIONS}/${MAX_ITERATIONS})`)
    const notice = await stopNotice(marker, 'reached the limit of')
    expect(notice.message).toMatch(/^Iteration budget reached — stopped: reached the limit of 4 continuations/)
    await expectNoMoreRequests(marker, commander)
  })
})

/** After the stop nothing of this mission talks to the model (checked over a second, the longest scripted delay). */
async function expectNoMoreRequests(marker: string, commander: CommanderScript) {
  const count = () => model.requests.filter((request) => request.rule?.endsWith(`:${marker}`)).length
  const before = count()
  const turns = commander.turns.length
  await new Promise((resolve) => setTimeout(resolve, 1200))
  expect(count()).toBe(before)
  expect(commander.turns.length).toBe(turns)
}
