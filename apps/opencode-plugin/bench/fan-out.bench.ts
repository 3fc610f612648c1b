/**
 * Fan-out beside both of OpenCode's own floors, in one run (`pnpm bench fan-out`):
 *
 * - **task**: a primary agent calls OpenCode's blocking `task` tool N times in
 *   one message (server without the plugin);
 * - **background**: the same with OpenCode's background subagents
 *   (`OPENCODE_EXPERIMENTAL_BACKGROUND_SUBAGENTS=true`, `task` with
 *   `background: true`; OpenCode prompts the parent once per finished child);
 * - **ours**: a `/task` mission whose Commander calls `orchestrator_delegate`
 *   N times in one message (server with the built plugin, default config).
 *
 * Each child's model call takes FAN_OUT_DELAY_MS. Rounds alternate the three
 * sides (the order rotates every round), so load from other jobs on the
 * machine hits all alike; figures are medians over rounds, and the ratios
 * compare medians of the same run.
 *
 * Rows per N:
 * - wall: the parent's model response with the N calls ends → the parent's
 *   model request that carries every child's result (ours: the request with the delegate calls' results);
 * - dispatch p50 / max: that same start → each child's first model request
 *   (p50 over the children of a round, median over rounds; max = last child);
 * - the per-child timeline (p50 over children and rounds, ms after the call
 *   ended): tool call running → child session created → child busy → child's
 *   first model request, from the server's own event stream — where the time
 *   goes, for both sides alike.
 *
 * `BENCH_FAN_OUT_N=10,30` picks the fan-out sizes (default 10, 30, 50),
 * `BENCH_FAN_OUT_ROUNDS` the rounds (default 3), `BENCH_TIMELINE=1` prints
 * every child's timeline. bench-results/latest.json keeps every round.
 */
import { existsSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import {
  NATIVE_AGENTS,
  PLUGIN_STAGES,
  STAGES,
  TRACE_FILE,
  addPluginStages,
  childTimelines,
  delegate,
  isWake,
  loadAverage,
  median,
  runMission,
  runNative,
  settle,
  stopMission,
  task,
  until,
  type ChildTimeline,
  type Raw,
  type Report,
} from './bench-support'

const bundlePath = fileURLToPath(new URL('../dist/index.js', import.meta.url))
export const FAN_OUT_DELAY_MS = 1000
const TARGET_RATIO = 1.05

export type Side = 'task' | 'background' | 'ours'
export const SIDES: readonly Side[] = ['task', 'background', 'ours']
export const SIDE_NAMES: Record<Side, string> = { task: 'OpenCode task (blocking)', background: 'OpenCode background subagents', ours: 'ours (/task mission)' }

export interface FanOutRound {
  side: Side
  count: number
  round: number
  wallMs: number
  /** The parent's next model request after the call (ours: the Commander's step after its delegations; task: the one with the results), ms after the call ended. */
  parentNextMs?: number
  children: ChildTimeline[]
}

function numbersFromEnv(name: string, fallback: number[]): number[] {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return fallback
  const numbers = value.split(',').map((item) => Number(item.trim()))
  if (numbers.some((item) => !Number.isInteger(item) || item <= 0)) throw new Error(`bench: ${name}=${value} must be positive integers separated by commas, e.g. 10,30`)
  return numbers
}

/** `<task id="ses_…" state="completed">` parts the background parent has been sent so far (distinct children). */
function backgroundResults(messages: unknown): number {
  const text = JSON.stringify(messages ?? [])
  const ids = new Set<string>()
  for (const match of text.matchAll(/<task id=\\"(ses_[A-Za-z0-9]+)\\" state=\\"completed\\"/g)) ids.add(match[1]!)
  return ids.size
}

export interface FanOutServers {
  model: ScriptedModel
  task: OpencodeServer
  background: OpencodeServer
  ours: OpencodeServer
}

/** Starts the scripted model and one server per side. */
export async function startFanOutServers(options: { pluginOptions?: Record<string, unknown> } = {}): Promise<FanOutServers & { dispose(): Promise<void> }> {
  if (!existsSync(bundlePath)) throw new Error(`bench: ${bundlePath} is missing; run \`pnpm build:plugin\` first`)
  const pluginUrl = pathToFileURL(bundlePath).href
  const model = await startScriptedModel()
  const started: OpencodeServer[] = []
  const start = async (kind: Side) => {
    const server = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      config: { agent: NATIVE_AGENTS, plugin: kind === 'ours' ? [options.pluginOptions ? [pluginUrl, options.pluginOptions] : pluginUrl] : [] },
      ...(kind === 'background' ? { env: { OPENCODE_EXPERIMENTAL_BACKGROUND_SUBAGENTS: 'true' } } : {}),
      // The plugin's own dispatch timeline; it only ever adds time to ours (BENCH_TRACE=0 turns it off).
      ...(kind === 'ours' && process.env['BENCH_TRACE'] !== '0' ? { env: { OPENCODE_ORCHESTRATOR_TRACE: TRACE_FILE } } : {}),
      ...(kind === 'ours' ? { expectTools: ['orchestrator_delegate'] } : {}),
    })
    started.push(server)
    return server
  }
  const dispose = async () => {
    for (const server of started.splice(0)) await server.dispose().catch((error: unknown) => console.error('bench: dispose failed:', error))
    await model.close()
  }
  try {
    return { model, task: await start('task'), background: await start('background'), ours: await start('ours'), dispose }
  } catch (error) {
    await dispose()
    throw error
  }
}

