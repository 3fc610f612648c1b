/**
 * Fan-out with a git worktree per Worker beside the same fan-out without (`pnpm bench isolation`),
 * on two real OpenCode servers with the built plugin, one `isolation: "worktree"` (the default), one
 * `isolation: "none"`, each in a git project with a commit.
 *
 * A mission as it runs in practice: the Commander delegates the Planner, who thinks for 2/3 of
 * PLAN_MS, writes the plan (N independent todos, `orchestrator_todo_write`) and answers after the
 * rest; then, on the Planner's wake, the Commander delegates N Workers in one message (each Worker's
 * model call takes the Worker duration). The worktrees are made and OpenCode's instance in each
 * booted while the Planner plans: as many as the Worker concurrency, at most 4, at the mission's
 * start (decision 086; a top-up when the plan arrives was tried and reverted, decision 091).
 *
 * Rows per Worker duration: wall (the Commander's response with the N delegations ends → its wake
 * with every result), median over rounds that alternate the two servers, for isolation "none" and
 * "worktree"; the ratio worktree ÷ none (target ≤ 1.10, issue 14); and the fixed overhead
 * worktree − none in ms, which does not shrink with longer Workers. `BENCH_ISOLATION_N` (default 6),
 * `BENCH_ISOLATION_ROUNDS` (default 3), `BENCH_ISOLATION_WORKER_MS` (default `1000,5000,20000`).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { delegate, median, stopMission, until, type Raw, type Report } from './bench-support'

const bundlePath = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const PLAN_MS = 3000
const WORKER_MS = [1000, 5000, 20_000]
const TARGET_RATIO = 1.1

type Mode = 'worktree' | 'none'

const positive = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback)
  if (!Number.isInteger(value) || value <= 0) throw new Error(`bench: ${name} must be a positive whole number`)
  return value
}

async function startServer(model: ScriptedModel, mode: Mode): Promise<OpencodeServer> {
  const server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    config: { plugin: [[pathToFileURL(bundlePath).href, { isolation: mode }]], permission: { edit: 'allow', bash: 'allow' } },
    expectTools: ['orchestrator_delegate'],
  })
  // The harness's project is `git init`ed without a commit: worktrees need one.
  writeFileSync(join(server.directory, 'README.md'), '# bench\n')
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'add', '-A'], { cwd: server.directory })
  execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', 'commit', '-q', '-m', 'bench'], { cwd: server.directory })
  return server
}

/** Results of waiting `orchestrator_delegate` calls come back as tool results (docs/decisions/040). */
const DELEGATION_RESULT = /^task_\S+ · \w+ · (completed|failed|cancelled)/
const isDelegationReturn = (request: { lastRole?: string; toolResults: Array<{ content: string }> } | undefined) =>
  request?.lastRole === 'tool' && request.toolResults.some((result) => DELEGATION_RESULT.test(result.content))

const planOf = (count: number) => ({ todos: Array.from({ length: count }, (_, index) => ({ id: `t${index + 1}`, title: `Part ${index}`, dependsOn: [] })) })

/** One mission: Planner, then `count` Workers of `workerMs` each; resolves with the fan-out's wall time. */
async function mission(server: OpencodeServer, model: ScriptedModel, tag: string, count: number, workerMs: number): Promise<{ wall: number; dispatch: number[]; answered: number[] }> {
  let returns = 0
  model.addRule({
    name: `commander:${tag}`,
    match: { system: 'You are the Commander', marker: `[${tag}]` },
    respond: (request) => {
      if (!isDelegationReturn(request)) {
        return request.lastRole === 'tool' ? { text: 'Waiting.' } : { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'planner', title: 'plan', prompt: 'Plan the parts.' } }] }
      }
      returns++
      return returns === 1 ? { toolCalls: Array.from({ length: count }, (_, index) => delegate(index)) } : { text: 'All parts done.' }
    },
  })
  const thinkMs = Math.round((PLAN_MS * 2) / 3)
  model.addRule({
    name: `planner:${tag}`,
    match: { system: 'You are the Planner', marker: `[${tag}]` },
    respond: (request) =>
      request.lastRole === 'tool'
        ? { text: 'Plan: the parts.', delays: { beforeFirstChunkMs: PLAN_MS - thinkMs } }
        : { toolCalls: [{ name: 'orchestrator_todo_write', arguments: planOf(count) }], delays: { beforeFirstChunkMs: thinkMs } },
  })
  model.addRule({ name: `worker:${tag}`, match: { system: 'You are a Worker', marker: `[${tag}]` }, respond: () => ({ text: 'Part done.', delays: { beforeFirstChunkMs: workerMs } }) })
  const session = await server.client.session.create({ title: `bench ${tag}` })
  const sessionID = session.data!.id
  void server.client.session.command({ sessionID, command: 'task', arguments: `Run the parts. [${tag}]` })
  const delegationReturns = () => model.requests.filter((request) => request.rule === `commander:${tag}` && isDelegationReturn(request.summary))
  await until(() => delegationReturns().length >= 2, 300_000, `the ${count} Workers' results in ${tag}`)
  const [planned, done] = delegationReturns() as [(typeof model.requests)[number], (typeof model.requests)[number]]
  const workers = model.requests.filter((request) => request.rule === `worker:${tag}`)
  if (workers.length !== count) throw new Error(`bench: expected ${count} worker calls in ${tag}, got ${workers.length}`)
  // The Commander's response with the N delegations ends → its request carrying every result.
  const wall = done.receivedAt - planned.endedAt!
  // Where the time goes: each Worker's model call arrives (dispatch) and ends (answered), after the fan-out call ended.
  const dispatch = workers.map((request) => request.receivedAt - planned.endedAt!).sort((a, b) => a - b)
  const answered = workers.map((request) => (request.endedAt ?? Number.NaN) - planned.endedAt!).sort((a, b) => a - b)
  await stopMission(server, { sessionID, stop: () => server.client.session.command({ sessionID, command: 'stop', arguments: '' }) })
  return { wall, dispatch, answered }
}

