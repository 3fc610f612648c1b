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

async function missionHooks(pluginOptions?: Record<string, unknown>) {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-guard-'))
  directories.push(directory)
  const aborted: string[] = []
  const hooks: Hooks = await createOrchestratorPlugin({ env: { HOME: directory } })(fakeInput(directory, aborted), pluginOptions)
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

  it('stops a session that alternates two calls (A,B,A,B…): refused from the third cycle, stopped at the fifth', async () => {
    // Before issue 18 #6 only identical consecutive calls counted: this alternation ran forever.
    const { call, aborted } = await missionHooks()
    const a = { command: 'npm test' }
    const b = { command: 'cat package.json' }
    for (const args of [a, b, a, b, a]) await call('ses_root', args)
    await expect(call('ses_root', b)).rejects.toThrow('Loop breaker: the same cycle of 2 tool calls (ending with bash) 3 times in a row')
    for (const args of [a, b, a]) await expect(call('ses_root', args)).rejects.toThrow('Loop breaker: the same cycle of 2 tool calls')
    await expect(call('ses_root', b)).rejects.toThrow('Loop breaker: stopped after repeating the same call. End your turn.')
    expect(aborted).toContain('ses_root')
    await expect(call('ses_root', a)).rejects.toThrow(/^The mission has ended \(stopped: the Commander repeated the same cycle of 2 tool calls 5 times in a row\)/)
  })

  it('catches a cycle of three calls (A,B,C,A,B,C…) and leaves varied work alone', async () => {
    const { call } = await missionHooks()
    const cycle = ['ls', 'npm test', 'git diff'].map((command) => ({ command }))
    for (let index = 0; index < 8; index++) await call('ses_root', cycle[index % 3])
    await expect(call('ses_root', cycle[2])).rejects.toThrow('Loop breaker: the same cycle of 3 tool calls')
    const { call: other } = await missionHooks()
    for (let index = 0; index < 40; index++) await expect(other('ses_root', { command: `echo ${index}` })).resolves.toBeUndefined()
  })

  it('step limit: refuses calls past steps.maxToolCallsPerTurn with a clear message, stops the session when it keeps going, and a new turn starts the count again', async () => {
    const { call, aborted } = await missionHooks({ steps: { maxToolCallsPerTurn: 4, maxToolCallsPerTask: 100 } })
    const hooksCall = (index: number) => call('ses_root', { command: `echo ${index}` })
    for (let index = 0; index < 4; index++) await expect(hooksCall(index)).resolves.toBeUndefined()
    await expect(hooksCall(4)).rejects.toThrow('Step limit: you made 4 tool calls in this turn (steps.maxToolCallsPerTurn). Do not call more tools: end your turn now')
    // Three more refusals, then the mission (the Commander has no task) is stopped.
    await expect(hooksCall(5)).rejects.toThrow('Step limit: you made 4')
    await expect(hooksCall(6)).rejects.toThrow('Step limit: you made 4')
    await expect(hooksCall(7)).rejects.toThrow('Step limit: this task has been stopped. End your turn now.')
    expect(aborted).toContain('ses_root')
  })

  it('step limit: a new message to the session starts a new turn', async () => {
    const { call, hooks } = await missionHooksWithHooks({ steps: { maxToolCallsPerTurn: 3, maxToolCallsPerTask: 100 } })
    for (let index = 0; index < 3; index++) await call('ses_root', { command: `echo ${index}` })
    await expect(call('ses_root', { command: 'echo 3' })).rejects.toThrow('Step limit')
    await hooks['chat.message']!({ sessionID: 'ses_root' }, { message: {} as never, parts: [] })
    await expect(call('ses_root', { command: 'echo 4' })).resolves.toBeUndefined()
  })
})

async function missionHooksWithHooks(pluginOptions?: Record<string, unknown>) {
  const made = await missionHooks(pluginOptions)
  const hooks = instances.at(-1)!
  return { ...made, hooks }
}

describe('orchestrator tool arguments', () => {
  it('refuses unknown keys with a "did you mean", nested ones too (depends_on was silently dropped)', async () => {
    const { tools, asCommander } = await missionHooks()
    await expect(
      tools['orchestrator_todo_write']!.execute({ todos: [{ title: 'a' }, { title: 'b', depends_on: ['t1'] }] }, asCommander),
    ).rejects.toThrow('Invalid arguments: todos[1].depends_on: unknown argument; did you mean "dependsOn"?')
    await expect(tools['orchestrator_bg_output']!.execute({ jobId: 'bg_1', tail_bytes: 10 }, asCommander)).rejects.toThrow(
      'Invalid arguments: tail_bytes: unknown argument; did you mean "tailBytes"?',
    )
    await expect(tools['orchestrator_delegate']!.execute({ agent: 'worker', title: 't', prompt: 'p', todo_ids: ['t1'] }, asCommander)).rejects.toThrow(
      'todo_ids: unknown argument; did you mean "todoIds"?',
    )
  })

  it('checks todoIds for every agent, not only Workers', async () => {
    const { tools, asCommander } = await missionHooks()
    await tools['orchestrator_todo_write']!.execute({ todos: [{ id: 't1', title: 'a' }] }, asCommander)
    for (const agent of ['reviewer', 'planner', 'worker']) {
      await expect(tools['orchestrator_delegate']!.execute({ agent, title: 'check', prompt: 'p', todoIds: ['t9'] }, asCommander)).rejects.toThrow(
        "todoIds: no todo 't9' in this mission. Its todos: t1.",
      )
    }
  })

  it('quotes at most a short prefix of a huge argument in its error', async () => {
    const { tools, asCommander } = await missionHooks()
    const huge = 'x'.repeat(1_000_000)
    const attempts: Array<[string, Record<string, unknown>]> = [
      ['orchestrator_bg_output', { jobId: huge }],
      ['orchestrator_bg_kill', { jobId: huge }],
      ['orchestrator_task_result', { taskId: huge }],
      ['orchestrator_task_cancel', { taskId: huge }],
      ['orchestrator_delegate', { agent: huge, title: 't', prompt: 'p' }],
      ['orchestrator_bg_run', { command: `echo "${huge}` }],
      ['orchestrator_todo_write', { todos: [{ title: 't', [huge]: 1 }] }],
    ]
    for (const [name, args] of attempts) {
      const started = Date.now()
      const error = await tools[name]!.execute(args, asCommander).then(
        (text) => new Error(text),
        (caught: unknown) => caught as Error,
      )
      expect(error.message.length, name).toBeLessThan(1000)
      // Named, never echoed whole: either a short quoted prefix or the schema's length check.
      expect(error.message, name).toMatch(/xxxx|too big|<=\d+ characters/i)
      expect(Date.now() - started, name).toBeLessThan(5000)
    }
    for (const [name, args] of [['orchestrator_docs_read', { key: huge }], ['orchestrator_task_status', { taskId: huge }]] as const) {
      const text = await tools[name]!.execute(args, asCommander).catch((caught: unknown) => (caught as Error).message)
      expect(text.length, name).toBeLessThan(1000)
    }
    // Below the schema's length limit, the answer quotes a short prefix only.
    const long = 'y'.repeat(199)
    const docs = await tools['orchestrator_docs_read']!.execute({ key: long }, asCommander)
    expect(docs).toContain(`No docs '${'y'.repeat(79)}… (199 characters)'`)
  }, 30_000)
})
