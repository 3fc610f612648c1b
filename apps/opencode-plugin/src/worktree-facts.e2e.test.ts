import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createEventRecorder, startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'

/*
 * Facts about OpenCode 1.18.33 and git worktrees, checked on the real server (docs/opencode-worktree-facts.md).
 * A probe plugin logs, per plugin instance (= per directory), its load, every event and every tool call; the
 * test asserts what the orchestrator builds on and prints the timings it measured.
 */

const PROBE_PLUGIN = `
import { appendFileSync } from 'node:fs'
let moduleLoads = 0
export const probe = async (input) => {
  moduleLoads++
  globalThis.__worktreeProbeLoads = (globalThis.__worktreeProbeLoads ?? 0) + 1
  const file = process.env.WORKTREE_PROBE_FILE
  const log = (entry) => appendFileSync(file, JSON.stringify({ at: Date.now(), instance: input.directory, ...entry }) + '\\n')
  log({ kind: 'load', worktree: input.worktree, moduleLoads, globalLoads: globalThis.__worktreeProbeLoads })
  const sessionOf = (event) => event.properties?.sessionID ?? event.properties?.info?.sessionID ?? event.properties?.part?.sessionID ?? event.properties?.info?.id
  return {
    event: async ({ event }) => log({ kind: 'event', type: event.type, sessionID: sessionOf(event) }),
    'tool.execute.before': async (tool) => log({ kind: 'tool', tool: tool.tool, sessionID: tool.sessionID }),
  }
}
`

interface ProbeEntry {
  at: number
  instance: string
  kind: 'load' | 'event' | 'tool'
  type?: string
  tool?: string
  sessionID?: string
  worktree?: string
  moduleLoads?: number
  globalLoads?: number
}

let model: ScriptedModel
let server: OpencodeServer
let probeRoot: string
let probeFile: string
const facts: Record<string, unknown> = {}

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=probe', '-c', 'user.email=probe@example.invalid', ...args], { cwd, encoding: 'utf8' })
const probe = (): ProbeEntry[] =>
  existsSync(probeFile)
    ? readFileSync(probeFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as ProbeEntry)
    : []

async function waitUntil(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function worktree(name: string): string {
  const path = join(server.directory, '.git', 'orchestrator', 'worktrees', 'm1', name)
  git(server.directory, 'worktree', 'add', '-q', '-b', `orchestrator/m1--${name}`, path)
  return path
}

beforeAll(async () => {
  probeRoot = mkdtempSync(join(tmpdir(), 'worktree-probe-'))
  probeFile = join(probeRoot, 'probe.jsonl')
  const pluginPath = join(probeRoot, 'probe-plugin.js')
  writeFileSync(pluginPath, PROBE_PLUGIN)
  model = await startScriptedModel()
  server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    plugins: [pathToFileURL(pluginPath).href],
    env: { WORKTREE_PROBE_FILE: probeFile },
    files: { 'README.md': '# main\n', 'src/a.txt': 'one\n' },
  })
  git(server.directory, 'add', '-A')
  git(server.directory, 'commit', '-q', '-m', 'init')
})

afterAll(async () => {
  console.log(`[worktree-facts] ${JSON.stringify(facts, null, 2)}`)
  await server?.dispose()
  await model?.close()
  rmSync(probeRoot, { recursive: true, force: true })
})

