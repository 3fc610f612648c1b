import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ChatRequestSummary, OpencodeServer, ScriptedModel, ScriptedResponse } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { journalOf, requestsOf, scriptCommander, startTask, until } from './test-support/lifecycle-team'

/*
 * Issue 14 on a real OpenCode server with the scripted model: Workers write in git worktrees of
 * their own (docs/opencode-worktree-facts.md, decisions 084/088/089).
 * - A Worker's absolute-path write, `cd ..` escape, redirection and bg_run cwd into the main
 *   checkout are refused with the path and the worktree named; the main checkout is untouched.
 * - Two Workers in parallel edit one file in different places: both edits are in the result and
 *   the overlap is reported. In the same lines: a reported conflict, both versions kept.
 * - The same two Workers with isolation "none": how often a write is lost (printed, and recorded in
 *   the facts doc).
 */

let model: ScriptedModel
let server: OpencodeServer
const SHARED = Array.from({ length: 12 }, (_, index) => `line ${index + 1}`).join('\n') + '\n'

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd, encoding: 'utf8' })

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ expectTools: ['orchestrator_delegate', 'orchestrator_bg_run'], config: { permission: { bash: { '*': 'allow', 'git push *': 'ask' }, edit: 'allow' } } }))
  writeFileSync(join(server.directory, 'README.md'), '# main\n')
  writeFileSync(join(server.directory, 'shared.txt'), SHARED)
  git(server.directory, 'add', '-A')
  git(server.directory, 'commit', '-q', '-m', 'init')
})

afterAll(() => stopPluginServer({ model, server }))

const bash = (command: string) => ({ name: 'bash', arguments: { command, description: command } })
const context = () => ({ model, server })
const answered = (rule: string) => requestsOf(model, rule).find((request) => request.summary?.lastRole === 'tool')
const worktrees = () =>
  git(server.directory, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length))
const branches = () => git(server.directory, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean)

/** The Commander delegates `workers` in one turn (they run in parallel) and ends its turn on their results. */
function commanderDelegating(marker: string, workers: Array<{ title: string; isolation?: 'worktree' | 'none' }>) {
  return scriptCommander(model, {
    marker,
    turn: (kind) =>
      kind === 'task'
        ? {
            toolCalls: workers.map((worker) => ({
              name: 'orchestrator_delegate',
              arguments: { agent: 'worker', title: worker.title, prompt: `${worker.title} (${marker})`, ...(worker.isolation ? { isolation: worker.isolation } : {}) },
            })),
          }
        : { text: 'Noted.' },
  })
}

/** A Worker that reads shared.txt, then writes it whole with one line changed (a read-modify-write, as models do). */
function rewritingWorker(marker: string, title: string, lineIndex: number, text: string) {
  model.addRule({
    name: `worker:${marker}:${title}`,
    match: { system: 'You are a Worker', marker, user: title },
    respond: (request: ChatRequestSummary): ScriptedResponse => {
      const calls = request.previousToolCalls.map((call) => call.name)
      if (!calls.includes('read')) return { toolCalls: [{ name: 'read', arguments: { filePath: 'shared.txt' } }], delays: { beforeFirstChunkMs: 200 } }
      if (!calls.includes('write')) {
        const read = request.toolResults.find((result) => result.content.includes('line 1'))?.content ?? ''
        // The read tool numbers its lines ("00001| line 1" or "1: line 1"): take the text back out.
        const lines = read
          .split('\n')
          .map((line) => /^\s*\d+[|:]\s?(.*)$/.exec(line)?.[1])
          .filter((line): line is string => line !== undefined)
          .filter((line) => !line.startsWith('(End of file'))
        const base = lines.length >= 12 ? lines.slice(0, 12) : SHARED.trimEnd().split('\n')
        base[lineIndex] = text
        return { toolCalls: [{ name: 'write', arguments: { filePath: 'shared.txt', content: `${base.join('\n')}\n` } }], delays: { beforeFirstChunkMs: 300 } }
      }
      return { text: `RESULT: ${title} changed line ${lineIndex + 1}` }
    },
  })
}

async function stopMission(rootSessionId: string) {
  await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' }).catch(() => undefined)
  await until(context(), () => ['stopped', 'sealed', 'failed'].includes(journalOf(server.directory, rootSessionId)?.state ?? ''), 30_000, 'mission stopped')
}

