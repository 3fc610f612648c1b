import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, journalOf, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, startTask, until, waitForFinalJournal } from './test-support/lifecycle-team'

/*
 * Issue 14, lifecycle on a real OpenCode server (onSeal "branch", the default; worktree-restart.e2e.test.ts covers "merge"):
 * - OpenCode killed (SIGKILL) while three Workers are mid-call in their worktrees: the restart
 *   adopts the worktrees, the Workers resume there, their work is merged, the mission seals, and
 *   `git worktree list` and the branches are as before (plus the mission's result branch).
 * - /stop while Workers in worktrees have written but not finished: the dirty worktrees are kept
 *   and listed (journal, the end note in the root session).
 */

const RESUME_HEAD = '[orchestrator] Your work was interrupted'

let model: ScriptedModel
let server: OpencodeServer

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd, encoding: 'utf8' })
const worktrees = () =>
  git(server.directory, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
    .sort()
const branches = () => git(server.directory, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean).sort()
const context = () => ({ model, server })

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { continuation: { cooldownMs: 200 } }, config: { permission: { bash: 'allow', edit: 'allow' } } }))
  writeFileSync(join(server.directory, 'README.md'), '# main\n')
  git(server.directory, 'add', '-A')
  git(server.directory, 'commit', '-q', '-m', 'init')
})

afterAll(() => stopPluginServer({ model, server }))

describe('worktrees across a kill and a stop (real OpenCode server)', () => {
  it('SIGKILL with three Workers mid-call in worktrees: the restart adopts them, the mission seals, nothing is leaked', async () => {
    const marker = 'wt-restart'
    const todos = ['t1', 't2', 't3']
    scriptPlanner(model, { marker, todos: todos.map((id) => ({ id, title: `part ${id} (${marker})` })) })
    scriptReviewer(model, { marker })
    // Before the kill each Worker writes its file, then hangs in its next model call; after the restart it finishes.
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) => {
        const id = /\((t\d)\)/.exec(JSON.stringify(request.body.messages ?? []))?.[1] ?? 't0'
        if (request.lastUserMessage.startsWith(RESUME_HEAD)) return { text: `RESULT: finished ${id} after the restart` }
        if (!request.previousToolCalls.some((call) => call.name === 'write')) return { toolCalls: [{ name: 'write', arguments: { filePath: `${id}.txt`, content: `${id} done\n` } }] }
        return { hang: true }
      },
    })
    scriptCommander(model, {
      marker,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'wake' && count === 0) return { toolCalls: todos.map((id) => delegateCall('worker', `part (${id})`, `Implement ${id} (${id})`, [id])) }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review', `Verify ${todos.join(', ')}`, todos)] }
        return { text: 'Every todo is verified.' }
      },
    })
    const worktreesBefore = worktrees()
    const branchesBefore = branches()
    const rootSessionId = await startTask(server, `${marker}: three parts`)
    const hanging = () => requestsOf(model, `worker:${marker}`).filter((request) => request.endedAt === undefined && request.summary?.lastRole === 'tool')
    // Mid-call, and journaled with their sessions (the journal's writes are coalesced).
    await until(
      context(),
      () => hanging().length === 3 && journalOf(server.directory, rootSessionId)?.tasks.filter((task) => task.agent === 'worker' && task.status === 'running' && task.sessionId !== undefined).length === 3,
      60_000,
      'three Workers mid-call after writing, journaled',
    )
    const during = worktrees()
    expect(during.length).toBeGreaterThanOrEqual(worktreesBefore.length + 3)
    const before = journalOf(server.directory, rootSessionId)!

    await server.restart({ signal: 'SIGKILL' })
    const record = await waitForFinalJournal(context(), rootSessionId, 60_000)

    expect(record.state).toBe('sealed')
    expect(record.id).toBe(before.id)
    const workers = record.tasks.filter((task) => task.agent === 'worker')
    expect(workers.map((task) => task.status)).toEqual(['completed', 'completed', 'completed'])
    // Each Worker resumed in its own session (adopted, not redone), and its file is in the result.
    expect(workers.map((task) => task.sessionId).sort()).toEqual(before.tasks.filter((task) => task.agent === 'worker').map((task) => task.sessionId).sort())
    const result = `orchestrator/${record.id}`
    for (const id of todos) expect(git(server.directory, 'show', `${result}:${id}.txt`)).toBe(`${id} done\n`)
    // Nothing leaked: the same worktrees as before the mission, the same branches plus the result's.
    await until(context(), () => worktrees().length === worktreesBefore.length, 30_000, 'the mission\'s worktrees removed')
    expect(worktrees()).toEqual(worktreesBefore)
    expect(branches()).toEqual([...branchesBefore, result].sort())
    // Removed folders stay removed: no OpenCode instance (or plugin copy) wrote into them afterwards.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    for (const path of during.filter((path) => !worktreesBefore.includes(path))) expect(existsSync(path), path).toBe(false)
    // The user's checkout was not touched; the result waits on its branch (onSeal "branch", the default).
    for (const id of todos) expect(existsSync(join(server.directory, `${id}.txt`))).toBe(false)
    // The end note says where the result is (written once git is done, after the seal).
    const notes = async () => ((await server.client.session.messages({ sessionID: rootSessionId })).data ?? []).flatMap((message) => message.parts).map((part) => (part.type === 'text' ? part.text : ''))
    await until(context(), async () => (await notes()).some((text) => text.includes(`The mission's result is on branch ${result}`)), 30_000, 'the end note names the result branch')
  }, 200_000)

  it('/stop with Workers in worktrees that have written: the dirty worktrees are kept and listed', async () => {
    const marker = 'wt-stop'
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) =>
        request.previousToolCalls.some((call) => call.name === 'write')
          ? { hang: true }
          : { toolCalls: [{ name: 'write', arguments: { filePath: `${/w\d/.exec(request.lastUserMessage)?.[0] ?? 'w'}.txt`, content: 'half done\n' } }] },
    })
    scriptCommander(model, {
      marker,
      turn: (kind) => (kind === 'task' ? { toolCalls: [delegateCall('worker', 'w1', `do w1 (${marker})`), delegateCall('worker', 'w2', `do w2 (${marker})`)] } : { text: 'Noted.' }),
    })
    const rootSessionId = await startTask(server, `${marker}: two workers`)
    const hanging = () => requestsOf(model, `worker:${marker}`).filter((request) => request.endedAt === undefined && request.summary?.lastRole === 'tool')
    await until(context(), () => hanging().length === 2, 90_000, 'two Workers mid-call after writing')
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' }).catch(() => undefined)
    const record = await waitForFinalJournal(context(), rootSessionId, 60_000)
    expect(record.state).toBe('stopped')
    const noteText = async () =>
      ((await server.client.session.messages({ sessionID: rootSessionId })).data ?? [])
        .flatMap((message) => message.parts)
        .map((part) => (part.type === 'text' ? part.text : ''))
        .find((text) => text.startsWith('[orchestrator] Worktrees and branches left'))
    await until(context(), async () => (await noteText()) !== undefined, 30_000, 'the end note lists the worktrees left')
    const listed = (await noteText())!
    const paths = [...listed.matchAll(/ at (\S+) \(task_/g)].map((match) => match[1]!)
    expect(paths, listed).toHaveLength(2)
    for (const path of paths) {
      expect(existsSync(path)).toBe(true)
      expect(worktrees()).toContain(path)
    }
  })
})
