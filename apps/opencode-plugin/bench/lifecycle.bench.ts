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
 *   next model request (ours: the Commander's wake; native: the parent's step
 *   with the task result). Median of several rounds.
 * - fan-out wall time, 10 and 50 children at a fixed 1 s model delay: the
 *   parent's answer with the N calls ends → the parent's request with every
 *   result. Median of rounds that alternate native and ours.
 * - cancel → every descendant idle (session.status idle events), 5 children mid-call.
 * - idle → continuation prompt: the Commander's turn ends with work left → the
 *   continuation request (default cooldown 2000 ms: the first continuation is
 *   not held, the next one waits out the cooldown).
 * - plugin load: server start → ready with and without the plugin (median of
 *   rounds; on a shared 2-core box this swings by hundreds of ms), and — the
 *   precise figure — the bundle's cold import + init in OpenCode's own Bun.
 * - plain chat: extra bytes per model request with the plugin installed.
 * - tool.execute.before: µs per call, in-process (the plugin built with
 *   `createOrchestratorPlugin` and a minimal fake client), for a session inside
 *   a mission of 50 tasks and one outside.
 * - server RSS growth over 200 sequential child tasks (VmRSS of the server
 *   process from /proc/<pid>/status, quiet median before and after), each side
 *   on a fresh server warmed up with 10 tasks.
 */
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { Hooks, PluginInput, ToolContext } from '@opencode-ai/plugin'
import { createOrchestratorPlugin } from '@opencode-orchestrator/opencode'
import {
  resolveOpencodeBinary,
  startOpencodeServer,
  startScriptedModel,
  type ChatRequestSummary,
  type OpencodeServer,
  type ScriptedModel,
  type ScriptedResponse,
  type ScriptedToolCall,
} from '@opencode-orchestrator/testing'

type Report = (name: string, value: number, unit: string, target?: number | { max?: number; min?: number }) => void

const bundlePath = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const LOAD_ROUNDS = 3
const LATENCY_ROUNDS = 9
const FAN_OUT_DELAY_MS = 1000
const FAN_OUT_ROUNDS = 3
const CHILD_DELAY_MS = 200
const SEQUENTIAL_CHILDREN = 200
const HOOK_CALLS = 20_000

const NATIVE_AGENTS = {
  'bench-parent': { mode: 'primary', description: 'Benchmark parent', prompt: 'You are the bench parent.' },
  'bench-child': { mode: 'subagent', description: 'Benchmark child that does one part', prompt: 'You are the bench child.' },
}

const median = (values: readonly number[]) => {
  if (values.length === 0) throw new Error('median of no values: a measurement produced no samples')
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`lifecycle bench: ${what} did not happen within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const rssMb = (pid: number | undefined) => {
  if (pid === undefined) throw new Error('lifecycle bench: the server has no pid (not running?)')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`lifecycle bench: no VmRSS line in /proc/${pid}/status`)
  return Number(match[1]) / 1024
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const task = (tag: string, index: number): ScriptedToolCall => ({
  name: 'task',
  arguments: { description: `part ${index}`, prompt: `Do part ${index}. [${tag}]`, subagent_type: 'bench-child' },
})
const delegate = (index: number): ScriptedToolCall => ({ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}.` } })
const slow = (response: ScriptedResponse, delayMs: number): ScriptedResponse => (delayMs > 0 && !response.error && !response.hang ? { ...response, delays: { beforeFirstChunkMs: delayMs } } : response)
const isWake = (summary: ChatRequestSummary | undefined) => summary?.lastRole === 'user' && /^\[orchestrator\] \d+ delegated tasks? ended/.test(summary.lastUserMessage)
const isContinuation = (summary: ChatRequestSummary | undefined) => summary?.lastRole === 'user' && summary.lastUserMessage.startsWith('[orchestrator] The mission continues')

// ---------------------------------------------------------------- native (OpenCode's own task tool)

interface NativeScript {
  /** What the parent does at each step: the calls of this step (`task(tag, index)`), or none to end its turn. */
  next: (step: number) => ScriptedToolCall[]
  childDelayMs: number
  childHangs?: boolean
}

/** Runs one native parent turn; returns the parent's session id and its requests. */
async function runNative(server: OpencodeServer, model: ScriptedModel, tag: string, script: NativeScript, options: { wait?: boolean } = {}) {
  let step = 0
  model.addRule({
    name: `native-parent:${tag}`,
    match: { system: 'You are the bench parent', marker: `[${tag}]` },
    respond: () => {
      const calls = script.next(step++)
      return calls.length > 0 ? { toolCalls: calls } : { text: 'All parts done.' }
    },
  })
  model.addRule({
    name: `native-child:${tag}`,
    match: { system: 'You are the bench child', marker: `[${tag}]` },
    respond: () => (script.childHangs ? { hang: true } : slow({ text: 'Part done.' }, script.childDelayMs)),
  })
  const session = await server.client.session.create({ title: `bench ${tag}` })
  const sessionID = session.data!.id
  const mark = server.events.mark()
  await server.client.session.promptAsync({ sessionID, agent: 'bench-parent', parts: [{ type: 'text', text: `Run the parts. [${tag}]` }] })
  if (options.wait !== false) {
    await server.events.waitFor((event) => event.type === 'session.idle' && event.properties.sessionID === sessionID, 600_000, { since: mark })
  }
  return { sessionID, mark, parentRequests: () => model.requests.filter((request) => request.rule === `native-parent:${tag}`) }
}