describe('OpenCode 1.18.33 with a session in a git worktree (real server)', () => {
  it('scopes a session to the directory it was created with; the plugin loads again there; events stay per instance', async () => {
    const client = server.client
    const main = server.directory
    const cold = worktree('cold')
    model.addRule({ name: 'quick', match: { user: 'quick-' }, respond: { text: 'done' } })

    // Main instance, warm: create → first model call.
    let started = Date.now()
    const warmRoot = (await client.session.create({ title: 'root' })).data!
    await client.session.promptAsync({ sessionID: warmRoot.id, parts: [{ type: 'text', text: 'quick-main' }] })
    const mainRequest = await model.waitForRequest((request) => request.summary?.lastUserMessage.includes('quick-main') === true)
    facts.mainCreateToModelMs = mainRequest.receivedAt - started

    // A child in a new worktree directory: create → first model call (includes booting the instance).
    started = Date.now()
    const child = (await client.session.create({ title: 'child', parentID: warmRoot.id, directory: cold })).data!
    facts.coldCreateMs = Date.now() - started
    facts.childDirectory = child.directory
    facts.sameProject = child.projectID === warmRoot.projectID
    expect(child.directory).toBe(cold)
    expect(child.parentID).toBe(warmRoot.id)
    await client.session.promptAsync({ sessionID: child.id, directory: cold, parts: [{ type: 'text', text: 'quick-cold' }] })
    const coldRequest = await model.waitForRequest((request) => request.summary?.lastUserMessage.includes('quick-cold') === true)
    facts.coldCreateToModelMs = coldRequest.receivedAt - started

    // The plugin was loaded a second time, for the worktree.
    const loads = probe().filter((entry) => entry.kind === 'load')
    facts.pluginLoads = loads.map((entry) => ({ instance: entry.instance, worktree: entry.worktree, moduleLoads: entry.moduleLoads, globalLoads: entry.globalLoads }))
    expect(loads.map((entry) => entry.instance)).toEqual(expect.arrayContaining([main, cold]))

    // Which instance's plugin saw the child's events and tool calls.
    await waitUntil('the child went idle', () => probe().some((entry) => entry.kind === 'event' && entry.type === 'session.idle' && entry.sessionID === child.id))
    const childEvents = probe().filter((entry) => entry.kind === 'event' && entry.sessionID === child.id)
    facts.childEventsSeenBy = [...new Set(childEvents.map((entry) => entry.instance))]
    expect(childEvents.every((entry) => entry.instance === cold)).toBe(true)

    // Later calls on the child, with and without its directory.
    const calls: Record<string, { withDirectory: unknown; withoutDirectory: unknown }> = {}
    const outcome = (result: { data?: unknown; error?: unknown; response?: Response }) =>
      result.error !== undefined ? `error ${result.response?.status ?? ''} ${JSON.stringify(result.error).slice(0, 120)}` : Array.isArray(result.data) ? `ok (${result.data.length} items)` : `ok ${JSON.stringify(result.data ?? null).slice(0, 80)}`
    const both = async (name: string, call: (directory: string | undefined) => Promise<{ data?: unknown; error?: unknown; response?: Response }>) => {
      calls[name] = { withDirectory: outcome(await call(cold)), withoutDirectory: outcome(await call(undefined)) }
    }
    const dir = (directory: string | undefined) => (directory ? { directory } : {})
    await both('session.get', (directory) => client.session.get({ sessionID: child.id, ...dir(directory) }))
    await both('session.messages', (directory) => client.session.messages({ sessionID: child.id, ...dir(directory) }))
    await both('session.todo', (directory) => client.session.todo({ sessionID: child.id, ...dir(directory) }))
    await both('session.children(parent in main)', (directory) => client.session.children({ sessionID: warmRoot.id, ...dir(directory) }))
    await both('session.abort(idle)', (directory) => client.session.abort({ sessionID: child.id, ...dir(directory) }))

    // Status while busy: the child hangs in a model call; which instance's status lists it?
    model.addRule({ name: 'hang', match: { marker: 'hang-now' }, respond: { hang: true } })
    const hangs = () => model.requests.filter((request) => request.rule === 'hang')
    const busyIn = async (directory: string | undefined) => child.id in ((await client.session.status(directory ? { directory } : {})).data ?? {})
    await client.session.promptAsync({ sessionID: child.id, directory: cold, parts: [{ type: 'text', text: 'hang-now' }] })
    await waitUntil('the child hangs in a model call', () => hangs().some((request) => request.endedAt === undefined))
    calls['session.status(busy child)'] = { withDirectory: await busyIn(cold), withoutDirectory: await busyIn(undefined) }
    // Abort without the directory first: does it reach the busy child?
    await client.session.abort({ sessionID: child.id })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const stillBusy = hangs().some((request) => request.endedAt === undefined)
    await client.session.abort({ sessionID: child.id, directory: cold })
    await waitUntil('abort with the directory ends the model call', () => hangs().every((request) => request.endedAt !== undefined), 10_000).catch(() => undefined)
    const busyAfter = hangs().some((request) => request.endedAt === undefined)
    calls['session.abort(busy child)'] = { withDirectory: busyAfter ? 'still busy' : 'stopped', withoutDirectory: stillBusy ? 'still busy' : 'stopped' }
    facts.calls = calls
    expect(busyAfter).toBe(false)
  })

  it('an event stream with ?directory= carries that instance’s events; /global/event carries all of them', async () => {
    const client = server.client
    const wt = worktree('events')
    const recorder = createEventRecorder()
    await recorder.connect({ url: server.url, directory: wt, generation: 1, timeoutMs: 30_000 })
    const globalEvents: Array<{ directory?: string; type?: string; sessionID?: string }> = []
    const abort = new AbortController()
    void (async () => {
      const response = await fetch(`${server.url}/global/event`, { signal: abort.signal, headers: { accept: 'text/event-stream' } })
      const decoder = new TextDecoder()
      let buffer = ''
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
          const data = buffer.slice(0, end).split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5)).join('')
          buffer = buffer.slice(end + 2)
          if (!data) continue
          const parsed = JSON.parse(data) as { directory?: string; payload?: { type?: string; properties?: { sessionID?: string; info?: { id?: string } } } }
          globalEvents.push({ directory: parsed.directory, type: parsed.payload?.type, sessionID: parsed.payload?.properties?.sessionID ?? parsed.payload?.properties?.info?.id })
        }
      }
    })().catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const session = (await client.session.create({ title: 'events', directory: wt })).data!
    await client.session.promptAsync({ sessionID: session.id, directory: wt, parts: [{ type: 'text', text: 'quick-events' }] })
    await recorder.waitFor((event) => event.type === 'session.idle' && event.properties.sessionID === session.id)
    await waitUntil('global stream saw the idle', () => globalEvents.some((event) => event.type === 'session.idle' && event.sessionID === session.id))
    abort.abort()
    recorder.disconnect()
    const mainSaw = server.events.all.some((recorded) => JSON.stringify(recorded.event).includes(session.id))
    facts.events = {
      directoryStreamSawChild: true,
      mainStreamSawChild: mainSaw,
      globalEventDirectories: [...new Set(globalEvents.filter((event) => event.sessionID === session.id).map((event) => event.directory))],
    }
    expect(mainSaw).toBe(false)
  })

  it('what boots an instance cheaply, and what instance.dispose does', async () => {
    const client = server.client
    const warm = worktree('warm')
    let started = Date.now()
    await client.path.get({ directory: warm })
    facts.bootByPathGetMs = Date.now() - started
    const loaded = probe().some((entry) => entry.kind === 'load' && entry.instance === warm)
    facts.pathGetLoadsPlugin = loaded
    started = Date.now()
    await client.tool.ids({ directory: warm })
    facts.toolIdsAfterBootMs = Date.now() - started
    started = Date.now()
    const session = (await client.session.create({ title: 'warm', directory: warm })).data!
    await client.session.promptAsync({ sessionID: session.id, directory: warm, parts: [{ type: 'text', text: 'quick-warm' }] })
    const request = await model.waitForRequest((entry) => entry.summary?.lastUserMessage.includes('quick-warm') === true)
    facts.warmCreateToModelMs = request.receivedAt - started
    await waitUntil('warm child idle', () => probe().some((entry) => entry.type === 'session.idle' && entry.sessionID === session.id))

    // Second sessions: the cost once an instance has run a prompt.
    const second = async (directory: string | undefined, marker: string) => {
      const begin = Date.now()
      const created = (await client.session.create({ title: marker, ...(directory ? { directory } : {}) })).data!
      await client.session.promptAsync({ sessionID: created.id, ...(directory ? { directory } : {}), parts: [{ type: 'text', text: marker }] })
      const seen = await model.waitForRequest((entry) => entry.summary?.lastUserMessage.includes(marker) === true)
      return seen.receivedAt - begin
    }
    facts.secondSessionMs = { main: await second(undefined, 'quick-second-main'), warmWorktree: await second(warm, 'quick-second-warm') }
    // Warm-up candidates on fresh worktrees: which call makes the first session as fast as a second one?
    const candidates: Record<string, (directory: string) => Promise<unknown>> = {
      'path.get': (directory) => client.path.get({ directory }),
      'tool.ids+config.providers': async (directory) => {
        await client.tool.ids({ directory })
        await client.config.providers({ directory })
      },
      'app.agents+tool.ids+config.providers': async (directory) => {
        await client.app.agents({ directory })
        await client.tool.ids({ directory })
        await client.config.providers({ directory })
      },
      'tool.list(fake model)': (directory) => client.tool.list({ directory, provider: 'fake', model: 'fake-model' }),
      'agents+tools+providers+noReply prompt': async (directory) => {
        await client.app.agents({ directory })
        await client.tool.ids({ directory })
        await client.config.providers({ directory })
        const scratch = (await client.session.create({ title: 'warm-up', directory })).data!
        await client.session.prompt({ sessionID: scratch.id, directory, noReply: true, parts: [{ type: 'text', text: 'warm-up' }] })
        await client.session.delete({ sessionID: scratch.id, directory })
      },
      'find.files': (directory) => client.find.files({ directory, query: 'README' }),
      'file.status': (directory) => client.file.status({ directory }),
      'tools+providers+find.files': async (directory) => {
        await client.tool.ids({ directory })
        await client.config.providers({ directory })
        await client.find.files({ directory, query: 'README' })
      },
      'agents+tools+providers+find.files+file.status': async (directory) => {
        await client.app.agents({ directory })
        await client.tool.ids({ directory })
        await client.config.providers({ directory })
        await client.find.files({ directory, query: 'README' })
        await client.file.status({ directory })
      },
    }
    const warmed: Record<string, { warmMs: number; firstSessionMs: number }> = {}
    let index = 0
    for (const [name, call] of Object.entries(candidates)) {
      const directory = worktree(`candidate${index++}`)
      const begin = Date.now()
      await call(directory)
      const warmMs = Date.now() - begin
      warmed[name] = { warmMs, firstSessionMs: await second(directory, `quick-candidate-${index}`) }
    }
    const noWarm = worktree('nowarm')
    warmed['none'] = { warmMs: 0, firstSessionMs: await second(noWarm, 'quick-nowarm') }
    facts.warmCandidates = warmed

    // Dispose, then remove the worktree: nothing may be written there afterwards.
    const before = probe().length
    started = Date.now()
    const disposed = await client.instance.dispose({ directory: warm })
    facts.disposeMs = Date.now() - started
    facts.disposeResult = disposed.error === undefined ? 'ok' : JSON.stringify(disposed.error)
    facts.eventsAfterDispose = probe().slice(before).map((entry) => `${entry.instance === warm ? 'wt' : 'main'}:${entry.kind}:${entry.type ?? ''}`)
    facts.filesInWorktreeBeforeRemove = readdirSync(warm, { recursive: true }).map(String).filter((path) => !path.startsWith('.git') && path !== 'README.md' && !path.startsWith('src'))
    git(server.directory, 'worktree', 'remove', warm)
    // A later call that names the removed directory: does OpenCode re-create it?
    const afterRemove = await client.session.get({ sessionID: session.id, directory: warm })
    facts.getAfterRemove = afterRemove.error === undefined ? 'ok' : `error ${JSON.stringify(afterRemove.error).slice(0, 120)}`
    facts.removedDirectoryRecreated = existsSync(warm)
    if (existsSync(warm)) facts.removedDirectoryContents = readdirSync(warm, { recursive: true }).map(String)
    facts.sessionListedInMainAfterRemove = ((await client.session.get({ sessionID: session.id })).data?.id ?? null) === session.id
  })

  it('what external_directory deny refuses for a session in a worktree, and what it does not', async () => {
    const client = server.client
    const wt = worktree('escape')
    const main = server.directory
    const bash = (command: string) => ({ name: 'bash', arguments: { command, description: command } })
    model.addRule({
      name: 'escape',
      match: { marker: 'escape-now' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: 'done' }
          : {
              toolCalls: [
                { name: 'write', arguments: { filePath: join(main, 'abs-write.txt'), content: 'x\n' } },
                { name: 'edit', arguments: { filePath: join(main, 'README.md'), oldString: '# main', newString: '# changed' } },
                { name: 'write', arguments: { filePath: join(wt, 'inside.txt'), content: 'ok\n' } },
                bash('cd ../../../../.. && touch cd-escape.txt'),
                bash(`echo x > ${join(main, 'redirect.txt')}`),
                bash(`touch ${join(main, 'touch-abs.txt')}`),
                bash('echo y > ../../../../../relative-redirect.txt'),
                bash('echo z > "$HOME/home-redirect.txt"'),
                bash('touch inside-bash.txt'),
              ],
            },
    })
    const rules = [
      { permission: 'external_directory', pattern: '*', action: 'deny' as const },
      { permission: 'edit', pattern: '*', action: 'allow' as const },
      { permission: 'bash', pattern: '*', action: 'allow' as const },
    ]
    const session = (await client.session.create({ title: 'escape', directory: wt, permission: rules })).data!
    await client.session.promptAsync({ sessionID: session.id, directory: wt, parts: [{ type: 'text', text: 'escape-now' }] })
    const answered = await model.waitForRequest((request) => request.rule === 'escape' && request.summary?.lastRole === 'tool', { timeoutMs: 60_000 })
    const results = answered.summary!.toolResults.map((result) => result.content.slice(0, 160))
    const landed = {
      'abs-write.txt (write tool)': existsSync(join(main, 'abs-write.txt')),
      'README.md edited (edit tool)': readFileSync(join(main, 'README.md'), 'utf8') !== '# main\n',
      'inside.txt (write tool, inside)': existsSync(join(wt, 'inside.txt')),
      'cd-escape.txt (cd ../..)': existsSync(join(main, 'cd-escape.txt')),
      'redirect.txt (echo > /main/f)': existsSync(join(main, 'redirect.txt')),
      'touch-abs.txt (touch /main/f)': existsSync(join(main, 'touch-abs.txt')),
      'relative-redirect.txt (echo > ../../f)': existsSync(join(main, 'relative-redirect.txt')),
      'home-redirect.txt ($HOME)': existsSync(join(server.home, 'home-redirect.txt')),
      'inside-bash.txt (touch, inside)': existsSync(join(wt, 'inside-bash.txt')),
    }
    facts.externalDirectoryDeny = { landed, results }
    expect(landed['abs-write.txt (write tool)']).toBe(false)
    expect(landed['inside.txt (write tool, inside)']).toBe(true)
    mkdirSync(join(probeRoot, 'done'), { recursive: true })
  })

  it('a permission asked in a worktree session: which directory lists it and takes the reply', async () => {
    const client = server.client
    const wt = worktree('permission')
    model.addRule({
      name: 'ask',
      match: { marker: 'ask-now' },
      respond: (request) => (request.lastRole === 'tool' ? { text: 'done' } : { toolCalls: [{ name: 'bash', arguments: { command: 'touch asked.txt', description: 'touch' } }] }),
    })
    const session = (await client.session.create({ title: 'ask', directory: wt, permission: [{ permission: 'bash', pattern: '*', action: 'ask' }] })).data!
    await client.session.promptAsync({ sessionID: session.id, directory: wt, parts: [{ type: 'text', text: 'ask-now' }] })
    await waitUntil('the permission is asked', () => probe().some((entry) => entry.type === 'permission.asked' && entry.sessionID === session.id))
    const listed = async (directory: string | undefined) => ((await client.permission.list(directory ? { directory } : {})).data ?? []).filter((request) => request.sessionID === session.id)
    const inWorktree = await listed(wt)
    const inMain = await listed(undefined)
    const requestID = inWorktree[0]?.id ?? ''
    const replyMain = await client.permission.reply({ requestID, reply: 'once' })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const answeredByMain = existsSync(join(wt, 'asked.txt'))
    if (!answeredByMain) await client.permission.reply({ requestID, directory: wt, reply: 'once' })
    await waitUntil('the command ran', () => existsSync(join(wt, 'asked.txt')), 10_000)
    facts.permission = {
      listedWithDirectory: inWorktree.length,
      listedWithoutDirectory: inMain.length,
      replyWithoutDirectory: replyMain.error === undefined ? (answeredByMain ? 'ok, ran' : `ok but not applied (${JSON.stringify(replyMain.data)})`) : `error ${JSON.stringify(replyMain.error).slice(0, 100)}`,
      mainStreamSawAsk: server.events.all.some((recorded) => recorded.event.type === 'permission.asked' && JSON.stringify(recorded.event).includes(session.id)),
    }
    expect(inWorktree.length).toBe(1)
  })
})
