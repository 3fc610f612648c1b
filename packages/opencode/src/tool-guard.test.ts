import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Hooks, PluginInput, ToolContext } from '@opencode-ai/plugin'
import { createOrchestratorPlugin } from './orchestrator-plugin'

/*
 * The plugin's `tool.execute.before` guard, driven in-process: what an agent
 * that repeats itself is told, that sessions outside a mission pass, and that
 * the guard forgets a session once its work has ended.
 */

type Tools = Record<string, { execute(args: Record<string, unknown>, context: ToolContext): Promise<string> }>

/** The slice of OpenCode's v1 client the plugin uses here; child sessions are `ses_child_1`, `ses_child_2`, … */
function fakeInput(directory: string, aborted: string[]): PluginInput {
  let children = 0
  const ok = <T>(data: T) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
  const client = {
    app: { log: () => ok(true) },
    tui: { showToast: () => ok(true) },
    session: new Proxy(
      {
        abort: ({ path }: { path: { id: string } }) => {
          aborted.push(path.id)
          return ok(true)
        },
        create: ({ body }: { body: { title: string; parentID?: string } }) => ok({ id: `ses_child_${++children}`, title: body.title, parentID: body.parentID }),
        promptAsync: () => ok(undefined),
      },
      {
        get: (target: Record<string, unknown>, name) =>
          target[String(name)] ??
          (() => {
            throw new Error(`fake client: session.${String(name)} was not expected in this test`)
          }),
      },
    ),
  }
  return { client, directory, worktree: directory } as unknown as PluginInput
}

const directories: string[] = []
const instances: Hooks[] = []
afterEach(async () => {
  for (const hooks of instances.splice(0)) await hooks.dispose?.()
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

async function missionHooks() {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-guard-'))
  directories.push(directory)
  const aborted: string[] = []
  const hooks: Hooks = await createOrchestratorPlugin({ env: { HOME: directory } })(fakeInput(directory, aborted))
  instances.push(hooks)
  await hooks['command.execute.before']!({ command: 'task', sessionID: 'ses_root', arguments: '"Build the API"' }, { parts: [] })
  const call = (sessionID: string, args: Record<string, unknown> = { command: 'npm test' }) =>
    hooks['tool.execute.before']!({ tool: 'bash', sessionID, callID: 'call' }, { args })
  const tools = hooks.tool as unknown as Tools
  const asCommander = { sessionID: 'ses_root', agent: 'commander', directory, abort: new AbortController().signal, metadata: () => undefined } as unknown as ToolContext
  return { aborted, call, tools, asCommander }
}

describe('tool.execute.before', () => {
  it('refuses the third identical call with a count the agent can read, and stops the fifth', async () => {
    const { call, aborted } = await missionHooks()
    await call('ses_root')
    await call('ses_root')
    await expect(call('ses_root')).rejects.toThrow(
      'Loop breaker: 3 identical bash calls in a row with the same arguments. The result will not change; try something else or end your turn with what you have.',
    )
    await expect(call('ses_root')).rejects.toThrow('Loop breaker: 4 identical bash calls in a row')
    await expect(call('ses_root')).rejects.toThrow('Loop breaker: stopped after repeating the same call. End your turn.')
    expect(aborted).toContain('ses_root')
    await expect(call('ses_root')).rejects.toThrow(/^The mission has ended \(stopped: the Commander repeated the same bash call 5 times in a row\)/)
  })

  it('counts only identical calls in a row: other arguments reset the count', async () => {
    const { call } = await missionHooks()
    await call('ses_root')
    await call('ses_root')
    await call('ses_root', { command: 'npm run build' })
    await expect(call('ses_root')).resolves.toBeUndefined()
  })

  it("forgets a session's repeats once its task ends (no entry per session left behind)", async () => {
    const { call, tools, asCommander, aborted } = await missionHooks()
    // The delegation returns when its task ends: here, when it is cancelled.
    const delegated = tools['orchestrator_delegate']!.execute({ agent: 'worker', title: 'part', prompt: 'Do the part.' }, asCommander)
    // The child session is created once the scheduler grants the slot.
    const runningTask = async () => /(task_\S+) · worker · running/.exec(await tools['orchestrator_task_status']!.execute({}, asCommander))?.[1]
    for (let attempt = 0; attempt < 50 && !(await runningTask()); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const taskId = (await runningTask())!
    await call('ses_child_1')
    await call('ses_child_1')
    await tools['orchestrator_task_cancel']!.execute({ taskId, reason: 'no longer needed' }, asCommander)
    expect(aborted).toEqual(['ses_child_1'])
    await expect(delegated).resolves.toMatch(/cancelled/)
    // A third identical call would be refused had the count outlived the task.
    await expect(call('ses_child_1')).resolves.toBeUndefined()
  })

  it('lets every call of a session outside a mission through', async () => {
    const { call } = await missionHooks()
    for (let index = 0; index < 10; index++) await expect(call('ses_elsewhere')).resolves.toBeUndefined()
  })
})
