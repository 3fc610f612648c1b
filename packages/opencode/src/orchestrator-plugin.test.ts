import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Hooks, PluginInput } from '@opencode-ai/plugin'
import type { Part } from '@opencode-ai/sdk'
import { CommandHandledSignal, createOrchestratorPlugin } from './orchestrator-plugin'

/*
 * Two copies of the plugin in one process (two projects on one server, or the
 * plugin listed twice) must not share anything: no module-level registry, no
 * shared mission map, no shared files. The real-server test covers two
 * projects; this one builds two complete instances side by side.
 */

interface Recorded {
  toasts: Array<{ title?: string; message: string }>
  notes: Array<{ sessionId: string; text: string }>
  logs: Array<{ level: string; message: string }>
}

/** The slice of OpenCode's v1 client the plugin uses at load time and for commands; anything else throws. */
function fakeInput(directory: string, recorded: Recorded): PluginInput {
  const ok = <T>(data: T) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
  const unexpected = (what: string) => () => {
    throw new Error(`fake client: ${what} was not expected in this test`)
  }
  const client = {
    app: {
      log: ({ body }: { body: { level: string; message: string } }) => {
        recorded.logs.push({ level: body.level, message: body.message })
        return ok(true)
      },
    },
    tui: {
      showToast: ({ body }: { body: { title?: string; message: string } }) => {
        recorded.toasts.push({ ...(body.title === undefined ? {} : { title: body.title }), message: body.message })
        return ok(true)
      },
    },
    session: new Proxy(
      {
        abort: () => ok(true),
        promptAsync: ({ path, body }: { path: { id: string }; body: { noReply?: boolean; parts: Array<{ text: string }> } }) => {
          if (body.noReply !== true) throw new Error('fake client: only notes (noReply) are expected')
          recorded.notes.push({ sessionId: path.id, text: body.parts.map((part) => part.text).join('') })
          return ok(true)
        },
      },
      { get: (target: Record<string, unknown>, name) => target[String(name)] ?? unexpected(`session.${String(name)}`) },
    ),
  }
  return { client, directory, worktree: directory } as unknown as PluginInput
}

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

async function instance(files: Record<string, string> = {}) {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-plugin-'))
  directories.push(directory)
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(directory, path)), { recursive: true })
    writeFileSync(join(directory, path), text)
  }
  const recorded: Recorded = { toasts: [], notes: [], logs: [] }
  // An empty environment: the user-level config of the machine running the tests must not count.
  const hooks: Hooks = await createOrchestratorPlugin({ env: { HOME: directory, XDG_CONFIG_HOME: join(directory, 'xdg') }, processOwner: null })(fakeInput(directory, recorded))
  const command = async (sessionID: string, name: string, argumentsText = '', parts: Part[] = []) =>
    hooks['command.execute.before']!({ command: name, sessionID, arguments: argumentsText }, { parts })
  return { directory, recorded, hooks, command }
}

describe('two copies of the plugin in one process', () => {
  it('keep their missions, commands, guards and files apart', async () => {
    const first = await instance()
    const second = await instance()

    await first.command('ses_root', 'task', '"Build the API"')

    // The second copy knows nothing of the first one's mission, even for the same session id.
    await expect(second.command('ses_root', 'mission')).rejects.toThrow(CommandHandledSignal)
    expect(second.recorded.toasts.at(-1)?.message).toMatch(/no mission/i)
    await expect(first.command('ses_root', 'mission')).rejects.toThrow(CommandHandledSignal)
    expect(first.recorded.toasts.at(-1)?.message).toMatch(/planning/)

    // Guards apply only where the mission lives.
    await expect(second.hooks['tool.execute.before']!({ tool: 'bash', sessionID: 'ses_root', callID: 'c1' }, { args: { command: 'ls' } })).resolves.toBeUndefined()

    // Stopping in one copy leaves the other able to start its own mission in the same session id.
    await expect(first.command('ses_root', 'stop')).rejects.toThrow(/stopped/)
    await second.command('ses_root', 'task', '"Fix the flaky tests"')
    await expect(second.command('ses_root', 'mission')).rejects.toThrow(CommandHandledSignal)
    expect(second.recorded.toasts.at(-1)?.message).toMatch(/planning/)

    expect([...first.recorded.logs, ...second.recorded.logs].filter((entry) => entry.level === 'error')).toEqual([])

    // Each copy writes only into its own project.
    await first.hooks.dispose?.()
    await second.hooks.dispose?.()
    const journals = (directory: string) => readdirSync(join(directory, '.opencode', 'orchestrator', 'missions')).filter((name) => name.endsWith('.json'))
    expect(journals(first.directory)).toHaveLength(1)
    expect(journals(second.directory)).toHaveLength(1)
    expect(journals(first.directory)).not.toEqual(journals(second.directory))
  })
})

