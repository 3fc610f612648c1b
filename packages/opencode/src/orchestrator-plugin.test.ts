import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Hooks, PluginInput } from '@opencode-ai/plugin'
import { CommandHandledSignal, createOrchestratorPlugin } from './orchestrator-plugin'

/*
 * Two copies of the plugin in one process (two projects on one server, or the
 * plugin listed twice) must not share anything: no module-level registry, no
 * shared mission map, no shared files. The real-server test covers two
 * projects; this one builds two complete instances side by side.
 */

interface Recorded {
  toasts: Array<{ title?: string; message: string }>
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
        // Notes without a model call (noReply), e.g. the line that says how a mission ended.
        promptAsync: ({ body }: { body: { noReply?: boolean } }) => {
          if (body.noReply !== true) throw new Error('fake client: only notes (noReply) are expected in this test')
          return ok(undefined)
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

async function instance() {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-plugin-'))
  directories.push(directory)
  const recorded: Recorded = { toasts: [], logs: [] }
  const hooks: Hooks = await createOrchestratorPlugin()(fakeInput(directory, recorded))
  const command = async (sessionID: string, name: string, argumentsText = '') =>
    hooks['command.execute.before']!({ command: name, sessionID, arguments: argumentsText }, { parts: [] })
  return { directory, recorded, hooks, command }
}

describe('two copies of the plugin in one process', () => {
  it('keep their missions, commands, guards and files apart', async () => {
    const first = await instance()
    const second = await instance()

    await first.command('ses_root', 'task', '"Build the API"')

    // The second copy knows nothing of the first one's mission, even for the same session id.
    await expect(second.command('ses_root', 'status')).rejects.toThrow(CommandHandledSignal)
    expect(second.recorded.toasts.at(-1)?.message).toMatch(/no mission/i)
    await expect(first.command('ses_root', 'status')).rejects.toThrow(CommandHandledSignal)
    expect(first.recorded.toasts.at(-1)?.message).toMatch(/planning/)

    // Guards apply only where the mission lives.
    await expect(second.hooks['tool.execute.before']!({ tool: 'bash', sessionID: 'ses_root', callID: 'c1' }, { args: { command: 'ls' } })).resolves.toBeUndefined()

    // Stopping in one copy leaves the other able to start its own mission in the same session id.
    await expect(first.command('ses_root', 'stop')).rejects.toThrow(/stopped/)
    await second.command('ses_root', 'task', '"Fix the flaky tests"')
    await expect(second.command('ses_root', 'status')).rejects.toThrow(CommandHandledSignal)
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
    expect(plugin.recorded.toasts.at(-1)?.message).toMatch(/already running in this session .*\/status shows it, \/stop ends it/)
    await plugin.hooks.dispose?.()
  })
})