export default async (report: Report, raw: Raw): Promise<void> => {
  if (!existsSync(bundlePath)) throw new Error(`bench: ${bundlePath} is missing; run \`pnpm build:plugin\` first`)
  const count = positive('BENCH_ISOLATION_N', 6)
  const rounds = positive('BENCH_ISOLATION_ROUNDS', 3)
  const durations = (process.env['BENCH_ISOLATION_WORKER_MS']?.split(',') ?? WORKER_MS.map(String)).map((value) => {
    const ms = Number(value.trim())
    if (!Number.isInteger(ms) || ms <= 0) throw new Error('bench: BENCH_ISOLATION_WORKER_MS must list positive whole numbers of ms, e.g. 1000,5000,20000')
    return ms
  })
  const model = await startScriptedModel()
  const servers: Partial<Record<Mode, OpencodeServer>> = {}
  const walls = new Map(durations.map((ms) => [ms, { worktree: [] as number[], none: [] as number[] }]))
  const timelines: Array<{ mode: Mode; workerMs: number; round: number; wall: number; dispatch: number[]; answered: number[] }> = []
  try {
    servers.worktree = await startServer(model, 'worktree')
    servers.none = await startServer(model, 'none')
    // Each server's first mission pays one-off costs (agents, providers): not measured.
    for (const mode of ['worktree', 'none'] as const) await mission(servers[mode]!, model, `${mode}-warm-up`, 2, 100)
    for (const workerMs of durations) {
      for (let round = 0; round < rounds; round++) {
        const order: Mode[] = round % 2 === 0 ? ['worktree', 'none'] : ['none', 'worktree']
        for (const mode of order) {
          const result = await mission(servers[mode]!, model, `${mode}-${count}-${workerMs}-${round}`, count, workerMs)
          walls.get(workerMs)![mode].push(result.wall)
          timelines.push({ mode, workerMs, round, ...result })
        }
      }
    }
  } finally {
    for (const server of Object.values(servers)) await server.dispose().catch((error: unknown) => console.error('bench: dispose failed:', error))
    await model.close()
  }
  for (const workerMs of durations) {
    const { none, worktree } = walls.get(workerMs)!
    const label = `isolation fan-out N=${count}, Workers of ${workerMs} ms after a ${PLAN_MS} ms plan`
    report(`${label}: wall, isolation "none" (median of ${rounds})`, median(none), 'ms')
    report(`${label}: wall, isolation "worktree" (median of ${rounds})`, median(worktree), 'ms')
    report(`${label}: wall, worktree ÷ none`, median(worktree) / median(none), '×', TARGET_RATIO)
    report(`${label}: fixed overhead, worktree − none`, median(worktree) - median(none), 'ms')
  }
  raw('isolation fan-out rounds', { count, planMs: PLAN_MS, durations, timelines })
  if (process.env['BENCH_TIMELINE'] === '1') {
    for (const line of timelines) console.log(`bench isolation: ${line.mode} ${line.workerMs} ms round ${line.round}: wall ${line.wall} ms, dispatch ${line.dispatch.join(', ')}, answered ${line.answered.join(', ')}`)
  }
}
