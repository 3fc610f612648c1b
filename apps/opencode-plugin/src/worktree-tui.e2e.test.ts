import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeTui, type OpencodeTui, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, journalOf, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, until } from './test-support/lifecycle-team'
import { diagnostics } from './test-support/scripted-team'

/*
 * A Worker in its own git worktree asks the user, as a TUI user meets it. OpenCode runs the worktree as
 * an instance of its own: the question is not on the project's event stream and the project's
 * `GET /permission` does not list it (docs/opencode-worktree-facts.md). The TUI shows it in the root
 * view all the same, and the answer reaches the Worker: the command runs in the worktree, its file
 * lands on the mission's branch, and the user's checkout is untouched.
 */

const MARKER = 'wt-tui'
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd, encoding: 'utf8' })

let model: ScriptedModel
let server: OpencodeServer
let tui: OpencodeTui | undefined

beforeAll(async () => {
  // Every shell command asks, so the Worker's command needs the user's answer.
  ;({ model, server } = await startPluginServer({ config: { permission: { bash: 'ask' } }, pluginOptions: { continuation: { cooldownMs: 200 } } }))
  model.addRule({ name: 'title', match: { system: 'You are a title generator' }, respond: { text: 'A session' } })
  // A repository with a commit: Workers get worktrees (the default isolation).
  writeFileSync(join(server.directory, 'README.md'), '# main\n')
  git(server.directory, 'add', '-A')
  git(server.directory, 'commit', '-q', '-m', 'init')
})

afterAll(async () => {
  await tui?.dispose()
  await stopPluginServer({ model, server })
})

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && tui) console.error(`--- last screen ---\n${await tui.screen()}\n--- diagnostics ---\n${diagnostics(model, server)}`)
})

describe('a Worker in a worktree asks, in the TUI', () => {
  it('shows its permission prompt in the root view; Enter allows it, the command runs in the worktree and the mission seals', async () => {
    scriptPlanner(model, { marker: MARKER, todos: [{ id: 't1', title: `Marker file (${MARKER})` }] })
    scriptReviewer(model, { marker: MARKER })
    model.addRule({
      name: `worker:${MARKER}`,
      match: { system: 'You are a Worker', marker: MARKER },
      respond: (request) =>
        request.lastRole === 'tool' ? { text: 'Wrote the marker file.' } : { toolCalls: [{ name: 'bash', arguments: { command: 'echo wt-tui-marker > tui-marker.txt', description: 'write a marker file' } }] },
    })
    scriptCommander(model, {
      marker: MARKER,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${MARKER}`)] }
        if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1: marker', 'Implement t1', ['t1'])] }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
        return { text: 'Every todo is verified.' }
      },
    })

    tui = await startOpencodeTui({ server, rows: 60 })
    await tui.waitFor('Ask anything', { timeoutMs: 60_000 })
    await tui.submit(`/task "a marker file ${MARKER}"`)

    const prompt = await tui.waitFor('Permission required', { timeoutMs: 90_000 })
    console.info(`[wt-tui] the question on screen:\n${prompt}`)
    expect(prompt).toContain('$ echo wt-tui-marker > tui-marker.txt')
    expect(prompt).toMatch(/Allow once\s+Allow always\s+Reject/)
    // The question is the worktree instance's: the project's own list does not have it.
    const pending = (await server.client.permission.list()).data ?? []
    expect(pending).toEqual([])
    const root = ((await server.client.session.list()).data ?? []).find((session) => !session.parentID && journalOf(server.directory, session.id) !== undefined)
    expect(root).toBeDefined()
    const workerSession = ((await server.client.session.children({ sessionID: root!.id })).data ?? []).find((child) => child.title.includes('@worker'))
    expect(workerSession?.directory).toContain('/orchestrator/worktrees/')

    await tui.keys('Enter')
    const sealed = await tui.waitFor('Mission sealed', { timeoutMs: 90_000 })
    console.info(`[wt-tui] after Enter:\n${sealed}`)
    const context = { model, server }
    await until(context, () => journalOf(server.directory, root!.id)?.state === 'sealed', 30_000, 'the sealed journal')
    const record = journalOf(server.directory, root!.id)!
    // The Worker got the command's result (its second request answers the tool call), not a refusal.
    const workerRequests = requestsOf(model, `worker:${MARKER}`)
    expect(workerRequests.map((request) => request.summary?.lastRole)).toEqual(['user', 'tool'])
    expect(workerRequests[1]!.summary!.toolResults[0]!.content).not.toMatch(/rejected|refused/i)
    // The command ran in the worktree: its file is on the mission's branch, not in the user's checkout.
    expect(git(server.directory, 'show', `orchestrator/${record.id}:tui-marker.txt`)).toBe('wt-tui-marker\n')
    expect(git(server.directory, 'status', '--porcelain', '--', 'tui-marker.txt')).toBe('')
  })
})
