import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, scriptWorker, startTask, until, waitForFinalJournal } from './test-support/lifecycle-team'

/*
 * Issue 14: OpenCode killed (SIGKILL) mid-mission while three Workers, each in its own git
 * worktree, have written a file and are mid-call. After the restart the plugin adopts the mission
 * and its worktrees, the resumed Workers end, their work is committed and merged, the mission
 * seals, and with `onSeal: "merge"` the result lands in the user's branch: no worktree and no
 * branch is left (`git worktree list` and `git branch` as before the mission).
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
const branches = () => git(server.directory, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean).sort()

interface RawTask {
  id: string
  agent: string
  status: string
  todoIds: string[]
  sessionId?: string
  workspace?: { path: string; branch: string; slot: string }
  settlement?: { kind: string }
}

/** The journal as written, with the fields of issue 14 the shared helper does not type. */
function rawJournal(rootSessionId: string): { id: string; state: string; tasks: RawTask[]; workspaces?: { end?: { landing?: { kind: string; into?: string } } } } | undefined {
  const folder = join(server.directory, '.opencode', 'orchestrator', 'missions')
  for (const name of execFileSync('ls', [folder], { encoding: 'utf8' }).split('\n').filter((file) => file.endsWith('.json'))) {
    const record = JSON.parse(readFileSync(join(folder, name), 'utf8')) as { rootSessionId: string }
    if (record.rootSessionId === rootSessionId) return record as never
  }
  return undefined
}

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ pluginOptions: { continuation: { cooldownMs: 200 }, onSeal: 'merge' }, config: { permission: { bash: 'allow', edit: 'allow' } } }))
  writeFileSync(join(server.directory, 'README.md'), '# main\n')
  git(server.directory, 'add', '-A')
  git(server.directory, 'commit', '-q', '-m', 'init')
})

afterAll(() => stopPluginServer({ model, server }))

const context = () => ({ model, server })

describe('kill -9 mid-mission with three worktrees', () => {
  it('adopts the worktrees after the restart, merges the Workers\' work, seals, and leaks no worktree or branch', async () => {
    const marker = 'wt-restart'
    const worktreesBefore = worktrees()
    const branchesBefore = branches()
    scriptPlanner(model, {
      marker,
      todos: [
        { id: 't1', title: `Alpha (${marker})` },
        { id: 't2', title: `Beta (${marker})` },
        { id: 't3', title: `Gamma (${marker})` },
      ],
    })
    scriptReviewer(model, { marker })
    // Before the kill each Worker writes its file, then its next model call never ends; after it, the resumed turn answers.
    scriptWorker(model, {
      marker,
      respond: (request) => {
        const todo = /\((t\d)\)/.exec(request.lastUserMessage)?.[1] ?? /todos: (t\d)/.exec(request.lastUserMessage)?.[1] ?? 't?'
        if (request.lastUserMessage.startsWith(RESUME_HEAD)) return { text: `Finished ${todo} after the restart.` }
        if (!request.previousToolCalls.some((call) => call.name === 'write')) {
          return { toolCalls: [{ name: 'write', arguments: { filePath: `${todo}.txt`, content: `work of ${todo}\n` } }] }
        }
        return { hang: true }
      },
    })
    scriptCommander(model, {
      marker,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${marker}`)] }
        if (kind === 'wake' && count === 0) {
          return {
            toolCalls: [
              delegateCall('worker', 'alpha (t1)', 'Implement t1', ['t1']),
              delegateCall('worker', 'beta (t2)', 'Implement t2', ['t2']),
              delegateCall('worker', 'gamma (t3)', 'Implement t3', ['t3']),
            ],
          }
        }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1, t2, t3', 'Verify t1, t2, t3', ['t1', 't2', 't3'])] }
        return { text: 'Every todo is verified.' }
      },
    })
    const rootSessionId = await startTask(server, `${marker}: three files`)

    // Three Workers mid-call, each having written its file in its own worktree.
    const hanging = () => requestsOf(model, `worker:${marker}`).filter((request) => request.endedAt === undefined && request.summary?.lastRole === 'tool')
    await until(
      context(),
      () => hanging().length === 3 && (rawJournal(rootSessionId)?.tasks.filter((task) => task.agent === 'worker' && task.status === 'running' && task.workspace).length ?? 0) === 3,
      60_000,
      'three Workers mid-call in their worktrees',
    )
    const before = rawJournal(rootSessionId)!
    const workerTasks = before.tasks.filter((task) => task.agent === 'worker')
    const during = worktrees()
    for (const task of workerTasks) {
      expect(during).toContain(task.workspace!.path)
      expect(readFileSync(join(task.workspace!.path, `${task.todoIds[0]}.txt`), 'utf8')).toBe(`work of ${task.todoIds[0]}\n`)
    }
    // The user's checkout has none of it yet.
    expect(git(server.directory, 'status', '--porcelain')).toBe('')
    console.info(`[worktree-restart] before the kill: ${during.length} worktrees (${during.length - worktreesBefore.length} of the mission), branches ${branches().join(', ')}`)

    await server.restart({ signal: 'SIGKILL' })
    const record = await waitForFinalJournal(context(), rootSessionId, 90_000).catch((error: unknown) => {
      const now = rawJournal(rootSessionId)
      console.info('[worktree-restart] tasks when the wait ended', JSON.stringify(now?.tasks.map((task) => [task.id, task.agent, task.status, task.settlement?.kind])), now?.state)
      console.info('[worktree-restart] server log tail', server.logs.tail(60))
      console.info('[worktree-restart] last model requests', JSON.stringify(model.requests.slice(-12).map((request) => [request.rule, request.summary?.lastUserMessage.slice(0, 80), request.endedAt !== undefined])))
      throw error
    })
    expect(record.state).toBe('sealed')
    // The worktrees are finished just after the seal.
    await until(context(), () => rawJournal(rootSessionId)?.workspaces?.end !== undefined, 30_000, 'the mission\'s worktrees finished')
    const after = rawJournal(rootSessionId)!
    expect(after.tasks.filter((task) => task.agent === 'worker').map((task) => [task.id, task.status, task.settlement?.kind])).toEqual(
      workerTasks.map((task) => [task.id, 'completed', 'merged']),
    )
    expect(after.workspaces?.end?.landing).toMatchObject({ kind: 'merged' })
    for (const todo of ['t1', 't2', 't3']) expect(readFileSync(join(server.directory, `${todo}.txt`), 'utf8')).toBe(`work of ${todo}\n`)
    expect(worktrees()).toEqual(worktreesBefore)
    expect(branches()).toEqual(branchesBefore)
    expect(git(server.directory, 'status', '--porcelain')).toBe('')
    console.info(`[worktree-restart] after: ${worktrees().length} worktree, branches ${branches().join(', ')}`)
  }, 240_000)
})