// ---------------------------------------------------------------- ours (a /task mission)

interface MissionScript {
  turn: (kind: 'task' | 'wake' | 'continuation', count: number) => ScriptedResponse
  workerDelayMs: number
  workerHangs?: boolean
}

async function runMission(server: OpencodeServer, model: ScriptedModel, tag: string, script: MissionScript) {
  const counts = { task: 0, wake: 0, continuation: 0 }
  model.addRule({
    name: `commander:${tag}`,
    match: { system: 'You are the Commander', marker: `[${tag}]` },
    respond: (request) => {
      if (request.lastRole === 'tool') return { text: 'Delegated.' }
      const kind = isWake(request) ? 'wake' : isContinuation(request) ? 'continuation' : 'task'
      return script.turn(kind, counts[kind]++)
    },
  })
  model.addRule({
    name: `worker:${tag}`,
    match: { system: 'You are a Worker', marker: `[${tag}]` },
    respond: () => (script.workerHangs ? { hang: true } : slow({ text: 'Part done.' }, script.workerDelayMs)),
  })
  const session = await server.client.session.create({ title: `bench ${tag}` })
  const sessionID = session.data!.id
  void server.client.session.command({ sessionID, command: 'task', arguments: `Run the parts. [${tag}]` })
  return {
    sessionID,
    commanderRequests: () => model.requests.filter((request) => request.rule === `commander:${tag}`),
    workerRequests: () => model.requests.filter((request) => request.rule === `worker:${tag}`),
    stop: () => server.client.session.command({ sessionID, command: 'stop', arguments: '' }),
  }
}

/** Ends a mission and waits until its root is idle, so the next measurement starts on a quiet server. */
async function stopMission(server: OpencodeServer, mission: { sessionID: string; stop: () => Promise<unknown> }) {
  // The v2 client reports HTTP errors in its result (the stop command answers with its notice); a throw is a real failure.
  await mission.stop()
  await until(async () => ((await server.client.session.status()).data ?? {})[mission.sessionID] === undefined, 10_000, 'the stopped mission to go idle')
}

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
    const context = { sessionID: 'ses_root', messageID: 'msg_1', agent: 'commander', directory, worktree: directory, abort: new AbortController().signal } as unknown as ToolContext
    for (let index = 0; index < 50; index++) await tools['orchestrator_delegate']!.execute({ agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}.` }, context)
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
  } finally {
    await hooks.dispose?.()
    rmSync(directory, { recursive: true, force: true })
  }
}

/**
 * The plugin's load in OpenCode's own runtime: the opencode binary is a Bun
 * single-file executable, and `BUN_BE_BUN=1` makes it run a script as Bun. Each
 * round is a fresh process (cold, as at server start): zod's import, then the
 * bundle's, then the plugin's init with a fake client — timed inside the process.
 */
const BUN_LOAD_SCRIPT = `
const [bundlePath] = process.argv.slice(2)
const zodPath = Bun.resolveSync('zod', bundlePath.slice(0, bundlePath.lastIndexOf('/')))
const ok = (data) => Promise.resolve({ data, error: undefined, response: { status: 200 } })
const { mkdtempSync, rmSync } = await import('node:fs')
const directory = mkdtempSync('/tmp/orchestrator-bench-bun-')
const t0 = performance.now()
await import(zodPath)
const t1 = performance.now()
const plugin = await import(bundlePath)
const t2 = performance.now()
const hooks = await plugin.default.server({ client: { app: { log: () => ok(true) }, tui: { showToast: () => ok(true) }, session: {} }, directory, worktree: directory })
const t3 = performance.now()
await hooks.dispose?.()
rmSync(directory, { recursive: true, force: true })
console.log(JSON.stringify({ zodMs: t1 - t0, bundleMs: t2 - t1, initMs: t3 - t2 }))
`

async function measureLoadInBun(report: Report) {
  const binary = resolveOpencodeBinary()
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-bench-load-'))
  const script = join(directory, 'load.mjs')
  writeFileSync(script, BUN_LOAD_SCRIPT)
  const rounds: Array<{ zodMs: number; bundleMs: number; initMs: number }> = []
  try {
    for (let round = 0; round < 5; round++) {
      const { stdout } = await promisify(execFile)(binary.path, [script, bundlePath], {
        env: { PATH: process.env['PATH'] ?? '', HOME: directory, BUN_BE_BUN: '1' },
        cwd: dirname(bundlePath),
      }).catch((error: unknown) => {
        throw new Error(`lifecycle bench: running the bundle in OpenCode's Bun (${binary.path}, BUN_BE_BUN=1) failed: ${String(error)}`)
      })
      rounds.push(JSON.parse(stdout.trim().split('\n').at(-1)!) as { zodMs: number; bundleMs: number; initMs: number })
    }
  } finally {
    rmSync(directory, { recursive: true, force: true })
  }
  const zod = median(rounds.map((round) => round.zodMs))
  const bundle = median(rounds.map((round) => round.bundleMs))
  const init = median(rounds.map((round) => round.initMs))
  report("plugin load in OpenCode's Bun, cold: zod + bundle + init (median of 5 fresh processes)", median(rounds.map((round) => round.zodMs + round.bundleMs + round.initMs)), 'ms', 20)
  report('  of which: import zod (external dependency)', zod, 'ms')
  report('  of which: import the bundle (zod already loaded)', bundle, 'ms')
  report('  of which: plugin init (config, engine, tools, hooks)', init, 'ms')
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

