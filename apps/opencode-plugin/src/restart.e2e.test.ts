import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import {
  delegateCall,
  journalOf,
  requestsOf,
  scriptCommander,
  scriptPlanner,
  scriptReviewer,
  scriptWorker,
  startTask,
  until,
  waitForFinalJournal,
} from './test-support/lifecycle-team'

/*
 * OpenCode killed mid-mission (SIGKILL: no shutdown hook runs) while two
 * Workers are in the middle of their model calls. After the restart the plugin
 * adopts the mission from its journal, re-prompts exactly the interrupted
 * sessions with the resume text, and the mission seals — with the same task
 * records and child sessions as before the kill.
 */

const RESUME_HEAD = '[orchestrator] Your work was interrupted'

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { continuation: { cooldownMs: 200 } } }))
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })

/** Mission A: two Workers mid-call at the kill. */
function scriptWorkersMidCall(marker: string) {
  scriptPlanner(model, {
    marker,
    todos: [
      { id: 't1', title: `Parser (${marker})` },
      { id: 't2', title: `Printer (${marker})` },
    ],
  })
  scriptReviewer(model, { marker })
  // Before the kill the Workers' model calls never end; after it, the resumed turns answer.
  scriptWorker(model, {
    marker,
    respond: (request) => (request.lastUserMessage.startsWith(RESUME_HEAD) ? { text: `Finished ${/\((t\d)\)/.exec(request.lastUserMessage)?.[1] ?? 't?'} after the restart.` } : { hang: true }),
  })
  return scriptCommander(model, {
    marker,
    turn: (kind, count) => {
      if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
      if (kind === 'wake' && count === 0) {
        return { toolCalls: [delegateCall('worker', 'parser (t1)', 'Implement t1', ['t1']), delegateCall('worker', 'printer (t2)', 'Implement t2', ['t2'])] }
      }
      if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1, t2', 'Verify t1, t2', ['t1', 't2'])] }
      return { text: 'Every todo is verified.' }
    },
  })
}

/** Mission B: the Commander itself mid-call (reading the Planner's wake) at the kill. */
function scriptCommanderMidCall(marker: string) {
  scriptPlanner(model, { marker, todos: [{ id: 't1', title: `Lexer (${marker})` }] })
  scriptReviewer(model, { marker })
  scriptWorker(model, { marker })
  return scriptCommander(model, {
    marker,
    turn: (kind, count) => {
      if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
      if (kind === 'wake' && count === 0) return { hang: true }
      if (kind === 'resume') return { toolCalls: [delegateCall('worker', 'lexer (t1)', 'Implement t1', ['t1'])] }
      if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
      return { text: 'Every todo is verified.' }
    },
  })
}