describe('/task', () => {
  it('answers a second /task and an empty one with a notice, never a model call or a raw error', async () => {
    const plugin = await instance()
    await expect(plugin.command('ses_a', 'task', '')).rejects.toThrow(CommandHandledSignal)
    expect(plugin.recorded.toasts.at(-1)?.message).toMatch(/^Usage: \/task <what to build>/)
    await plugin.command('ses_a', 'task', 'Build the API')
    await expect(plugin.command('ses_a', 'task', 'Something else')).rejects.toThrow(CommandHandledSignal)
    expect(plugin.recorded.toasts.at(-1)?.message).toMatch(/already running in this session .*\/mission shows it, \/stop ends it/)
    await plugin.hooks.dispose?.()
  })

  it('sends the goal as data: the words as typed, the protocol as a synthetic part, attached files kept', async () => {
    const plugin = await instance()
    const file = { id: 'prt_f', sessionID: 'ses_g', messageID: 'msg_g', type: 'file', mime: 'text/plain', url: 'file:///x.txt' } as Part
    const built = { id: 'prt_t', sessionID: 'ses_g', messageID: 'msg_g', type: 'text', text: 'Start an orchestrated mission.' } as Part
    const parts: Part[] = [built, file]
    const goal = 'Fix !`touch marker` and $(touch marker)'
    await plugin.command('ses_g', 'task', `"${goal}"`, parts)
    expect(parts).toEqual([{ type: 'text', text: goal }, { type: 'text', text: expect.stringContaining('Run the mission loop'), synthetic: true }, file])
    await plugin.hooks.dispose?.()
  })

  it('refuses a goal the plan could not hold, once, at the start, with the limit and the fix on screen', async () => {
    const plugin = await instance()
    await expect(plugin.command('ses_big', 'task', 'x'.repeat(100 * 1024))).rejects.toThrow(CommandHandledSignal)
    expect(plugin.recorded.toasts.at(-1)?.message).toMatch(/102,400 characters long; the limit is 20,000/)
    expect(plugin.recorded.notes.at(-1)).toMatchObject({ sessionId: 'ses_big', text: expect.stringContaining('docs/mission.md') })
    await expect(plugin.command('ses_big', 'mission')).rejects.toThrow(CommandHandledSignal)
    expect(plugin.recorded.toasts.at(-1)?.message).toMatch(/no mission/i)
    // Colour codes and trailing spaces are normalised, not refused.
    const parts: Part[] = []
    await plugin.command('ses_ansi', 'task', '\u001b[31mBuild\u001b[0m it  \n  with tests  ', parts)
    expect(parts[0]).toEqual({ type: 'text', text: 'Build it\n  with tests' })
    await plugin.hooks.dispose?.()
  })

  it('after a stop, /task with no text says the mission ended, why, and how to start a new one', async () => {
    const plugin = await instance()
    await plugin.command('ses_s', 'task', 'Build the API')
    await expect(plugin.command('ses_s', 'stop')).rejects.toThrow(/stopped/)
    await expect(plugin.command('ses_s', 'task', '')).rejects.toThrow(CommandHandledSignal)
    const said = plugin.recorded.toasts.at(-1)?.message ?? ''
    expect(said).toMatch(/^Mission mission_\S+ has ended \(stopped: stopped by the user \(\/stop\)\); it cannot be resumed\. Start a new one with \/task "<what to build>"\.$/)
    expect(plugin.recorded.notes.at(-1)?.text).toContain(said)
    await plugin.hooks.dispose?.()
  })
})

