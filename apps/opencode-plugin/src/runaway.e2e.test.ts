import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, isDelegationReturn, journalOf, requestsOf, scriptCommander, scriptWorker, startTask, until, waitForFinalJournal, waitForToastMatching } from './test-support/lifecycle-team'

/*
 * Runaway agents on a real OpenCode server: a Commander that keeps delegating
 * is refused at the breadth and child-session budgets — the tool result it gets
 * names the budget — and the mission stops with the budget named; a Worker
 * cannot delegate at all (depth); a Worker repeating one tool call with the
 * same arguments is stopped by the loop breaker and its parent is told.
 */

const MAX_BREADTH = 3
const MAX_CHILD_SESSIONS = 4
const MAX_CALLS_PER_TURN = 12

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { budgets: { maxBreadth: MAX_BREADTH, maxChildSessions: MAX_CHILD_SESSIONS }, continuation: { cooldownMs: 200 }, steps: { maxToolCallsPerTurn: MAX_CALLS_PER_TURN } }, expectTools: ['orchestrator_delegate'] }))
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })
/** Terminal notices end with the mission's report path (see notifications' withReport). */
const reportPath = (missionId: string) => `.opencode/orchestrator/missions/${missionId}/report.html`
const workers = (count: number, from = 1) => Array.from({ length: count }, (_, index) => delegateCall('worker', `part ${from + index}`, `Work on part ${from + index}`))

/** The tool parts of a session, as OpenCode recorded them: what it sends the model as tool results. */
async function toolParts(sessionID: string) {
  const messages = (await server.client.session.messages({ sessionID })).data ?? []
  return messages.flatMap((message) => message.parts).filter((part) => part.type === 'tool')
}

/** The refused call's result: OpenCode's record of it, and what the model got if its turn went on before the stop's abort landed. */
async function expectRefusal(marker: string, rootSessionId: string, text: string) {
  const refused = (await toolParts(rootSessionId)).filter((part) => part.state.status === 'error')
  expect(refused.map((part) => (part.state.status === 'error' ? part.state.error : ''))).toEqual([text])
  const callId = refused[0]!.callID
  const followUp = requestsOf(model, `commander:${marker}`).filter((request) => request.summary?.toolResults.some((result) => result.toolCallId === callId))
  for (const request of followUp) expect(request.summary!.toolResults.find((result) => result.toolCallId === callId)?.content).toBe(text)
  // No follow-up request is fine only when the stop cut the turn: then the assistant message holding the refusal was aborted.
  if (followUp.length === 0) {
    const messages = (await server.client.session.messages({ sessionID: rootSessionId })).data ?? []
    const holderIndex = messages.findIndex((message) => message.parts.some((part) => part.type === 'tool' && part.callID === callId))
    const aborted = messages.slice(holderIndex).some((message) => message.info.role === 'assistant' && message.info.error?.name === 'MessageAbortedError')
    expect(aborted).toBe(true)
  }
  console.info(`[${marker}] the model ${followUp.length > 0 ? 'received the refusal in its next request' : 'was cut by the stop before its next request'}`)
}

