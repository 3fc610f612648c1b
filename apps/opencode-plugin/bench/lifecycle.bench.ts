/**
 * Mission lifecycle on a real OpenCode server, each figure beside OpenCode's own
 * floor measured in the same run (`pnpm bench lifecycle`).
 *
 * "Native" is OpenCode doing the same work without the plugin: a primary agent
 * calling OpenCode's `task` tool, on a server with no plugin loaded. "Ours" is a
 * `/task` mission on a server with the built bundle (apps/opencode-plugin/dist;
 * run `pnpm build:plugin` first). Model calls are answered by the scripted model
 * on 127.0.0.1; every latency is measured at the model (request arrival and
 * response end), so both sides are timed by the same clock at the same point.
 *
 * Rows:
 * - child done → parent notified: the child's final answer ends → the parent's
 *   next model request (ours: the Commander's request with the delegate call's result; native: the parent's step
 *   with the task result). Median of several rounds.
 * - fan-out: see fan-out.bench.ts (beside both of OpenCode's floors) and
 *   scale.bench.ts (N=50/100, 10 missions at once).
 * - cancel → every descendant idle (session.status idle events), 5 children mid-call.
 * - idle → continuation prompt: the Commander's turn ends with work left → the
 *   continuation request. After progress since the last continuation (a todo
 *   moved, a delegated task ended) it is sent at once (p50 over several
 *   turns); after a turn without progress it waits out the default 2000 ms
 *   cooldown (decision 070).
 * - plugin load: server start → ready with and without the plugin (median of
 *   rounds; on a shared 2-core box this swings by hundreds of ms), and — the
 *   precise figure — the bundle's cold import + init in OpenCode's own Bun,
 *   beside the floor every tool-registering plugin pays: a minimal plugin that
 *   registers one zod tool, measured the same way in alternating processes.
 * - plain chat: extra bytes per model request with the plugin installed.
 * - tool.execute.before: µs per call, in-process (the plugin built with
 *   `createOrchestratorPlugin` and a minimal fake client), for a session inside
 *   a mission of 50 tasks and one outside.
 * - server RSS growth over 200 sequential child tasks (VmRSS of the server
 *   process from /proc/<pid>/status, quiet median before and after), each side
 *   on a fresh server warmed up with 10 tasks.
 */
