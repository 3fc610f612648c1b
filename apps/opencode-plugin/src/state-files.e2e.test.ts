import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import {
  delegateCall,
  journalOf,
  requestsOf,
  scriptCommander,
  scriptPlanner,
  scriptWorker,
  startTask,
  toasts,
  until,
  waitForFinalJournal,
  waitForToastMatching,
} from './test-support/lifecycle-team'

/*
 * The orchestrator's state files against a hostile repository and a failing disk,
 * on a real OpenCode server: a journal that cannot be written holds the mission
 * with a notice saying how to resume (tests run as root, which ignores chmod, so
 * the journal file is replaced by a directory of the same name); a mission folder
 * turned into a link to a folder outside the project never gets anything written
 * through it.
 */

const FOLDER = '.opencode/orchestrator'

let model: ScriptedModel
let server: OpencodeServer
let outside: string

beforeAll(async () => {
  outside = await mkdtemp(join(tmpdir(), 'orchestrator-outside-'))
  ;({ model, server } = await startPluginServer({
    // A wall time beyond the 32-bit timer range (issue 18 #5): it used to end every mission after ~3 s.
    pluginOptions: { continuation: { cooldownMs: 200 }, budgets: { maxWallTimeMinutes: 100_000 } },
    expectTools: ['orchestrator_delegate'],
  }))
})

afterAll(async () => {
  await stopPluginServer({ model, server })
  await rm(outside, { recursive: true, force: true })
})

const context = () => ({ model, server })

// One after the other: the first test puts a directory where a journal file belongs, which the helpers reading every journal would trip over.
describe('state files on a real OpenCode server', () => {
  it('a journal that cannot be written pauses the mission with a notice; /task resumes it and nothing saved is lost', async () => {
    const marker = 'journal-unwritable'
    let journalFile = ''
    scriptPlanner(model, { marker, todos: [{ id: 't1', title: 'Write the greeting module' }] })
    scriptWorker(model, { marker, delayMs: 2_500 })
    const commander = scriptCommander(model, {
      marker,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1', `Implement t1. ${marker}`, ['t1'])] }
        return { text: 'Noted; t1 still needs a review.' }
      },
    })
    const rootSessionId = await startTask(server, `${marker}: greeting`)
    await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks.some((task) => task.agent === 'worker' && task.status === 'running') === true, 60_000, 'the Worker runs')
    const missionId = journalOf(server.directory, rootSessionId)!.id
    journalFile = join(server.directory, FOLDER, 'missions', `${missionId}.json`)
    const lastSaved = readFileSync(journalFile, 'utf8')
    // The disk stops taking the journal: a directory where the file should be fails every atomic write.
    rmSync(journalFile)
    mkdirSync(journalFile)
    // Whatever happens below, the next test must not find a directory where a journal file belongs.
    onTestFinished(() => {
      if (lstatSync(journalFile, { throwIfNoEntry: false })?.isDirectory()) rmSync(journalFile, { recursive: true })
    })

    const notice = await waitForToastMatching(context(), (toast) => toast.title === `Mission ${missionId} paused`, 'the pause notice', 60_000)
    expect(notice.variant).toBe('error')
    expect(notice.message).toContain('its journal could not be saved')
    expect(notice.message).toContain(`missions/${missionId}.json`)
    expect(notice.message).toContain('type /task without text to resume')
    // Held: the Commander's turns stop; no continuation comes however long the root is idle.
    // The write fails asynchronously: a continuation sent before the failure came back (at once after the
    // Worker's progress, decision 070) is legitimate, and its model request may reach the model after the notice
    // reached the test. So count against the engine's own record of the hold: every continuation the Commander
    // got was sent before the hold, none after it.
    await new Promise((resolve) => setTimeout(resolve, 3_000))
    const paused = /message="mission paused".*?\bcontinuationsSent=(\d+)/.exec(server.logs.text())
    expect(paused, 'the engine logs the hold with the continuations sent before it').not.toBeNull()
    expect(commander.turns.filter((kind) => kind === 'continuation')).toHaveLength(Number(paused![1]))

    // The disk is fixed; the user resumes with /task and the unsaved state lands.
    rmSync(journalFile, { recursive: true })
    await server.client.session.command({ sessionID: rootSessionId, command: 'task', arguments: '' }).catch(() => undefined)
    await until(context(), () => existsSync(journalFile) && journalOf(server.directory, rootSessionId)?.tasks.some((task) => task.agent === 'worker' && task.status === 'completed') === true, 20_000, 'the journal saved again')
    await until(context(), () => commander.turns.includes('continuation'), 20_000, 'the mission carried on')
    expect(JSON.parse(lastSaved)).toMatchObject({ id: missionId })
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
    const record = await waitForFinalJournal(context(), rootSessionId)
    expect(record.state).toBe('stopped')
    // Stopped by the user after well over 3 s, not by the wall-time budget.
    expect(record.end?.budget).toBeUndefined()
    expect(record.end?.reason).toContain('/stop')
  })

  it('a mission folder swapped for a link to a folder outside the project is never written through; the agent is told why', async () => {
    const marker = 'linked-folder'
    const elsewhere = join(outside, 'mission-folder')
    let rootSessionId = ''
    let folder = ''
    model.addRule({
      name: `planner:${marker}`,
      match: { system: 'You are the Planner', marker },
      respond: (request) => {
        if (request.lastRole === 'tool') return { text: 'The plan could not be written.' }
        // The repository (or anything else) turns the mission's folder into a link leading out of the project.
        folder = join(server.directory, FOLDER, 'missions', journalOf(server.directory, rootSessionId)!.id)
        mkdirSync(elsewhere, { recursive: true })
        // The plugin appends the mission's events into that folder meanwhile and may create it again between the
        // removal and the link (EEXIST): retry like an attacker would, until the link is in place.
        for (let attempt = 0; ; attempt++) {
          rmSync(folder, { recursive: true, force: true })
          try {
            symlinkSync(elsewhere, folder)
            break
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 50) throw error
          }
        }
        return { toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos: [{ id: 't1', title: 'Write the farewell module' }] } }] }
      },
    })
    scriptCommander(model, {
      marker,
      turn: (kind) => (kind === 'task' ? { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] } : { text: 'The plan failed; stopping.' }),
    })
    rootSessionId = await startTask(server, `${marker}: farewell`)
    await until(context(), () => requestsOf(model, `planner:${marker}`).some((request) => request.summary?.lastRole === 'tool'), 60_000, 'the Planner got its tool result')
    const [result] = requestsOf(model, `planner:${marker}`).find((request) => request.summary?.lastRole === 'tool')!.summary!.toolResults
    expect(result?.content).toContain('is a symbolic link to')
    expect(result?.content).toContain(elsewhere)
    expect(result?.content).toContain('never follows links')
    // Nothing reached the folder outside the project: not the plan, not the mission's event log.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    expect(readdirSync(elsewhere)).toEqual([])
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
    await waitForFinalJournal(context(), rootSessionId)
    expect(readdirSync(elsewhere)).toEqual([])
    expect(toasts(server).some((toast) => toast.message.includes(elsewhere) && toast.title.includes('todo.md'))).toBe(false)
  })
})