export interface FanOutResult {
  wallMs: number
  /** Epoch ms the parent's call ended and the parent had every result. */
  callEndedAt: number
  completeAt: number
  parentNextMs?: number
  children: ChildTimeline[]
  sessionId: string
}

/** One fan-out of `count` children on one side; resolves once the parent has every result and the side is quiet again. */
export async function fanOut(servers: FanOutServers, side: Side, count: number, tag: string, delayMs = FAN_OUT_DELAY_MS): Promise<FanOutResult> {
  const { model } = servers
  if (side === 'ours') {
    const server = servers.ours
    const run = await runMission(server, model, tag, {
      workerDelayMs: delayMs,
      turn: (kind) => (kind === 'task' ? { toolCalls: Array.from({ length: count }, (_, index) => delegate(index)) } : { text: 'All parts done.' }),
    })
    await until(() => run.commanderRequests().some((request) => isWake(request.summary)), 300_000, `the ${count}-worker wake`)
    const call = run.commanderRequests()[0]!
    const wake = run.commanderRequests().find((request) => isWake(request.summary))!
    if (run.workerRequests().length !== count) throw new Error(`bench: expected ${count} worker calls, got ${run.workerRequests().length}`)
    const children = childTimelines({ events: server.events.all, since: run.mark, parentSessionId: run.sessionID, callEndedAt: call.endedAt!, childRequests: run.workerRequests() })
    await stopMission(server, run)
    // The trace is flushed every 250 ms.
    await settle(300)
    addPluginStages({ directory: server.directory, rootSessionId: run.sessionID, callEndedAt: call.endedAt!, children })
    const next = run.commanderRequests()[1]
    return { wallMs: wake.receivedAt - call.endedAt!, callEndedAt: call.endedAt!, completeAt: wake.receivedAt, children, sessionId: run.sessionID, ...(next ? { parentNextMs: next.receivedAt - call.endedAt! } : {}) }
  }
  const server = servers[side]
  const background = side === 'background'
  const run = await runNative(
    server,
    model,
    tag,
    { next: (step) => (step === 0 ? Array.from({ length: count }, (_, index) => task(tag, index, { background })) : []), childDelayMs: delayMs },
    { wait: !background },
  )
  let complete: number | undefined
  if (background) {
    await until(
      () => {
        complete ??= run.parentRequests().find((request) => backgroundResults(request.summary?.body['messages']) === count)?.receivedAt
        return complete !== undefined
      },
      300_000,
      `the background parent to receive ${count} results`,
    )
    // OpenCode prompts the parent once per child: let that queue drain before the next round.
    await until(async () => ((await server.client.session.status()).data ?? {})[run.sessionID] === undefined, 120_000, 'the background parent to go idle')
  } else {
    complete = run.parentRequests()[1]?.receivedAt
  }
  const call = run.parentRequests()[0]!
  if (complete === undefined) throw new Error(`bench: the ${side} parent never got its results`)
  if (run.childRequests().length !== count) throw new Error(`bench: expected ${count} ${side} child calls, got ${run.childRequests().length}`)
  const children = childTimelines({ events: server.events.all, since: run.mark, parentSessionId: run.sessionID, callEndedAt: call.endedAt!, childRequests: run.childRequests() })
  const next = run.parentRequests()[1]
  return { wallMs: complete - call.endedAt!, callEndedAt: call.endedAt!, completeAt: complete, children, sessionId: run.sessionID, ...(next ? { parentNextMs: next.receivedAt - call.endedAt! } : {}) }
}

/** p50 of one stage over the children of every round of a side. */
function stageP50(rounds: readonly FanOutRound[], stage: (typeof STAGES)[number]): number | undefined {
  const values = rounds.flatMap((round) => round.children.map((child) => child[stage])).filter((value): value is number => value !== undefined)
  return values.length > 0 ? median(values) : undefined
}

