import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { scriptTeam, waitForJournal, waitForToast } from './test-support/scripted-team'

/*
 * /task end to end on a real OpenCode server: the built plugin bundle, the real
 * agent loop, and a scripted model playing every agent.
 */


let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer())
})

afterAll(() => stopPluginServer({ model, server }))

describe('/task on a real OpenCode server', () => {
  it('plans, runs independent todos in parallel, the dependent one after, verifies and seals', async () => {
    scriptTeam(model, { marker: 'slugify-mission', workerDelayMs: 1200 })
    const created = await server.client.session.create({ title: 'e2e: slugify mission' })
    const sessionID = created.data!.id
    const mark = server.events.mark()
    // The command call returns when the Commander's first turn ends; the mission goes on from events.
    void server.client.session.command({ sessionID, command: 'task', arguments: '"Add a slugify module with tests (slugify-mission)"' })

    await waitForToast(model, server, 'Mission sealed', { since: mark })

    const [record] = (await waitForJournal(server.directory, (records) => records[0]?.state === 'sealed')) as unknown as Array<{
      id: string
      state: string
      todos: Array<{ id: string; status: string; evidence?: { summary: string } }>
      tasks: Array<{ agent: string; status: string; sessionId?: string }>
    }>
    expect(record!.state).toBe('sealed')
    expect(record!.todos.map((todo) => [todo.id, todo.status, Boolean(todo.evidence)])).toEqual([
      ['t1', 'done', true],
      ['t2', 'done', true],
      ['t3', 'done', true],
    ])
    expect(record!.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual([
      'planner:completed',
      'worker:completed',
      'worker:completed',
      'reviewer:completed',
      'worker:completed',
      'reviewer:completed',
    ])

    // todo.md shows the final state.
    const todoMd = await readFile(join(server.directory, '.opencode', 'orchestrator', 'missions', record!.id, 'todo.md'), 'utf8')
    expect(todoMd.match(/^- \[x\]/gm)).toHaveLength(3)

    // The two independent workers ran at the same time; the dependent one after both.
    const workers = model.requests.filter((request) => request.rule === 'worker:slugify-mission')
    expect(workers).toHaveLength(3)
    const [first, second, third] = workers
    expect(second!.receivedAt).toBeLessThan(first!.endedAt!)
    expect(third!.receivedAt).toBeGreaterThanOrEqual(Math.max(first!.endedAt!, second!.endedAt!))

    // The mission report is written next to the journal once the mission has ended, one lane per session.
    const missionFolder = join(server.directory, '.opencode', 'orchestrator', 'missions', record!.id)
    const deadline = Date.now() + 15_000
    while (!existsSync(join(missionFolder, 'report.html')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
    const report = await readFile(join(missionFolder, 'report.html'), 'utf8')
    expect(report.match(/data-lane="/g)).toHaveLength(record!.tasks.length + 1)
    expect(existsSync(join(missionFolder, 'timeline.json'))).toBe(true)

    // Child sessions are kept for the audit trail.
    const children = await server.client.session.children({ sessionID })
    expect(children.data?.map((child) => child.id).sort()).toEqual(record!.tasks.map((task) => task.sessionId).sort())
  })
})
