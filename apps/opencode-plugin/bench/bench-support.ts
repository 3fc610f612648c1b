/**
 * Shared pieces of the real-server benchmarks (`*.bench.ts` in this folder):
 * OpenCode's own `task` tool driven by a scripted parent ("native"), a `/task`
 * mission of ours, and the per-child dispatch timeline both are measured with.
 * Every latency is taken at the scripted model or from the server's own event
 * stream, so all sides are timed by the same clock at the same points.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type {
  ChatRequestSummary,
  OpencodeServer,
  RecordedEvent,
  ScriptedModel,
  ScriptedModelRequest,
  ScriptedResponse,
  ScriptedToolCall,
} from '@opencode-orchestrator/testing'

export type Report = (name: string, value: number, unit: string, target?: number | { max?: number; min?: number }) => void
/** Keeps raw data (every round) in bench-results/latest.json next to the rows. */
export type Raw = (name: string, value: unknown) => void

/** Agents defined on every server, so the only difference between the sides is the plugin. */
export const NATIVE_AGENTS = {
  'bench-parent': { mode: 'primary', description: 'Benchmark parent', prompt: 'You are the bench parent.' },
  'bench-child': { mode: 'subagent', description: 'Benchmark child that does one part', prompt: 'You are the bench child.' },
}

export const median = (values: readonly number[]): number => percentile(values, 50)

/** Nearest-rank percentile (p50 of an even count is the mean of the two middle values). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values: a measurement produced no samples')
  const sorted = [...values].sort((a, b) => a - b)
  if (p === 50) {
    const middle = Math.floor(sorted.length / 2)
    return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
  }
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`bench: ${what} did not happen within ${timeoutMs} ms`)
    await settle(10)
  }
}

export const rssMb = (pid: number | undefined): number => {
  if (pid === undefined) throw new Error('bench: the server has no pid (not running?)')
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (!match) throw new Error(`bench: no VmRSS line in /proc/${pid}/status`)
  return Number(match[1]) / 1024
}

/** Samples the server's RSS every `everyMs` until stopped; returns the peak. */
export function watchRss(pid: number | undefined, everyMs = 100): { stop(): number } {
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid))
    } catch {
      // The server exited: the peak so far stands.
    }
  }, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return peak
    },
  }
}

/** The machine's load average (1 min), to print beside noisy figures. */
export const loadAverage = (): number => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0])

export const slow = (response: ScriptedResponse, delayMs: number): ScriptedResponse =>
  delayMs > 0 && !response.error && !response.hang ? { ...response, delays: { beforeFirstChunkMs: delayMs } } : response
/**
 * The parent hears of its children: the request that carries the results of its waiting `orchestrator_delegate`
 * calls (decision 048: the call returns when its task ends, so OpenCode sends the results in the next request, as
 * with its own blocking `task` tool), or a wake message for a task whose result came later (a restart, an Esc).
 */
export const isWake = (summary: ChatRequestSummary | undefined) => {
  if (!summary) return false
  if (summary.lastRole === 'user') return /^\[orchestrator\] \d+ delegated tasks? ended/.test(summary.lastUserMessage)
  const delegateCalls = new Set(summary.previousToolCalls.filter((call) => call.name === 'orchestrator_delegate').map((call) => call.id))
  return summary.lastRole === 'tool' && summary.toolResults.some((result) => delegateCalls.has(result.toolCallId))
}
export const isContinuation = (summary: ChatRequestSummary | undefined) => summary?.lastRole === 'user' && summary.lastUserMessage.startsWith('[orchestrator] The mission continues')