describe.concurrent('runaway agents on a real OpenCode server', () => {
  it('breadth: more live tasks than budgets.maxBreadth is refused with the budget named, and the mission stops', async () => {
    const marker = 'runaway-breadth'
    scriptWorker(model, { marker, respond: () => ({ hang: true }) })
    const commander = scriptCommander(model, { marker, turn: () => ({ toolCalls: workers(MAX_BREADTH + 1) }) })
    const rootSessionId = await startTask(server, `${marker}: fan out`)
    const record = await waitForFinalJournal(context(), rootSessionId)

    const reason = `breadth budget (budgets.maxBreadth) exhausted: ${MAX_BREADTH + 1} > ${MAX_BREADTH}`
    expect(record.state).toBe('stopped')
    expect(record.end).toMatchObject({ budget: 'breadth', reason })
    await expectRefusal(marker, rootSessionId, `Refused: ${reason}. The mission has stopped.`)
    // The three accepted tasks were stopped with the mission, their model calls cut.
    expect(record.counters.childSessions).toBe(MAX_BREADTH)
    expect(record.tasks.map((task) => `${task.status}:${task.error?.code}`)).toEqual(Array<string>(MAX_BREADTH).fill('cancelled:mission-ended'))
    // Every Worker that reached the model had its (hanging) call cut: the calls are counted against the children that
    // made one, so a call left open — or a Worker that answered — fails this, and the log says how many were cut.
    const childrenThatCalledTheModel = async () => {
      const children = (await server.client.session.children({ sessionID: rootSessionId })).data ?? []
      const messages = await Promise.all(children.map(async (child) => (await server.client.session.messages({ sessionID: child.id })).data ?? []))
      return messages.filter((list) => list.some((message) => message.info.role === 'assistant')).length
    }
    await until(
      context(),
      async () => {
        const calls = requestsOf(model, `worker:${marker}`)
        return calls.every((request) => request.closedEarly) && calls.length === (await childrenThatCalledTheModel())
      },
      10_000,
      'worker calls cut',
    )
    console.info(`[${marker}] ${requestsOf(model, `worker:${marker}`).length} worker model calls cut by the stop`)
    await waitForToastMatching(context(), (toast) => toast.title.startsWith('Mission stopped') && toast.message === `Breadth budget reached — ${reason}\nReport: ${reportPath(record.id)}`, 'the breadth stop notice')
    expect(commander.turns).toEqual(['task'])
  })

  it('child sessions: one more than budgets.maxChildSessions is refused with the budget named, and the mission stops', async () => {
    const marker = 'runaway-children'
    scriptWorker(model, { marker })
    // Three workers, then (after their wake) two more: the fifth child session is one too many.
    const commander = scriptCommander(model, { marker, turn: (kind) => ({ toolCalls: kind === 'task' ? workers(3) : workers(2, 4) }) })
    const rootSessionId = await startTask(server, `${marker}: keep delegating`)
    const record = await waitForFinalJournal(context(), rootSessionId)

    const reason = `child-session budget (budgets.maxChildSessions) exhausted: ${MAX_CHILD_SESSIONS + 1} > ${MAX_CHILD_SESSIONS}`
    expect(record.state).toBe('stopped')
    expect(record.end).toMatchObject({ budget: 'childSessions', reason })
    await expectRefusal(marker, rootSessionId, `Refused: ${reason}. The mission has stopped.`)
    expect(record.counters.childSessions).toBe(MAX_CHILD_SESSIONS)
    expect(record.tasks).toHaveLength(MAX_CHILD_SESSIONS)
    await waitForToastMatching(context(), (toast) => toast.title.startsWith('Mission stopped') && toast.message === `Child-session budget reached — ${reason}\nReport: ${reportPath(record.id)}`, 'the child-session stop notice')
    expect(commander.turns).toEqual(['task', 'wake'])
  })

  it('depth: a Worker cannot delegate at all — the tool is not offered, a call is refused, nothing is spawned', async () => {
    const marker = 'runaway-depth'
    scriptWorker(model, {
      marker,
      respond: (request) => (request.lastRole === 'tool' ? { text: 'I cannot delegate; did the work myself.' } : { toolCalls: [delegateCall('worker', 'nested', 'Nested work')] }),
    })
    scriptCommander(model, { marker, turn: (kind) => (kind === 'task' ? { toolCalls: workers(1) } : { text: 'Noted.' }) })
    const rootSessionId = await startTask(server, `${marker}: nest`)
    await until(context(), () => requestsOf(model, `worker:${marker}`).some((request) => request.summary?.lastRole === 'tool'), 30_000, 'the Worker got its tool result')

    const [first, second] = requestsOf(model, `worker:${marker}`)
    expect(first!.summary!.toolNames).not.toContain('orchestrator_delegate')
    expect(second!.summary!.toolResults.map((result) => result.content)).toEqual([expect.stringContaining("unavailable tool 'orchestrator_delegate'")])
    const record = await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks[0]?.status === 'completed', 10_000, 'the Worker finished').then(
      () => journalOf(server.directory, rootSessionId)!,
    )
    expect(record.counters.childSessions).toBe(1)
    expect(record.sessions.map((session) => session.depth).sort()).toEqual([0, 1])
    const [child] = (await server.client.session.children({ sessionID: rootSessionId })).data!
    expect((await server.client.session.children({ sessionID: child!.id })).data).toEqual([])
    // Ends the mission so it does not keep continuing in the background (the command answers with the stop notice).
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
  })

  it('loop breaker: a Worker repeating one call with the same arguments is refused, then stopped, and its parent is told', async () => {
    const marker = 'runaway-loop'
    // A looping model: the same call, whatever the result.
    scriptWorker(model, { marker, respond: () => ({ toolCalls: [{ name: 'orchestrator_todo_read', arguments: {} }] }) })
    const commander = scriptCommander(model, { marker, turn: (kind) => (kind === 'task' ? { toolCalls: workers(1) } : { text: 'The worker looped; I will rethink.' }) })
    const rootSessionId = await startTask(server, `${marker}: loop`)
    await until(context(), () => commander.turns.includes('wake'), 90_000, 'the Commander was woken')

    // The journal is written just after the events that announce a change.
    await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks[0]?.status === 'cancelled', 10_000, 'the task recorded as cancelled')
    const record = journalOf(server.directory, rootSessionId)!
    const [task] = record.tasks
    const stopReason = 'stopped by the loop breaker: 5 identical orchestrator_todo_read calls in a row'
    expect(task).toMatchObject({ status: 'cancelled', error: { code: 'task-cancelled', message: stopReason } })
    // Calls 1–2 ran, 3–4 were refused with an explanation, the 5th stopped the task: no sixth model call.
    const calls = requestsOf(model, `worker:${marker}`)
    expect(calls).toHaveLength(5)
    expect(calls.slice(1).map((request) => request.summary!.toolResults[0]!.content.startsWith('Loop breaker:'))).toEqual([false, false, true, true])
    expect(calls[3]!.summary!.toolResults[0]!.content).toBe(
      'Loop breaker: 3 identical orchestrator_todo_read calls in a row with the same arguments. The result will not change; try something else or end your turn with what you have.',
    )
    // The fifth call is closed by the abort the loop breaker's stop sent: it settles shortly after the wake.
    await until(context(), async () => (await toolParts(task!.sessionId!)).every((part) => part.state.status !== 'running' && part.state.status !== 'pending'), 10_000, 'the tool calls settled')
    const parts = await toolParts(task!.sessionId!)
    expect(parts.map((part) => part.state.status)).toEqual(['completed', 'completed', 'error', 'error', 'error'])
    console.info(`[loop] the fifth call ended with: ${JSON.stringify(parts[4]!.state.status === 'error' ? parts[4]!.state.error : '')}`)
    // The parent is told which task ended and why: its delegate call waits for the task and returns
    // with the outcome (docs/decisions/040), which is what its next model request carries.
    const told = requestsOf(model, `commander:${marker}`).find((request) => request.summary !== undefined && isDelegationReturn(request.summary))
    const result = told?.summary?.toolResults.map((toolResult) => toolResult.content).join('\n') ?? ''
    expect(result).toContain(`${task!.id} · worker · cancelled`)
    expect(result).toContain(stopReason)
    // Ends the mission so it does not keep continuing in the background (the command answers with the stop notice).
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
  })

  it('loop breaker: a Worker alternating two calls (A,B,A,B…) is refused from the third cycle and stopped at the fifth — 10 model requests, not hundreds', async () => {
    // Issue 18 #6: this Worker made 396 model requests in 30 s before the loop breaker knew cycles.
    const marker = 'runaway-cycle'
    const alternate = [{ name: 'orchestrator_todo_read', arguments: {} }, { name: 'orchestrator_docs_list', arguments: {} }]
    scriptWorker(model, { marker, respond: (request) => ({ toolCalls: [alternate[request.previousToolCalls.length % 2]!] }) })
    const commander = scriptCommander(model, { marker, turn: (kind) => (kind === 'task' ? { toolCalls: workers(1) } : { text: 'The worker looped; I will rethink.' }) })
    const rootSessionId = await startTask(server, `${marker}: alternate`)
    await until(context(), () => commander.turns.includes('wake'), 90_000, 'the Commander was woken')
    await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks[0]?.status === 'cancelled', 10_000, 'the task recorded as cancelled')
    const [task] = journalOf(server.directory, rootSessionId)!.tasks
    expect(task).toMatchObject({ status: 'cancelled', error: { message: 'stopped by the loop breaker: the same cycle of 2 tool calls 5 times in a row' } })
    const calls = requestsOf(model, `worker:${marker}`)
    expect(calls).toHaveLength(10)
    expect(calls.slice(1).map((request) => request.summary!.toolResults[0]!.content.startsWith('Loop breaker:'))).toEqual([false, false, false, false, false, true, true, true, true])
    expect(calls[6]!.summary!.toolResults[0]!.content).toContain('Loop breaker: the same cycle of 2 tool calls (ending with orchestrator_docs_list) 3 times in a row')
    await waitForToastMatching(context(), (toast) => toast.message.includes('stopped by the loop breaker: the same cycle of 2 tool calls'), 'the loop-breaker notice')
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
  })

  it(`step limit: a Worker that never ends its turn is told to report after ${MAX_CALLS_PER_TURN} calls and stopped three calls later`, async () => {
    const marker = 'runaway-steps'
    // Every call different: no loop to break, only the step limit can stop it.
    scriptWorker(model, { marker, respond: (request) => ({ toolCalls: [{ name: 'orchestrator_docs_read', arguments: { key: `note-${request.previousToolCalls.length}` } }] }) })
    const commander = scriptCommander(model, { marker, turn: (kind) => (kind === 'task' ? { toolCalls: workers(1) } : { text: 'The worker ran out of steps.' }) })
    const rootSessionId = await startTask(server, `${marker}: never stop`)
    await until(context(), () => commander.turns.includes('wake'), 90_000, 'the Commander was woken')
    await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks[0]?.status === 'cancelled', 10_000, 'the task recorded as cancelled')
    const [task] = journalOf(server.directory, rootSessionId)!.tasks
    const reason = `step limit: kept calling tools after ${MAX_CALLS_PER_TURN} tool calls in one turn (steps.maxToolCallsPerTurn)`
    expect(task).toMatchObject({ status: 'cancelled', error: { message: reason } })
    const calls = requestsOf(model, `worker:${marker}`)
    expect(calls).toHaveLength(MAX_CALLS_PER_TURN + 4)
    expect(calls[MAX_CALLS_PER_TURN + 1]!.summary!.toolResults[0]!.content).toBe(
      `Step limit: you made ${MAX_CALLS_PER_TURN} tool calls in this turn (steps.maxToolCallsPerTurn). Do not call more tools: end your turn now with a report of what is done and what is left.`,
    )
    await waitForToastMatching(context(), (toast) => toast.message === `worker reached ${MAX_CALLS_PER_TURN} tool calls in one turn (steps.maxToolCallsPerTurn); told to report and stop.`, 'the step-limit notice')
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
  })
})