export function reportFanOut(report: Report, rounds: readonly FanOutRound[], count: number, label = `fan-out N=${count}`): void {
  const of = (side: Side) => rounds.filter((round) => round.side === side && round.count === count)
  const wall = (side: Side) => median(of(side).map((round) => round.wallMs))
  const dispatchP50 = (side: Side) => median(of(side).map((round) => median(round.children.map((child) => child.model))))
  const dispatchMax = (side: Side) => median(of(side).map((round) => Math.max(...round.children.map((child) => child.model))))
  const present = SIDES.filter((side) => of(side).length > 0)
  const roundsCount = Math.min(...present.map((side) => of(side).length))
  for (const side of present) report(`${label}, ${FAN_OUT_DELAY_MS} ms/child: wall, ${SIDE_NAMES[side]} (median of ${roundsCount})`, wall(side), 'ms')
  for (const side of present) report(`${label}: dispatch p50 (call ended → child's first model call), ${SIDE_NAMES[side]}`, dispatchP50(side), 'ms')
  for (const side of present) report(`${label}: dispatch of the last child, ${SIDE_NAMES[side]}`, dispatchMax(side), 'ms')
  for (const side of present) {
    const stages = STAGES.map((stage) => stageP50(of(side), stage))
    const text = STAGES.map((stage, index) => `${stage} ${stages[index] === undefined ? '–' : Math.round(stages[index]!)}`).join(' · ')
    report(`${label}: per-child timeline p50, ${SIDE_NAMES[side]}: ${text}`, stages.at(-1) ?? 0, 'ms')
  }
  const oursPlugin = of('ours').flatMap((round) => round.children.map((child) => child.plugin).filter((plugin) => plugin !== undefined))
  if (oursPlugin.length > 0) {
    const text = PLUGIN_STAGES.map((stage) => {
      const values = oursPlugin.map((plugin) => plugin[stage]).filter((value): value is number => value !== undefined)
      return `${stage} ${values.length > 0 ? Math.round(median(values)) : '–'}`
    }).join(' · ')
    const ends = oursPlugin.map((plugin) => plugin['prompt-end']).filter((value): value is number => value !== undefined)
    report(`${label}: inside the plugin p50 (dispatch trace): ${text}`, ends.length > 0 ? median(ends) : 0, 'ms')
  }
  if (present.includes('ours') && present.includes('task')) {
    report(`${label}: wall, ours ÷ OpenCode task`, wall('ours') / wall('task'), '×', TARGET_RATIO)
    report(`${label}: dispatch p50, ours ÷ OpenCode task`, dispatchP50('ours') / dispatchP50('task'), '×', TARGET_RATIO)
  }
  if (present.includes('ours') && present.includes('background')) {
    report(`${label}: wall, ours ÷ OpenCode background subagents`, wall('ours') / wall('background'), '×')
    report(`${label}: dispatch p50, ours ÷ OpenCode background subagents`, dispatchP50('ours') / dispatchP50('background'), '×')
  }
}

export function printTimelines(rounds: readonly FanOutRound[]): void {
  if (process.env['BENCH_TIMELINE'] !== '1') return
  for (const round of rounds) {
    console.log(`bench timeline: ${round.side} N=${round.count} round ${round.round}: wall ${round.wallMs} ms, parent's next model request at ${round.parentNextMs ?? '–'} ms`)
    for (const child of round.children) {
      const plugin = child.plugin ? ` | plugin: ${PLUGIN_STAGES.map((stage) => `${stage} ${child.plugin?.[stage] ?? '–'}`).join(' · ')}` : ''
      console.log(`  part ${child.index}: ${STAGES.map((stage) => `${stage} ${child[stage] ?? '–'}`).join(' · ')}${plugin}`)
    }
  }
}

export default async (report: Report, raw: Raw): Promise<void> => {
  const counts = numbersFromEnv('BENCH_FAN_OUT_N', [10, 30, 50])
  const [roundCount] = numbersFromEnv('BENCH_FAN_OUT_ROUNDS', [3])
  const servers = await startFanOutServers()
  const loadBefore = loadAverage()
  const rounds: FanOutRound[] = []
  try {
    // Each server's first prompts pay one-off costs (agent and provider set-up): not part of any figure.
    for (const side of SIDES) await fanOut(servers, side, 2, `${side}-warm-up`, 0)
    for (const count of counts) {
      for (let round = 0; round < roundCount!; round++) {
        // Rotate the order each round: no side always runs first (cold) or last.
        const order = SIDES.map((_, index) => SIDES[(index + round) % SIDES.length]!)
        for (const side of order) {
          const result = await fanOut(servers, side, count, `${side}-fan-${count}-${round}`)
          rounds.push({ side, count, round, wallMs: result.wallMs, children: result.children, ...(result.parentNextMs !== undefined ? { parentNextMs: result.parentNextMs } : {}) })
        }
      }
      reportFanOut(report, rounds, count)
    }
    printTimelines(rounds)
  } finally {
    await servers.dispose()
  }
  report('machine load average (1 min) before the fan-out runs', loadBefore, 'load')
  report('machine load average (1 min) after the fan-out runs', loadAverage(), 'load')
  raw('fan-out rounds', { delayMs: FAN_OUT_DELAY_MS, rounds })
}
