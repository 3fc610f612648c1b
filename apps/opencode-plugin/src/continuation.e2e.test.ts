import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import {
  delegateCall,
  until,
  requestsOf,
  scriptCommander,
  scriptPlanner,
  scriptReviewer,
  scriptWorker,
  startTask,
  toasts,
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

/**
 * Stagnation must count the same turns whatever the model's speed. A slow Commander with an
 * instant Planner is the order that miscounted: the Planner's end landed inside the Commander's
 * first turn, and the turn answering its wake was counted as a turn without progress.
 */
const STAGNATION_SPEEDS = [
  ...SPEEDS.map((entry) => ({ ...entry, key: entry.speed, teamDelayMs: entry.delayMs })),
  // Markers are matched as substrings: this one must not contain another ("slow").
  { speed: 'slow Commander, instant team', key: 'lagging', delayMs: 2000, teamDelayMs: 0 },
]

/** Where the plugin writes a mission's report, relative to the project (what the notices name). */
const reportPath = (missionId: string) => `.opencode/orchestrator/missions/${missionId}/report.html`

/** Text parts of a session's messages, oldest first. */
async function sessionTexts(sessionID: string): Promise<string[]> {
  const messages = (await server.client.session.messages({ sessionID })).data ?? []
  return messages.flatMap((message) => message.parts).flatMap((part) => (part.type === 'text' ? [part.text] : []))
}

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

  it.each(STAGNATION_SPEEDS)('$speed: a Commander that never progresses is stopped by stagnation after the same continuations, with the reason in the notice and the session', async ({ key, delayMs, teamDelayMs }) => {
    const marker = `cont-stagnant-${key}`
    scriptTeamOf(marker, teamDelayMs)
    const commander = scriptCommander(model, {
      marker,
      delayMs,
      turn: (kind) => (kind === 'task' ? { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] } : { text: 'Still thinking about it.' }),
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)

    const record = await waitForFinalJournal(context(), rootSessionId)
    console.info(`[stagnation ${key}] ${record.counters.iterations} continuations, turns ${JSON.stringify(commander.turns)}, end: ${record.end?.reason}`)
    expect(record.state).toBe('stopped')
    expect(record.end?.reason).toBe(`stopped: no todo progress in ${STAGNATION_TURNS} turns (t1 still open)`)
    expect(record.end?.budget).toBeUndefined()
    // The wake after the plan was progress; then STAGNATION_TURNS continuations without any.
    expect(record.counters.iterations).toBe(STAGNATION_TURNS)
    expect(commander.turns).toEqual(['task', 'wake', ...Array<string>(STAGNATION_TURNS).fill('continuation')])
    const notice = await stopNotice(marker, record.end!.reason)
    console.info(`[stagnation ${key}] stop notice: ${JSON.stringify(notice.message)}; session texts: ${JSON.stringify((await sessionTexts(rootSessionId)).filter((text) => text.startsWith('[orchestrator] Mission')))}`)
    // The notice says where the report is.
    expect(notice.message).toContain(`Report: ${reportPath(record.id)}`)
    // The stop is written into the Commander's session too (a note, no model call).
    const stopLine = `[orchestrator] Mission stopped: no todo progress in ${STAGNATION_TURNS} turns (t1 still open)\nReport: ${reportPath(record.id)}`
    await until(context(), async () => (await sessionTexts(rootSessionId)).includes(stopLine), 10_000, `the stop line in the session of ${marker}`)
    await expectNoMoreRequests(marker, commander)
  })

  it('words that match what happened: a fan-out without a plan, then a todo whose Worker finished', async () => {
    const marker = 'cont-words'
    // Workers that take a moment: a progress notice shows a state once events have been quiet for 250 ms
    // (decision 061), and the Commander's waiting delegate call leaves no quiet gap around instant ones.
    scriptTeamOf(marker, 700)
    const commander = scriptCommander(model, {
      marker,
      turn: (kind, count) => {
        // Two Workers straight away, no plan.
        if (kind === 'task') return { toolCalls: [delegateCall('worker', 'probe a', 'Look at part a'), delegateCall('worker', 'probe b', 'Look at part b')] }
        if (kind === 'continuation' && count === 0) return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('worker', 't1', 'Implement t1', ['t1'])] }
        if (kind === 'continuation' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
        if (kind === 'wake' && count === 3) return { text: 'Every todo is verified.' }
        return { text: 'Noted.' } // ends the turn: the loop continues
      },
    })
    const rootSessionId = await startTask(server, `${marker}: build the thing`)
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('sealed')
    expect(commander.turns).toEqual(['task', 'wake', 'continuation', 'wake', 'wake', 'continuation', 'wake'])

    const continuations = requestsOf(model, `commander:${marker}`)
      .filter((request) => request.summary?.lastRole === 'user' && request.summary.lastUserMessage.startsWith('[orchestrator] The mission continues'))
      .map((request) => request.summary!.lastUserMessage)
    console.info(`[words] continuation prompts:\n${continuations.join('\n----\n')}`)
    // After the fan-out: work was done without a plan — not "the plan is missing".
    expect(continuations[0]).toContain('no todo list yet, though 2 delegated tasks ended')
    expect(continuations[0]).toContain('No todo list yet, though 2 delegated tasks ended: have the planner write the todo list')
    expect(continuations[0]).not.toContain('the plan is missing')
    // t1's Worker completed and nothing runs for it: not "t1 in progress".
    expect(continuations[1]).toContain('t1 marked in progress, but nothing runs for it')
    expect(continuations[1]).toContain('- t1 [in_progress, nothing running for it]')
    expect(continuations[1]).toContain(' · 2 of 4 continuations used')

    const progress = toasts(server).filter((toast) => toast.variant === 'info' && (toast.title === 'Orchestrator' || toast.title.includes(marker)))
    console.info(`[words] progress notices: ${JSON.stringify(progress.map((toast) => toast.message))}`)
    // Work running or done without a plan is never called "planning".
    expect(progress.filter((toast) => toast.message.startsWith('planning ·'))).toEqual([])
    expect(progress.some((toast) => toast.message.startsWith('no todo list yet'))).toBe(true)
    const seal = await waitForToastMatching(context(), (toast) => toast.title.startsWith('Mission sealed') && (toast.title === 'Mission sealed' || toast.title.includes(marker)), `the seal notice of ${marker}`)
    console.info(`[words] seal notice: ${JSON.stringify(seal.message)}`)
    expect(seal.message).toContain(`Report: ${reportPath(record.id)}`)
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