import { execFile } from 'node:child_process'
import { setMaxListeners } from 'node:events'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Hooks, PluginInput, ToolContext } from '@opencode-ai/plugin'
import { createOrchestratorPlugin } from '@opencode-orchestrator/opencode'
import { resolveOpencodeBinary, startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import {
  NATIVE_AGENTS,
  delegate,
  isContinuation,
  isWake,
  median,
  rssMb,
  runMission,
  runNative,
  settle,
  stopMission,
  task,
  until,
  type Raw,
  type Report,
} from './bench-support'

const bundlePath = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const LOAD_ROUNDS = 3
const LATENCY_ROUNDS = 9
const PROGRESS_CONTINUATIONS = 5
const CHILD_DELAY_MS = 200
const SEQUENTIAL_CHILDREN = 200
const HOOK_CALLS = 20_000

/** When each of `sessionIDs` reported idle (session.status) at or after event index `since`; undefined until all have. */
function allIdleAt(server: OpencodeServer, sessionIDs: readonly string[], since: number): number | undefined {
  const times = sessionIDs.map(
    (id) =>
      server.events.all.find(
        (recorded) => recorded.index >= since && recorded.event.type === 'session.status' && recorded.event.properties.sessionID === id && recorded.event.properties.status.type === 'idle',
      )?.receivedAt,
  )
  return times.every((time) => time !== undefined) ? Math.max(...(times as number[])) : undefined
}

// ---------------------------------------------------------------- plain chat

async function plainChatBytes(server: OpencodeServer, model: ScriptedModel): Promise<number> {
  const before = model.requests.length
  const session = await server.client.session.create({ title: 'plain chat' })
  const mark = server.events.mark()
  await server.client.session.promptAsync({ sessionID: session.data!.id, parts: [{ type: 'text', text: 'plain-chat-question' }] })
  await server.events.waitFor((event) => event.type === 'session.idle' && event.properties.sessionID === session.data!.id, 60_000, { since: mark })
  const request = model.requests.slice(before).find((item) => item.rule === 'plain')
  if (!request?.summary) throw new Error('lifecycle bench: the plain chat request never reached the model')
  // The per-server temp directory and the date differ between servers; neither is the plugin's doing.
  const body = JSON.stringify(request.summary.body)
    .replaceAll(server.directory, '<project>')
    .replace(/\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \w{3} \d{2} \d{4}\b/g, '<date>')
  return Buffer.byteLength(body)
}

// ---------------------------------------------------------------- in-process plugin

function fakeClient(directory: string): PluginInput {
  let next = 0
  const ok = <T>(data: T) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
  const client = {
    app: { log: () => ok(true) },
    tui: { showToast: () => ok(true) },
    session: {
      create: ({ body }: { body: { title: string; parentID?: string } }) => ok({ id: `ses_child_${++next}`, title: body.title, parentID: body.parentID, directory }),
      promptAsync: () => ok(undefined),
      abort: () => ok(true),
    },
  }
  return { client, directory, worktree: directory } as unknown as PluginInput
}

async function measureHooks(report: Report) {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-bench-hooks-'))
  // The step limits would refuse the benchmark's thousands of calls in one turn; lift them to time the hot path only.
  const hooks: Hooks = await createOrchestratorPlugin({ env: { HOME: directory } })(fakeClient(directory), { steps: { maxToolCallsPerTurn: 1_000_000_000, maxToolCallsPerTask: 1_000_000_000 } })
  try {
    await hooks['command.execute.before']!({ command: 'task', sessionID: 'ses_root', arguments: 'bench mission' }, { parts: [] })
    const tools = hooks.tool as Record<string, { execute(args: Record<string, unknown>, context: ToolContext): Promise<string> }>
    // The delegate call waits for its task (the fake client never reports one ending): the calls stay open while the
    // guard is timed, and the abort at the end lets them return ("Interrupted"), as Esc would.
    const delegations = new AbortController()
    // One signal for all 50 calls (OpenCode gives each call its own): each waiting call listens to it.
    setMaxListeners(64, delegations.signal)
    const context = { sessionID: 'ses_root', messageID: 'msg_1', agent: 'commander', directory, worktree: directory, abort: delegations.signal, metadata: () => {} } as unknown as ToolContext
    const pending = Array.from({ length: 50 }, (_, index) => tools['orchestrator_delegate']!.execute({ agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}.` }, context))
    await settle(50)
    const before = hooks['tool.execute.before']!
    // Different arguments on every call: a realistic stream of work, never a loop-breaker refusal (a cycle of two would be one).
    const args = Array.from({ length: 64 }, (_, index) => ({ filePath: `src/file-${index}.ts` }))
    const time = async (sessionID: string) => {
      const samples: number[] = []
      for (let round = 0; round < 5; round++) {
        const started = performance.now()
        for (let index = 0; index < HOOK_CALLS; index++) await before({ tool: 'read', sessionID, callID: `c${index}` }, { args: args[index % args.length]! })
        samples.push(((performance.now() - started) * 1000) / HOOK_CALLS)
      }
      return median(samples)
    }
    report('tool.execute.before, session inside a mission of 50 tasks (in-process)', await time('ses_child_1'), 'µs/call', 50)
    report('tool.execute.before, session outside any mission (in-process)', await time('ses_elsewhere'), 'µs/call', 50)
    delegations.abort()
    const returned = await Promise.allSettled(pending)
    const failed = returned.filter((result) => result.status === 'rejected')
    if (failed.length > 0) throw new Error(`${failed.length} of 50 delegate calls failed: ${String((failed[0] as PromiseRejectedResult).reason)}`)
  } finally {
    await hooks.dispose?.()
    rmSync(directory, { recursive: true, force: true })
  }
}

/**
 * The plugin's load in OpenCode's own runtime: the opencode binary is a Bun
 * single-file executable, and `BUN_BE_BUN=1` makes it run a script as Bun. Each
 * round is a fresh process (cold, as at server start): zod's import, then the
 * plugin module's, then the plugin's init with a fake client — timed inside the
 * process. The same script loads the floor: a minimal plugin that registers one
 * zod tool (what any tool-registering plugin pays), importing the same zod.
 */
const BUN_LOAD_SCRIPT = `
const [pluginPath, zodFrom] = process.argv.slice(2)
const zodPath = Bun.resolveSync('zod', zodFrom)
const ok = (data) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
const { mkdtempSync, rmSync } = await import('node:fs')
const directory = mkdtempSync('/tmp/orchestrator-bench-bun-')
const t0 = performance.now()
await import(zodPath)
const t1 = performance.now()
const plugin = await import(pluginPath)
const t2 = performance.now()
const hooks = await plugin.default.server({ client: { app: { log: () => ok(true) }, tui: { showToast: () => ok(true) }, session: {} }, directory, worktree: directory })
const t3 = performance.now()
if (!hooks.tool || Object.keys(hooks.tool).length === 0) throw new Error('the plugin registered no tool')
await hooks.dispose?.()
rmSync(directory, { recursive: true, force: true })
console.log(JSON.stringify({ zodMs: t1 - t0, bundleMs: t2 - t1, initMs: t3 - t2 }))
`

/** The floor: one tool with a zod argument, nothing else. */
const minimalPlugin = (zodPath: string) => `import { z } from ${JSON.stringify(zodPath)}
export default {
  id: 'minimal-zod-tool',
  server: async () => ({
    tool: {
      greet: { description: 'Greets someone.', args: { name: z.string().min(1).describe('Who to greet') }, async execute(args) { return 'Hello ' + args.name } },
    },
  }),
}
`

const LOAD_PROCESS_ROUNDS = 7
const TARGET_LOAD_RATIO = 1.25

async function measureLoadInBun(report: Report, raw: Raw) {
  const binary = resolveOpencodeBinary()
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-bench-load-'))
  const script = join(directory, 'load.mjs')
  writeFileSync(script, BUN_LOAD_SCRIPT)
  const pluginDirectory = dirname(bundlePath)
  // The ESM entry the bundle's `import 'zod'` resolves to (the bench sits beside dist/, same node_modules), by path:
  // a file URL or the CommonJS entry would be a second copy of zod and double the floor.
  const zodPath = fileURLToPath(import.meta.resolve('zod'))
  const minimal = join(directory, 'minimal-plugin.mjs')
  writeFileSync(minimal, minimalPlugin(zodPath))
  type Round = { zodMs: number; bundleMs: number; initMs: number }
  const rounds: { ours: Round[]; minimal: Round[] } = { ours: [], minimal: [] }
  const run = async (pluginPath: string): Promise<Round> => {
    const { stdout } = await promisify(execFile)(binary.path, [script, pluginPath, pluginDirectory], {
      env: { PATH: process.env['PATH'] ?? '', HOME: directory, BUN_BE_BUN: '1' },
      cwd: pluginDirectory,
    }).catch((error: unknown) => {
      throw new Error(`lifecycle bench: loading ${pluginPath} in OpenCode's Bun (${binary.path}, BUN_BE_BUN=1) failed: ${String(error)}`)
    })
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as Round
  }
  try {
    // Alternating processes: load from other jobs hits both alike.
    for (let round = 0; round < LOAD_PROCESS_ROUNDS; round++) {
      rounds.ours.push(await run(bundlePath))
      rounds.minimal.push(await run(minimal))
    }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
  const total = (round: Round) => round.zodMs + round.bundleMs + round.initMs
  const ours = median(rounds.ours.map(total))
  const floor = median(rounds.minimal.map(total))
  report(`plugin load in OpenCode's Bun, cold: zod + bundle + init (median of ${LOAD_PROCESS_ROUNDS} fresh processes)`, ours, 'ms')
  report('  of which: import zod (external dependency)', median(rounds.ours.map((round) => round.zodMs)), 'ms')
  report('  of which: import the bundle (zod already loaded)', median(rounds.ours.map((round) => round.bundleMs)), 'ms')
  report('  of which: plugin init (config, engine, tools, hooks)', median(rounds.ours.map((round) => round.initMs)), 'ms')
  report(`floor: a minimal plugin registering one zod tool, same zod, same way (median of ${LOAD_PROCESS_ROUNDS})`, floor, 'ms')
  report('plugin load ÷ the minimal zod-tool plugin (same run, alternating processes)', ours / floor, '×', TARGET_LOAD_RATIO)
  raw('plugin load rounds (ms)', rounds)
}

/** RSS of a server once it is quiet: median of a few samples after a pause (a single sample mostly measures the GC). */
async function quietRssMb(pid: number | undefined): Promise<number> {
  await settle(2000)
  const samples: number[] = []
  for (let sample = 0; sample < 5; sample++) {
    samples.push(rssMb(pid))
    await settle(200)
  }
  return median(samples)
}

// ---------------------------------------------------------------- the benchmark

export default async (report: Report, raw: Raw): Promise<void> => {
  if (!existsSync(bundlePath)) throw new Error(`lifecycle bench: ${bundlePath} is missing; run \`pnpm build:plugin\` first`)
  const pluginUrl = pathToFileURL(bundlePath).href
  const model = await startScriptedModel()
  model.addRule({ name: 'plain', match: { user: 'plain-chat-question' }, respond: { text: 'A plain answer.' } })
  const servers: OpencodeServer[] = []
  const start = async (withPlugin: boolean, pluginOptions?: Record<string, unknown>) => {
    const server = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      // The same agents on both, so the only difference is the plugin.
      config: { agent: NATIVE_AGENTS, plugin: withPlugin ? [pluginOptions ? [pluginUrl, pluginOptions] : pluginUrl] : [] },
      ...(withPlugin ? { expectTools: ['orchestrator_delegate'] } : {}),
    })
    servers.push(server)
    return server
  }
  const dispose = async (server: OpencodeServer) => {
    const index = servers.indexOf(server)
    if (index >= 0) servers.splice(index, 1)
    await server.dispose()
  }
  try {
    // ---- plugin load: start → ready, alternating, the first pair kept for the rest of the run.
    const startMs = { without: [] as number[], with: [] as number[] }
    let native: OpencodeServer | undefined
    let ours: OpencodeServer | undefined
    for (let round = 0; round < LOAD_ROUNDS; round++) {
      const without = await start(false)
      startMs.without.push(without.timings.listenMs + without.timings.readyMs)
      const withPlugin = await start(true)
      startMs.with.push(withPlugin.timings.listenMs + withPlugin.timings.readyMs)
      if (round === 0) {
        native = without
        ours = withPlugin
      } else {
        await dispose(without)
        await dispose(withPlugin)
      }
    }
    const withoutMedian = median(startMs.without)
    const withMedian = median(startMs.with)
    report(`server start→ready without the plugin (native, median of ${LOAD_ROUNDS})`, withoutMedian, 'ms')
    report(`server start→ready with the plugin (median of ${LOAD_ROUNDS})`, withMedian, 'ms')
    report('plugin load time added to server start (median difference)', withMedian - withoutMedian, 'ms', 20)
    await measureLoadInBun(report, raw)
    if (!native || !ours) throw new Error('lifecycle bench: the servers of the first round are missing')

    // ---- plain chat bytes.
    const plainNative = await plainChatBytes(native, model)
    const plainOurs = await plainChatBytes(ours, model)
    report('plain chat model request size without the plugin (native)', plainNative, 'bytes')
    report('plain chat: extra bytes per model request with the plugin', plainOurs - plainNative, 'bytes', 0)

    // ---- child done → parent notified.
    const nativeLatency = await runNative(native, model, 'native-latency', { next: (step) => (step < LATENCY_ROUNDS ? [task('native-latency', step)] : []), childDelayMs: CHILD_DELAY_MS })
    const nativeSamples = nativeLatency
      .parentRequests()
      .slice(1)
      .map((parent) => {
        const child = [...model.requests].reverse().find((request) => request.rule === 'native-child:native-latency' && request.endedAt !== undefined && request.endedAt <= parent.receivedAt)
        return parent.receivedAt - child!.endedAt!
      })
    const oursLatency = await runMission(ours, model, 'ours-latency', {
      workerDelayMs: CHILD_DELAY_MS,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegate(0)] }
        if (kind === 'wake' && count + 1 < LATENCY_ROUNDS) return { toolCalls: [delegate(count + 1)] }
        return { text: 'All parts are done; the mission has no plan yet.' }
      },
    })
    await until(() => oursLatency.commanderRequests().filter((request) => isWake(request.summary)).length >= LATENCY_ROUNDS, 120_000, 'the latency mission wakes')
    const oursSamples = oursLatency
      .commanderRequests()
      .filter((request) => isWake(request.summary))
      .map((wake) => {
        const worker = [...oursLatency.workerRequests()].reverse().find((request) => request.endedAt !== undefined && request.endedAt <= wake.receivedAt)
        return wake.receivedAt - worker!.endedAt!
      })
    const nativeNotify = median(nativeSamples)
    report(`child done → parent notified, native task tool (median of ${nativeSamples.length})`, nativeNotify, 'ms')
    report(`child done → parent notified, ours (the delegate call's result, median of ${oursSamples.length})`, median(oursSamples), 'ms', nativeNotify + 20)

    // ---- idle → continuation (the latency mission has no plan left: its last wake turn ends with work to do).
    await until(() => oursLatency.commanderRequests().filter((request) => isContinuation(request.summary)).length >= 2, 30_000, 'two continuations')
    const turnEnds = oursLatency.commanderRequests().filter((request) => request.endedAt !== undefined)
    const continuationGaps = oursLatency
      .commanderRequests()
      .filter((request) => isContinuation(request.summary))
      .slice(0, 2)
      .map((continuation) => continuation.receivedAt - [...turnEnds].reverse().find((request) => request.endedAt! <= continuation.receivedAt)!.endedAt!)
    report('idle → continuation prompt, first continuation (default cooldown 2000 ms not yet engaged)', continuationGaps[0]!, 'ms', 1000)
    report('idle → continuation prompt after a turn without progress (waits out the 2000 ms default cooldown)', continuationGaps[1]!, 'ms')
    await stopMission(ours, oursLatency)

    // ---- idle → continuation after progress: each continuation delegates one Worker that ends at once (an ended task
    // is progress); its wake turn ends with work left, and the next continuation should follow at once, not after the cooldown.
    {
      const progress = await runMission(ours, model, 'ours-progress', {
        workerDelayMs: 0,
        turn: (kind, count) => (kind === 'wake' ? { text: `Probe ${count} is back; the work goes on.` } : { toolCalls: [delegate(count)] }),
      })
      await until(() => progress.commanderRequests().filter((request) => isContinuation(request.summary)).length >= PROGRESS_CONTINUATIONS, 120_000, `${PROGRESS_CONTINUATIONS} continuations after progress`)
      const ends = progress.commanderRequests().filter((request) => request.endedAt !== undefined)
      const gaps = progress
        .commanderRequests()
        .filter((request) => isContinuation(request.summary))
        .slice(0, PROGRESS_CONTINUATIONS)
        .map((continuation) => continuation.receivedAt - [...ends].reverse().find((request) => request.endedAt! <= continuation.receivedAt)!.endedAt!)
      report(`idle → continuation prompt after progress (a delegated task ended; p50 of ${gaps.length}, no cooldown)`, median(gaps), 'ms', 100)
      raw('idle → continuation after progress (ms)', gaps)
      await stopMission(ours, progress)
    }

    // ---- cancel → every descendant idle, 5 children mid-call.
    {
      const nativeRun = await runNative(native, model, 'native-cancel', { next: (step) => (step === 0 ? [0, 1, 2, 3, 4].map((index) => task('native-cancel', index)) : []), childDelayMs: 0, childHangs: true }, { wait: false })
      await until(() => model.requests.filter((request) => request.rule === 'native-child:native-cancel' && request.endedAt === undefined).length === 5, 30_000, 'five native children mid-call')
      const children = ((await native.client.session.children({ sessionID: nativeRun.sessionID })).data ?? []).map((child) => child.id)
      const mark = native.events.mark()
      const abortedAt = Date.now()
      await native.client.session.abort({ sessionID: nativeRun.sessionID })
      await until(() => allIdleAt(native!, children, mark) !== undefined, 10_000, 'native children idle')
      report('cancel → 5 descendants idle, native Esc', allIdleAt(native, children, mark)! - abortedAt, 'ms')
    }
    for (const via of ['/stop', 'Esc'] as const) {
      const tag = via === '/stop' ? 'ours-cancel-stop' : 'ours-cancel-esc'
      const run = await runMission(ours, model, tag, { workerDelayMs: 0, workerHangs: true, turn: (kind) => (kind === 'task' ? { toolCalls: [0, 1, 2, 3, 4].map(delegate) } : { text: 'ok' }) })
      await until(() => run.workerRequests().filter((request) => request.endedAt === undefined).length === 5, 30_000, 'five workers mid-call')
      const children = ((await ours.client.session.children({ sessionID: run.sessionID })).data ?? []).map((child) => child.id)
      const mark = ours.events.mark()
      const cancelledAt = Date.now()
      // Not awaited: the command returns after the stop, and the clock runs from the moment it is sent.
      const stopping = via === '/stop' ? run.stop() : ours.client.session.abort({ sessionID: run.sessionID })
      await until(() => allIdleAt(ours!, children, mark) !== undefined, 10_000, `descendants idle after ${via}`)
      await stopping
      report(`cancel → 5 descendants idle, ours ${via}`, allIdleAt(ours, children, mark)! - cancelledAt, 'ms', 100)
      await stopMission(ours, run)
    }

    // ---- hook overhead (in-process; no server involved).
    await measureHooks(report)

    // ---- memory over 200 sequential child tasks, on fresh servers warmed up the same way.
    await dispose(native)
    await dispose(ours)
    {
      const server = await start(false)
      await runNative(server, model, 'native-warm-up', { next: (step) => (step < 10 ? [task('native-warm-up', step)] : []), childDelayMs: 0 })
      const before = await quietRssMb(server.pid)
      await runNative(server, model, 'native-memory', { next: (step) => (step < SEQUENTIAL_CHILDREN ? [task('native-memory', step)] : []), childDelayMs: 0 })
      const after = await quietRssMb(server.pid)
      report(`server RSS growth over ${SEQUENTIAL_CHILDREN} sequential child tasks, native task tool (quiet median)`, after - before, 'MB')
      await dispose(server)
    }
    {
      // The delegate call waits for its task, so the 200 sequential delegations are one Commander turn (as the native
      // parent's 200 task calls are one turn): lift the per-turn step limit and the child-session budget past them.
      const server = await start(true, { steps: { maxToolCallsPerTurn: 1_000, maxToolCallsPerTask: 1_000 }, budgets: { maxChildSessions: 1_000 } })
      const sequential = (tag: string, children: number) =>
        runMission(server, model, tag, {
          workerDelayMs: 0,
          turn: (kind, count) => {
            if (kind === 'task') return { toolCalls: [delegate(0)] }
            if (kind === 'wake' && count + 1 < children) return { toolCalls: [delegate(count + 1)] }
            return { text: 'All parts done.' }
          },
        })
      const warmUp = await sequential('ours-warm-up', 10)
      await until(() => warmUp.commanderRequests().filter((request) => isWake(request.summary)).length >= 10, 120_000, 'the warm-up mission')
      await stopMission(server, warmUp)
      const before = await quietRssMb(server.pid)
      const run = await sequential('ours-memory', SEQUENTIAL_CHILDREN)
      await until(() => run.commanderRequests().filter((request) => isWake(request.summary)).length >= SEQUENTIAL_CHILDREN, 600_000, `${SEQUENTIAL_CHILDREN} sequential workers`)
      await stopMission(server, run)
      // The mission report is written 1.5 s after the end: let it finish, it is part of what the plugin costs.
      await settle(3000)
      const after = await quietRssMb(server.pid)
      report(`server RSS growth over ${SEQUENTIAL_CHILDREN} sequential child tasks, ours (quiet median)`, after - before, 'MB')
    }
  } finally {
    for (const server of servers.splice(0)) await server.dispose().catch((error: unknown) => console.error('lifecycle bench: dispose failed:', error))
    await model.close()
  }
}