export default async (report: Report): Promise<void> => {
  if (!existsSync(bundlePath)) throw new Error(`lifecycle bench: ${bundlePath} is missing; run \`pnpm build:plugin\` first`)
  const pluginUrl = pathToFileURL(bundlePath).href
  const model = await startScriptedModel()
  model.addRule({ name: 'plain', match: { user: 'plain-chat-question' }, respond: { text: 'A plain answer.' } })
  const servers: OpencodeServer[] = []
  const start = async (withPlugin: boolean) => {
    const server = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      // The same agents on both, so the only difference is the plugin.
      config: { agent: NATIVE_AGENTS, plugin: withPlugin ? [pluginUrl] : [] },
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
    await measureLoadInBun(report)
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
    report(`child done → parent notified, ours (Commander wake, median of ${oursSamples.length})`, median(oursSamples), 'ms', nativeNotify + 20)

    // ---- idle → continuation (the latency mission has no plan left: its last wake turn ends with work to do).
    await until(() => oursLatency.commanderRequests().filter((request) => isContinuation(request.summary)).length >= 2, 30_000, 'two continuations')
    const turnEnds = oursLatency.commanderRequests().filter((request) => request.endedAt !== undefined)
    const continuationGaps = oursLatency
      .commanderRequests()
      .filter((request) => isContinuation(request.summary))
      .slice(0, 2)
      .map((continuation) => continuation.receivedAt - [...turnEnds].reverse().find((request) => request.endedAt! <= continuation.receivedAt)!.endedAt!)
    report('idle → continuation prompt, first continuation (default cooldown 2000 ms not yet engaged)', continuationGaps[0]!, 'ms', 1000)
    report('idle → continuation prompt, back-to-back turn (waits out the 2000 ms default cooldown)', continuationGaps[1]!, 'ms')
    await stopMission(ours, oursLatency)

    // ---- fan-out wall time: rounds alternate native and ours, so load from other jobs hits both alike.
    for (const count of [10, 50]) {
      const walls = { native: [] as number[], ours: [] as number[] }
      for (let round = 0; round < FAN_OUT_ROUNDS; round++) {
        const nativeTag = `native-fan-${count}-${round}`
        const nativeRun = await runNative(native, model, nativeTag, {
          next: (step) => (step === 0 ? Array.from({ length: count }, (_, index) => task(nativeTag, index)) : []),
          childDelayMs: FAN_OUT_DELAY_MS,
        })
        const [nativeCall, nativeResults] = nativeRun.parentRequests()
        walls.native.push(nativeResults!.receivedAt - nativeCall!.endedAt!)
        const oursRun = await runMission(ours, model, `ours-fan-${count}-${round}`, {
          workerDelayMs: FAN_OUT_DELAY_MS,
          turn: (kind) => (kind === 'task' ? { toolCalls: Array.from({ length: count }, (_, index) => delegate(index)) } : { text: 'All parts done.' }),
        })
        await until(() => oursRun.commanderRequests().some((request) => isWake(request.summary)), 120_000, `the ${count}-worker wake`)
        if (oursRun.workerRequests().length !== count) throw new Error(`lifecycle bench: expected ${count} worker calls, got ${oursRun.workerRequests().length}`)
        const oursCall = oursRun.commanderRequests()[0]!
        const oursWake = oursRun.commanderRequests().find((request) => isWake(request.summary))!
        walls.ours.push(oursWake.receivedAt - oursCall.endedAt!)
        await stopMission(ours, oursRun)
      }
      const nativeWall = median(walls.native)
      report(`fan-out ${count} children at ${FAN_OUT_DELAY_MS} ms/call, native task tool (median of ${FAN_OUT_ROUNDS})`, nativeWall, 'ms')
      report(`fan-out ${count} workers at ${FAN_OUT_DELAY_MS} ms/call, ours (median of ${FAN_OUT_ROUNDS})`, median(walls.ours), 'ms', nativeWall * 1.1)
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
      const server = await start(true)
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