/** OpenCode's `task` call for part `index`; `background` only exists with OPENCODE_EXPERIMENTAL_BACKGROUND_SUBAGENTS=true. */
export const task = (tag: string, index: number, options: { background?: boolean } = {}): ScriptedToolCall => ({
  name: 'task',
  arguments: { description: `part ${index}`, prompt: `Do part ${index}. [${tag}]`, subagent_type: 'bench-child', ...(options.background ? { background: true } : {}) },
})
export const delegate = (index: number): ScriptedToolCall => ({ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}.` } })

// ---------------------------------------------------------------- native (OpenCode's own task tool)

export interface NativeScript {
  /** What the parent does at each step: the calls of this step, or none to end its turn. */
  next: (step: number, request: ChatRequestSummary) => ScriptedToolCall[]
  childDelayMs: number
  childHangs?: boolean
}

/** Runs one native parent turn; returns the parent's session id and its requests. */
export async function runNative(server: OpencodeServer, model: ScriptedModel, tag: string, script: NativeScript, options: { wait?: boolean } = {}) {
  let step = 0
  model.addRule({
    name: `native-parent:${tag}`,
    match: { system: 'You are the bench parent', marker: `[${tag}]` },
    respond: (request) => {
      const calls = script.next(step++, request)
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
  return {
    sessionID,
    mark,
    parentRequests: () => model.requests.filter((request) => request.rule === `native-parent:${tag}`),
    childRequests: () => model.requests.filter((request) => request.rule === `native-child:${tag}`),
  }
}

// ---------------------------------------------------------------- ours (a /task mission)

export interface MissionScript {
  turn: (kind: 'task' | 'wake' | 'continuation', count: number) => ScriptedResponse
  workerDelayMs: number
  workerHangs?: boolean
}

export async function runMission(server: OpencodeServer, model: ScriptedModel, tag: string, script: MissionScript) {
  const counts = { task: 0, wake: 0, continuation: 0 }
  model.addRule({
    name: `commander:${tag}`,
    match: { system: 'You are the Commander', marker: `[${tag}]` },
    respond: (request) => {
      const kind = isWake(request) ? 'wake' : isContinuation(request) ? 'continuation' : 'task'
      if (kind === 'task' && request.lastRole === 'tool') return { text: 'Delegated.' }
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
  const mark = server.events.mark()
  void server.client.session.command({ sessionID, command: 'task', arguments: `Run the parts. [${tag}]` })
  return {
    sessionID,
    mark,
    commanderRequests: () => model.requests.filter((request) => request.rule === `commander:${tag}`),
    workerRequests: () => model.requests.filter((request) => request.rule === `worker:${tag}`),
    stop: () => server.client.session.command({ sessionID, command: 'stop', arguments: '' }),
  }
}

/** Ends a mission and waits until its root is idle, so the next measurement starts on a quiet server. */
export async function stopMission(server: OpencodeServer, mission: { sessionID: string; stop: () => Promise<unknown> }) {
  // The v2 client reports HTTP errors in its result (the stop command answers with its notice); a throw is a real failure.
  await mission.stop()
  await until(async () => ((await server.client.session.status()).data ?? {})[mission.sessionID] === undefined, 10_000, 'the stopped mission to go idle')
}

// ---------------------------------------------------------------- the per-child dispatch timeline

/**
 * One child's way from the parent's tool call to its own first model call, in
 * ms after the parent's model response (the one with the N tool calls) ended:
 * - `tool`: the server reports the delegating tool call running (`message.part.updated`);
 * - `created`: the child session exists (`session.created`);
 * - `prompted`: the server stored the child's prompt (`message.updated`, role user);
 * - `busy`: the child's loop started (`session.status busy`);
 * - `model`: the child's first request reached the model.
 */
export interface ChildTimeline {
  index: number
  tool?: number
  created?: number
  prompted?: number
  busy?: number
  model: number
  /** Ours only, from the plugin's dispatch trace (OPENCODE_ORCHESTRATOR_TRACE). */
  plugin?: Partial<Record<PluginStage, number>>
}

/**
 * The plugin's side of a delegation (dispatch-trace.ts): scheduler request →
 * grant → `session.create` sent → answered → `promptAsync` sent → answered.
 */
export const PLUGIN_STAGES = ['request', 'grant', 'create-start', 'create-end', 'prompt-start', 'prompt-end'] as const
export type PluginStage = (typeof PLUGIN_STAGES)[number]

/** Where the benchmark servers of ours write the plugin's dispatch trace (relative to the project). */
export const TRACE_FILE = '.opencode/orchestrator/dispatch-trace.jsonl'

interface TraceEntry {
  at: number
  step: PluginStage
  taskId?: string
  title?: string
  sessionId?: string
}

/**
 * Adds the plugin's own stages to each child's timeline (ms after the call ended), from
 * the dispatch trace and the mission journal (task id → title).
 */
export function addPluginStages(options: { directory: string; rootSessionId: string; callEndedAt: number; children: ChildTimeline[] }): void {
  const traceFile = join(options.directory, TRACE_FILE)
  const missions = join(options.directory, '.opencode/orchestrator/missions')
  if (!existsSync(traceFile) || !existsSync(missions)) return
  const titles = new Map<string, string>()
  for (const file of readdirSync(missions).filter((name) => name.endsWith('.json'))) {
    const record = JSON.parse(readFileSync(join(missions, file), 'utf8')) as { rootSessionId?: string; tasks?: Array<{ id: string; title: string }> }
    if (record.rootSessionId !== options.rootSessionId) continue
    for (const task of record.tasks ?? []) titles.set(task.id, task.title)
  }
  const indexOfTitle = (title: string | undefined) => {
    const match = PART_INDEX.exec(title ?? '')
    return match ? Number(match[1]) : undefined
  }
  const sessionIndex = new Map<string, number>()
  const stages = new Map<number, Partial<Record<PluginStage, number>>>()
  const entries = readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TraceEntry)
    .filter((entry) => entry.at >= options.callEndedAt - 1_000)
  for (const entry of entries) {
    let index: number | undefined
    if (entry.step === 'request' || entry.step === 'grant') index = entry.taskId === undefined ? undefined : indexOfTitle(titles.get(entry.taskId))
    else if (entry.step === 'create-start' || entry.step === 'create-end') {
      index = indexOfTitle(entry.title)
      if (entry.step === 'create-end' && index !== undefined && entry.sessionId) sessionIndex.set(entry.sessionId, index)
    } else index = entry.sessionId === undefined ? undefined : sessionIndex.get(entry.sessionId)
    if (index === undefined) continue
    const child = stages.get(index) ?? {}
    child[entry.step] ??= entry.at - options.callEndedAt
    stages.set(index, child)
  }
  for (const child of options.children) {
    const plugin = stages.get(child.index)
    if (plugin) child.plugin = plugin
  }
}

export const STAGES = ['tool', 'created', 'prompted', 'busy', 'model'] as const

const PART_INDEX = /\bpart (\d+)\b/

/**
 * Builds every child's timeline of one fan-out from the server's events and
 * the model's request log. Children are matched to calls by the `part <i>`
 * in the call's arguments, the child session's title and the child's prompt.
 */
export function childTimelines(options: {
  events: readonly RecordedEvent[]
  since: number
  parentSessionId: string
  callEndedAt: number
  childRequests: readonly ScriptedModelRequest[]
}): ChildTimeline[] {
  const { events, since, parentSessionId, callEndedAt } = options
  const toolAt = new Map<number, number>()
  const sessionIndex = new Map<string, number>()
  const createdAt = new Map<number, number>()
  const busyAt = new Map<number, number>()
  const promptedAt = new Map<number, number>()
  for (const recorded of events) {
    if (recorded.index < since) continue
    const event = recorded.event
    if (event.type === 'message.part.updated') {
      const part = event.properties.part
      if (part.type !== 'tool' || part.sessionID !== parentSessionId || part.state.status !== 'running') continue
      const input = part.state.input as Record<string, unknown>
      const label = typeof input['title'] === 'string' ? input['title'] : typeof input['description'] === 'string' ? input['description'] : ''
      const match = PART_INDEX.exec(label)
      if (match && !toolAt.has(Number(match[1]))) toolAt.set(Number(match[1]), recorded.receivedAt)
    } else if (event.type === 'session.created') {
      const info = event.properties.info
      if (info.parentID !== parentSessionId) continue
      const match = PART_INDEX.exec(info.title)
      if (!match) continue
      sessionIndex.set(info.id, Number(match[1]))
      createdAt.set(Number(match[1]), recorded.receivedAt)
    } else if (event.type === 'message.updated' && event.properties.info.role === 'user') {
      const index = sessionIndex.get(event.properties.info.sessionID)
      if (index !== undefined && !promptedAt.has(index)) promptedAt.set(index, recorded.receivedAt)
    } else if (event.type === 'session.status' && event.properties.status.type === 'busy') {
      const index = sessionIndex.get(event.properties.sessionID)
      if (index !== undefined && !busyAt.has(index)) busyAt.set(index, recorded.receivedAt)
    }
  }
  const timelines: ChildTimeline[] = []
  const seen = new Set<number>()
  for (const request of options.childRequests) {
    const match = PART_INDEX.exec(request.summary?.lastUserMessage ?? '')
    if (!match) continue
    const index = Number(match[1])
    if (seen.has(index)) continue
    seen.add(index)
    const relative = (at: number | undefined) => (at === undefined ? undefined : at - callEndedAt)
    const timeline: ChildTimeline = { index, model: request.receivedAt - callEndedAt }
    const tool = relative(toolAt.get(index))
    const created = relative(createdAt.get(index))
    const busy = relative(busyAt.get(index))
    const prompted = relative(promptedAt.get(index))
    if (prompted !== undefined) timeline.prompted = prompted
    if (tool !== undefined) timeline.tool = tool
    if (created !== undefined) timeline.created = created
    if (busy !== undefined) timeline.busy = busy
    timelines.push(timeline)
  }
  return timelines.sort((a, b) => a.index - b.index)
}