describe('kill -9 and restart mid-mission', () => {
  it('adopts both missions from the journal, resumes exactly the interrupted sessions, and seals them', async () => {
    const workersMarker = 'restart-workers'
    const commanderMarker = 'restart-commander'
    const commanderA = scriptWorkersMidCall(workersMarker)
    const commanderB = scriptCommanderMidCall(commanderMarker)
    const rootA = await startTask(server, `${workersMarker}: parser and printer`)
    const rootB = await startTask(server, `${commanderMarker}: a lexer`)

    // A: both Workers are mid-call, and the journal knows it. B: the Commander is mid-call on the Planner's wake.
    const workerCalls = () => requestsOf(model, `worker:${workersMarker}`)
    const inFlight = (rule: string) => requestsOf(model, rule).filter((request) => request.endedAt === undefined)
    await until(
      context(),
      () =>
        workerCalls().length === 2 &&
        journalOf(server.directory, rootA)?.tasks.filter((task) => task.agent === 'worker' && task.status === 'running').length === 2 &&
        inFlight(`commander:${commanderMarker}`).length === 1,
      30_000,
      'two Workers and a Commander mid-call',
    )
    const beforeA = journalOf(server.directory, rootA)!
    const beforeB = journalOf(server.directory, rootB)!
    const generation = server.generation

    await server.restart({ signal: 'SIGKILL' })
    // A new server process ran (two when the old port was still held and the harness retried on a free one).
    expect(server.generation).toBeGreaterThan(generation)
    // The kill cut the in-flight calls; nothing had answered them.
    expect(workerCalls().every((request) => request.closedEarly)).toBe(true)

    const [recordA, recordB] = await Promise.all([waitForFinalJournal(context(), rootA), waitForFinalJournal(context(), rootB)])

    // The resume is visible: a line in each root session and a notice — and the line does not pause the mission.
    for (const root of [rootA, rootB]) {
      const messages = (await server.client.session.messages({ sessionID: root })).data ?? []
      const lines = messages.flatMap((message) => message.parts).filter((part) => part.type === 'text' && part.text.startsWith('[orchestrator] Mission resumed after a restart'))
      expect(lines).toHaveLength(1)
    }
    expect(server.events.all.filter((recorded) => recorded.event.type === 'tui.toast.show' && (recorded.event.properties as { title?: string }).title === 'Mission resumed')).toHaveLength(2)

    // A: same tasks, same child sessions — adopted, not redone.
    expect(recordA.state).toBe('sealed')
    expect(recordA.id).toBe(beforeA.id)
    expect(recordA.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([
      ['t1', 'done', true],
      ['t2', 'done', true],
    ])
    const workersBefore = beforeA.tasks.filter((task) => task.agent === 'worker')
    expect(recordA.tasks.filter((task) => task.agent === 'worker').map((task) => [task.id, task.sessionId, task.status])).toEqual(
      workersBefore.map((task) => [task.id, task.sessionId, 'completed']),
    )
    expect(recordA.tasks.map((task) => task.agent)).toEqual(['planner', 'worker', 'worker', 'reviewer'])
    // Each interrupted Worker got the resume text exactly once, in its own session.
    const resumed = workerCalls().filter((request) => request.summary?.lastUserMessage.startsWith(RESUME_HEAD))
    expect(resumed.map((request) => /Your task \((task_\w+)\)/.exec(request.summary!.lastUserMessage)?.[1]).sort()).toEqual(workersBefore.map((task) => task.id).sort())
    for (const task of workersBefore) {
      const messages = (await server.client.session.messages({ sessionID: task.sessionId! })).data!
      const prompts = messages.filter((message) => message.info.role === 'user').map((message) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''))
      expect(prompts.filter((text) => text.startsWith(RESUME_HEAD))).toHaveLength(1)
    }
    const children = (await server.client.session.children({ sessionID: rootA })).data!
    expect(children.map((child) => child.id).sort()).toEqual(recordA.tasks.map((task) => task.sessionId).sort())
    // A's Commander was idle when OpenCode died: it was not re-prompted, its next turns were the wakes
    // (the Workers', then the Reviewer's: a verified mission seals only once its Reviewer has ended).
    expect(commanderA.turns.slice(0, 3)).toEqual(['task', 'wake', 'wake'])
    expect(commanderA.turns).not.toContain('resume')

    // B: the interrupted Commander got the resume text once (with the plan) and carried the mission to its seal.
    expect(recordB.state).toBe('sealed')
    expect(recordB.id).toBe(beforeB.id)
    expect(commanderB.turns.slice(0, 3)).toEqual(['task', 'wake', 'resume'])
    // Then the Reviewer's result came back to it. The resume line was written before the resume prompt, so the
    // model read the prompt as the user's last word once, and delegated the Worker once (the line used to land
    // inside the resumed turn, after the Worker's result, and the model read the resume prompt again).
    expect(commanderB.turns.slice(3)).toContain('wake')
    expect(commanderB.turns.filter((kind) => kind === 'resume')).toHaveLength(1)
    const rootPromptsB = (await server.client.session.messages({ sessionID: rootB })).data!
      .filter((message) => message.info.role === 'user')
      .map((message) => message.parts.map((part) => (part.type === 'text' ? part.text : '')).join(''))
    expect(rootPromptsB.filter((text) => text.startsWith(RESUME_HEAD))).toHaveLength(1)
    const resumeB = requestsOf(model, `commander:${commanderMarker}`).find((request) => request.summary?.lastUserMessage.startsWith(RESUME_HEAD))
    expect(resumeB?.summary?.lastUserMessage).toContain('t1')
    expect(recordB.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([['t1', 'done', true]])
    // The seal waits for the Reviewer's closing turn instead of cutting it.
    expect(recordB.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual(['planner:completed', 'worker:completed', 'reviewer:completed'])
  })
})