describe('a Worker in its own worktree (real OpenCode server)', () => {
  it('is refused an absolute-path write, a cd escape, a redirection and a bg_run cwd into the main checkout; its own work reaches the mission branch', async () => {
    const marker = 'wt-escape'
    const main = server.directory
    commanderDelegating(marker, [{ title: 'escape attempt' }])
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: 'RESULT: tried' }
          : {
              toolCalls: [
                { name: 'write', arguments: { filePath: join(main, 'abs-write.txt'), content: 'x\n' } },
                bash('cd ../../../../.. && touch cd-escape.txt'),
                bash(`echo x > ${join(main, 'redirect.txt')}`),
                bash('echo y > ../../../../../relative-redirect.txt'),
                { name: 'orchestrator_bg_run', arguments: { command: 'touch bg-escape.txt', cwd: main } },
                { name: 'write', arguments: { filePath: 'inside.txt', content: 'made in the worktree\n' } },
              ],
            },
    })
    const rootSessionId = await startTask(server, `${marker}: try to write outside`)
    await until(context(), () => answered(`worker:${marker}`) !== undefined, 90_000, 'the Worker got its tool results')
    const results = answered(`worker:${marker}`)!.summary!.toolResults.map((result) => result.content)
    const worktree = /outside this task's worktree (\S+)\./.exec(results.join('\n'))?.[1]
    expect(worktree, results.join('\n---\n')).toMatch(/\/orchestrator\/worktrees\//)
    expect(results[0]).toContain(`Refused: write would change ${join(main, 'abs-write.txt')}, outside this task's worktree ${worktree}.`)
    expect(results[1]).toContain(`Refused: \`cd\` changes to ${main}, outside this task's worktree ${worktree}.`)
    expect(results[2]).toContain(`Refused: the redirection writes to ${join(main, 'redirect.txt')}, outside this task's worktree`)
    expect(results[3]).toContain(`Refused: the redirection writes to ${join(main, 'relative-redirect.txt')}, outside this task's worktree`)
    expect(results[4]).toContain(`Refused: the working directory (cwd) is ${main}, outside this task's worktree`)
    expect(results[5]).toContain('Wrote file successfully')
    for (const file of ['abs-write.txt', 'cd-escape.txt', 'redirect.txt', 'relative-redirect.txt', 'bg-escape.txt', 'inside.txt']) {
      expect(existsSync(join(main, file)), file).toBe(false)
    }
    // The user's checkout is untouched (the mission folder is ignored by git).
    expect(git(main, 'status', '--porcelain')).toBe('')
    // The worktree's own plugin copy wrote no state into it.
    expect(existsSync(join(worktree!, '.opencode', 'orchestrator'))).toBe(false)
    await until(context(), () => journalOf(main, rootSessionId)?.tasks.some((task) => task.agent === 'worker' && task.status !== 'running' && task.status !== 'queued') === true, 60_000, 'the Worker task ended')
    const missionId = journalOf(main, rootSessionId)!.id
    await until(context(), () => branches().includes(`orchestrator/${missionId}`) && git(main, 'ls-tree', '--name-only', `orchestrator/${missionId}`).includes('inside.txt'), 30_000, 'the work merged into the mission branch')
    expect(git(main, 'show', `orchestrator/${missionId}:inside.txt`)).toBe('made in the worktree\n')
    await stopMission(rootSessionId)
  })

  it('two Workers editing one file in different places: both edits land, and the overlap is reported', async () => {
    const marker = 'wt-parallel'
    commanderDelegating(marker, [{ title: 'edit-top' }, { title: 'edit-bottom' }])
    rewritingWorker(marker, 'edit-top', 0, 'TOP by the first worker')
    rewritingWorker(marker, 'edit-bottom', 11, 'BOTTOM by the second worker')
    const rootSessionId = await startTask(server, `${marker}: two edits`)
    await until(context(), () => (journalOf(server.directory, rootSessionId)?.tasks.filter((task) => task.agent === 'worker' && ['completed', 'failed', 'cancelled'].includes(task.status)).length ?? 0) === 2, 90_000, 'both Worker tasks ended')
    const record = journalOf(server.directory, rootSessionId)!
    await until(context(), () => git(server.directory, 'show', `orchestrator/${record.id}:shared.txt`).includes('BOTTOM') && git(server.directory, 'show', `orchestrator/${record.id}:shared.txt`).includes('TOP'), 30_000, 'both edits merged')
    const merged = git(server.directory, 'show', `orchestrator/${record.id}:shared.txt`)
    expect(merged.split('\n')[0]).toBe('TOP by the first worker')
    expect(merged.split('\n')[11]).toBe('BOTTOM by the second worker')
    // The user's checkout still has the original file.
    expect(readFileSync(join(server.directory, 'shared.txt'), 'utf8')).toBe(SHARED)
    // Someone tells the Commander that both changed shared.txt (in a delegation result or a wake).
    await until(
      context(),
      () => requestsOf(model, `commander:${marker}`).some((request) => request.summary?.toolResults.some((result) => /Files changed by more than one worker \(merged cleanly; check they still fit together\): shared\.txt \(task_\S+, task_\S+\)/.test(result.content)) === true),
      30_000,
      'the Commander heard of the overlap',
    )
    await stopMission(rootSessionId)
  })

  it('two Workers editing the same lines: a conflict is reported, nothing is clobbered, both versions stay on their branches', async () => {
    const marker = 'wt-conflict'
    commanderDelegating(marker, [{ title: 'same-a' }, { title: 'same-b' }])
    rewritingWorker(marker, 'same-a', 4, 'line 5 as A wants it')
    rewritingWorker(marker, 'same-b', 4, 'line 5 as B wants it')
    const before = worktrees()
    const rootSessionId = await startTask(server, `${marker}: same lines`)
    await until(context(), () => (journalOf(server.directory, rootSessionId)?.tasks.filter((task) => task.agent === 'worker' && ['completed', 'failed', 'cancelled'].includes(task.status)).length ?? 0) === 2, 90_000, 'both Worker tasks ended')
    const record = journalOf(server.directory, rootSessionId)!
    const conflicted = record.tasks.find((task) => task.error?.code === 'merge-conflict')
    expect(conflicted, JSON.stringify(record.tasks, null, 2)).toBeDefined()
    expect(conflicted!.error!.message).toContain('shared.txt')
    const merged = git(server.directory, 'show', `orchestrator/${record.id}:shared.txt`)
    const taskBranches = branches().filter((branch) => branch.startsWith(`orchestrator/${record.id}--`))
    const versions = taskBranches.map((branch) => git(server.directory, 'show', `${branch}:shared.txt`).split('\n')[4])
    // One version merged; the other is kept on its branch.
    expect([merged.split('\n')[4], ...versions]).toEqual(expect.arrayContaining(['line 5 as A wants it', 'line 5 as B wants it']))
    expect(worktrees().length).toBeGreaterThanOrEqual(before.length)
    await stopMission(rootSessionId)
  })

  it('measures the same two read-modify-write Workers with isolation "none": how often a write is lost', async () => {
    const runs = 3
    let lost = 0
    for (let run = 0; run < runs; run++) {
      git(server.directory, 'checkout', '-q', '--', 'shared.txt')
      const marker = `wt-none-${run}`
      commanderDelegating(marker, [
        { title: `none-top-${run}`, isolation: 'none' },
        { title: `none-bottom-${run}`, isolation: 'none' },
      ])
      rewritingWorker(marker, `none-top-${run}`, 0, 'TOP by the first worker')
      rewritingWorker(marker, `none-bottom-${run}`, 11, 'BOTTOM by the second worker')
      const rootSessionId = await startTask(server, `${marker}: two edits, no isolation`)
      await until(context(), () => (journalOf(server.directory, rootSessionId)?.tasks.filter((task) => task.agent === 'worker' && ['completed', 'failed', 'cancelled'].includes(task.status)).length ?? 0) === 2, 90_000, 'both Worker tasks ended')
      const text = readFileSync(join(server.directory, 'shared.txt'), 'utf8')
      if (!(text.includes('TOP by the first worker') && text.includes('BOTTOM by the second worker'))) lost++
      await stopMission(rootSessionId)
    }
    console.log(`[worktree-isolation] isolation "none": a write was lost in ${lost} of ${runs} runs`)
    git(server.directory, 'checkout', '-q', '--', 'shared.txt')
    expect(readdirSync(server.directory)).toContain('shared.txt')
  })

  it('a permission question from a Worker in its worktree (which the user\'s TUI cannot answer) is refused at once, with a notice', async () => {
    const marker = 'wt-question'
    commanderDelegating(marker, [{ title: 'push it' }])
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) => (request.lastRole === 'tool' ? { text: 'RESULT: could not push' } : { toolCalls: [bash('git push origin HEAD')] }),
    })
    const mark = server.events.mark()
    const rootSessionId = await startTask(server, `${marker}: push`)
    await until(context(), () => journalOf(server.directory, rootSessionId)?.tasks.some((task) => task.agent === 'worker' && ['completed', 'failed', 'cancelled'].includes(task.status)) === true, 60_000, 'the Worker task ended')
    const toast = await server.events.waitFor((event) => event.type === 'tui.toast.show' && (event.properties as { title?: string }).title === "Orchestrator: a Worker's question", 30_000, { since: mark })
    expect((toast.event.properties as { message: string }).message).toContain('asked for bash (git push origin HEAD)')
    // The task ends with the reason, for its caller; nothing is left waiting in the worktree's instance.
    const task = journalOf(server.directory, rootSessionId)!.tasks.find((entry) => entry.agent === 'worker')!
    expect(task.status).toBe('cancelled')
    expect(task.error?.message).toContain("questions from a Worker's worktree cannot reach the user")
    const worktree = (await server.client.session.get({ sessionID: task.sessionId! })).data!.directory
    expect(((await server.client.permission.list({ directory: worktree })).data ?? []).filter((request) => request.sessionID === task.sessionId)).toEqual([])
    await stopMission(rootSessionId)
  })
})