describe('a refused configuration', () => {
  it.each([
    ['a wrong type', '{ "concurrency": { "global": "many" } }', /concurrency\.global/],
    ['an unknown key', '{ "concurrncy": {} }', /concurrncy/],
    ['broken JSONC', '{ "concurrency": { ', /orchestrator\.jsonc/],
    ['a refused role guarantee', '{ "agents": { "planner": { "permission": { "edit": "allow" } } } }', /agents\.planner/],
    ['background.maxPerSession: 0', '{ "background": { "maxPerSession": 0 } }', /background\.maxPerSession/],
  ])('(%s) keeps the commands, and each one shows the file and the problem instead of running', async (_name, text, field) => {
    const plugin = await instance({ '.opencode/orchestrator.jsonc': text })
    expect(plugin.hooks.tool).toBeUndefined()
    const config: Parameters<NonNullable<Hooks['config']>>[0] = {}
    await plugin.hooks.config!(config)
    expect(Object.keys(config.command ?? {}).sort()).toEqual(['cancel', 'mission', 'stop', 'task'])
    // No command may name an agent the degraded plugin did not register: OpenCode would refuse it before our hook.
    expect(Object.values(config.command ?? {}).filter((command) => command.agent !== undefined)).toEqual([])
    for (const name of ['task', 'mission', 'stop']) {
      await expect(plugin.command('ses_bad', name, 'Build it')).rejects.toThrow(CommandHandledSignal)
      expect(plugin.recorded.toasts.at(-1)?.message).toMatch(field)
      expect(plugin.recorded.notes.at(-1)?.text).toMatch(field)
      expect(plugin.recorded.notes.at(-1)?.text).toContain(join(plugin.directory, '.opencode', 'orchestrator.jsonc'))
    }
    // Someone else's command is not ours to answer.
    await expect(plugin.command('ses_bad', 'review', '')).resolves.toBeUndefined()
  })
})

describe('a copy loaded in an orchestrator worktree', () => {
  it('with no orchestrator of this plugin function owning it, stays inactive and writes nothing there', async () => {
    const root = mkdtempSync(join(tmpdir(), 'orchestrator-plugin-'))
    directories.push(root)
    const worktree = join(root, '.git', 'orchestrator', 'worktrees', 'm1', 'w1')
    mkdirSync(worktree, { recursive: true })
    const recorded: Recorded = { toasts: [], notes: [], logs: [] }
    const hooks = await createOrchestratorPlugin({ env: { HOME: root, XDG_CONFIG_HOME: join(root, 'xdg') }, processOwner: null })(fakeInput(worktree, recorded))
    expect(hooks).toEqual({})
    expect(readdirSync(worktree)).toEqual([])
    expect(recorded.logs.map((log) => log.message)).toContain(
      'an orchestrator worktree with no orchestrator in this process; this copy stays inactive (no tools, commands, agents or state files)',
    )
  })

  it('owned by the orchestrator of the same plugin function, gets its agents and turns OpenCode\'s snapshot off there only', async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'orchestrator-plugin-')))
    directories.push(root)
    execFileSync('git', ['init', '-q'], { cwd: root })
    const worktree = join(root, '.git', 'orchestrator', 'worktrees', 'm1', 'w1')
    mkdirSync(worktree, { recursive: true })
    const recorded: Recorded = { toasts: [], notes: [], logs: [] }
    const plugin = createOrchestratorPlugin({ env: { HOME: root, XDG_CONFIG_HOME: join(root, 'xdg') }, processOwner: null })
    const owner = await plugin(fakeInput(root, recorded))
    const copy = await plugin(fakeInput(worktree, recorded))
    const worktreeConfig: Parameters<NonNullable<Hooks['config']>>[0] = {}
    await copy.config!(worktreeConfig)
    expect(Object.keys(worktreeConfig.agent ?? {})).toContain('worker')
    // The worktree's branch keeps the Worker's work: OpenCode's per-step snapshot there is redundant (decision 091).
    expect(worktreeConfig.snapshot).toBe(false)
    const projectConfig: Parameters<NonNullable<Hooks['config']>>[0] = {}
    await owner.config!(projectConfig)
    expect(projectConfig.snapshot).toBeUndefined()
  })
})
