/**
 * Worker isolation's cost on a real OpenCode server (`pnpm bench worktree`), issue 14:
 *
 * - **fan-out wall, worktree vs none**: a `/task` mission whose Commander has the Planner plan
 *   (during which the engine provisions and warms worktrees), then delegates 6 quick Workers in
 *   one message; wall = the Commander's response with the 6 calls ends → its next model request
 *   (every delegation returned). The same mission on a second server with `isolation: "none"`.
 *   Rounds alternate the two sides; medians; target: worktree ≤ 1.10 × none. The Planner's
 *   answer takes `BENCH_WORKTREE_PLAN_MS` (default 3000: a real plan takes longer), and the Commander
 *   sends a second wave of Workers after the first (reusing the mission's pooled worktrees).
 * - **OpenCode's cost for a new directory**: `session.create` with a fresh worktree's directory →
 *   its first model request, beside the same in the project (warm) and in a fresh worktree after
 *   the host's `warm` calls (`tool.ids`, `config.providers`, `find.files`).
 *
 * `BENCH_WORKTREE_ROUNDS` sets the rounds (default 3), `BENCH_WORKTREE_WORKERS` the fan-out (6).
 */
import { execFileSync } from 'node:child_process'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { median, settle, slow, until, type Raw, type Report } from './bench-support'

const bundlePath = fileURLToPath(new URL('../dist/index.js', import.meta.url))
const TARGET_RATIO = 1.1
const WORKER_DELAY_MS = 300

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd, encoding: 'utf8' })

function positiveFromEnv(name: string, fallback: number): number {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return fallback
  const number = Number(value)
  if (!Number.isInteger(number) || number <= 0) throw new Error(`bench: ${name}=${value} must be a positive integer`)
  return number
}

type Side = 'worktree' | 'none'

/** Per round: each Worker's model call [start, end] in ms after the fan-out call ended. */
const timelines: Array<{ tag: string; wall: number; workers: Array<[number, number]> }> = []

/** One mission: plan, then `workers` delegations in one message; resolves with the wall time of the fan-out. */
async function fanOut(server: OpencodeServer, model: ScriptedModel, workers: number, tag: string, planMs: number): Promise<[number, number]> {
  const marker = `[${tag}]`
  let wakes = 0
  model.addRule({
    name: `planner:${tag}`,
    match: { system: 'You are the Planner', marker },
    respond: (request) => (request.lastRole === 'tool' ? slow({ text: 'Plan written.' }, planMs) : { toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos: [{ id: 't1', title: 'parts' }] } }] }),
  })
  model.addRule({ name: `worker:${tag}`, match: { system: 'You are a Worker', marker }, respond: () => slow({ text: 'RESULT: part done.' }, WORKER_DELAY_MS) })
  model.addRule({
    name: `commander:${tag}`,
    match: { system: 'You are the Commander', marker },
    respond: (request) => {
      const results = request.toolResults.map((result) => result.content).join('\n')
      // After the plan, and again after the first wave's results: two waves of Workers in one mission (the second reuses the pool).
      if (request.lastRole === 'tool' && (/task_\S+ · planner · completed/.test(results) || (wakes === 1 && / · worker · /.test(results)))) {
        wakes++
        return {
          toolCalls: Array.from({ length: workers }, (_, index) => ({
            name: 'orchestrator_delegate',
            arguments: { agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}. ${marker}` },
          })),
        }
      }
      if (request.lastRole === 'tool') return { text: 'All parts done.' }
      return { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'planner', title: 'plan', prompt: `Plan it. ${marker}` } }] }
    },
  })
  const session = await server.client.session.create({ title: `bench ${tag}` })
  const sessionID = session.data!.id
  void server.client.session.command({ sessionID, command: 'task', arguments: `Run the parts. ${marker}` })
  const commander = () => model.requests.filter((request) => request.rule === `commander:${tag}`)
  const withResults = (pattern: RegExp) => commander().filter((request) => request.summary?.toolResults.some((result) => pattern.test(result.content)))
  const walls: number[] = []
  for (const wave of [0, 1]) {
    // The request whose answer is this wave's delegations, and the one that brings their results.
    const call = () => (wave === 0 ? withResults(/ · planner · completed/)[0] : withResults(/ · worker · /)[0])
    await until(() => call()?.endedAt !== undefined, 120_000, `${tag}: the Commander's fan-out ${wave + 1}`)
    const started = call()!.endedAt!
    const back = () => withResults(/ · worker · /).find((request) => request.receivedAt > started)
    await until(() => back() !== undefined, 300_000, `${tag}: the Commander's request with wave ${wave + 1}'s results`)
    const wall = back()!.receivedAt - started
    walls.push(wall)
    const workerRequests = model.requests.filter((request) => request.rule === `worker:${tag}` && request.receivedAt > started && request.receivedAt < back()!.receivedAt)
    // Where the time goes: each Worker's model call (start, end) after the fan-out call ended.
    timelines.push({ tag: `${tag} wave ${wave + 1}`, wall, workers: workerRequests.map((request) => [request.receivedAt - started, (request.endedAt ?? request.receivedAt) - started]) })
    if (workerRequests.length < workers) throw new Error(`bench: ${tag}: expected ${workers} worker calls in wave ${wave + 1}, got ${workerRequests.length}`)
  }
  await server.client.session.command({ sessionID, command: 'stop', arguments: '' }).catch(() => undefined)
  await until(async () => ((await server.client.session.status()).data ?? {})[sessionID] === undefined, 30_000, `${tag}: the stopped mission to go idle`)
  return [walls[0]!, walls[1]!]
}

/** session.create in `directory` → its first model request. */
async function firstModelCall(server: OpencodeServer, model: ScriptedModel, directory: string | undefined, tag: string): Promise<number> {
  const started = Date.now()
  const session = await server.client.session.create({ title: tag, ...(directory ? { directory } : {}) })
  await server.client.session.promptAsync({ sessionID: session.data!.id, ...(directory ? { directory } : {}), parts: [{ type: 'text', text: `probe ${tag}` }] })
  await until(() => model.requests.some((request) => request.summary?.lastUserMessage.includes(`probe ${tag}`) === true), 60_000, `${tag}: the first model call`)
  return model.requests.find((request) => request.summary?.lastUserMessage.includes(`probe ${tag}`) === true)!.receivedAt - started
}

export default async (report: Report, raw: Raw): Promise<void> => {
  if (!existsSync(bundlePath)) throw new Error(`worktree bench: ${bundlePath} is missing; run \`pnpm build:plugin\` first`)
  const rounds = positiveFromEnv('BENCH_WORKTREE_ROUNDS', 3)
  const workers = positiveFromEnv('BENCH_WORKTREE_WORKERS', 6)
  const model = await startScriptedModel()
  model.addRule({ name: 'probe', match: { user: 'probe ' }, respond: { text: 'ok' } })
  // One server per side, so the "none" side is a mission without isolation at all (no warm-up either).
  const servers: Partial<Record<Side, OpencodeServer>> = {}
  const start = async (side: Side) => {
    const started = await startOpencodeServer({
      modelBaseURL: model.baseURL,
      config: { plugin: [[pathToFileURL(bundlePath).href, { isolation: side }]], permission: { bash: 'allow', edit: 'allow' } },
      expectTools: ['orchestrator_delegate'],
    })
    servers[side] = started
    writeFileSync(join(started.directory, 'README.md'), '# bench\n')
    git(started.directory, 'add', '-A')
    git(started.directory, 'commit', '-q', '-m', 'init')
    return started
  }
  try {
    const server = await start('worktree')
    const noneServer = await start('none')

    // OpenCode's own cost for a new directory, beside a warm instance.
    const fresh = (name: string) => {
      const path = join(server.directory, '.git', 'orchestrator', 'worktrees', 'bench', name)
      git(server.directory, 'worktree', 'add', '-q', '--detach', path)
      return path
    }
    const costs = { project: [] as number[], fresh: [] as number[], warmed: [] as number[], warmMs: [] as number[] }
    for (let round = 0; round < rounds; round++) {
      costs.project.push(await firstModelCall(server, model, undefined, `project-${round}`))
      costs.fresh.push(await firstModelCall(server, model, fresh(`fresh-${round}`), `fresh-${round}`))
      const warmed = fresh(`warmed-${round}`)
      const started = Date.now()
      await server.client.tool.ids({ directory: warmed })
      await server.client.config.providers({ directory: warmed })
      await server.client.find.files({ directory: warmed, query: 'README' })
      costs.warmMs.push(Date.now() - started)
      costs.warmed.push(await firstModelCall(server, model, warmed, `warmed-${round}`))
    }
    raw('worktree new-directory costs', costs)
    report('new directory: session.create → first model call, in the project (warm instance)', median(costs.project), 'ms')
    report('new directory: session.create → first model call, in a fresh worktree', median(costs.fresh), 'ms')
    report('new directory: the host\'s warm (tool.ids + config.providers + find.files)', median(costs.warmMs), 'ms')
    report('new directory: session.create → first model call, in a warmed worktree', median(costs.warmed), 'ms')

    const planMs = positiveFromEnv('BENCH_WORKTREE_PLAN_MS', 3000)
    const walls: Record<Side, Array<[number, number]>> = { worktree: [], none: [] }
    for (let round = 0; round < rounds; round++) {
      const order: Side[] = round % 2 === 0 ? ['worktree', 'none'] : ['none', 'worktree']
      for (const side of order) {
        walls[side].push(await fanOut(side === 'worktree' ? server : noneServer, model, workers, `wt-${side}-${round}`, planMs))
        await settle(300)
      }
    }
    raw('worktree fan-out walls', walls)
    raw('worktree fan-out timelines', timelines)
    if (process.env['BENCH_TIMELINE'] === '1') {
      for (const entry of timelines) console.log(`${entry.tag}: wall ${entry.wall} ms, workers ${JSON.stringify(entry.workers)}`)
      const interesting = /creating instance|bootstrapping|message=created id|orchestrator plugin loading|worktree|warm|mission transition/
      for (const line of server.logs.lines) if (interesting.test(line.text)) console.log(`[server] ${line.text.slice(0, 260)}`)
    }
    for (const wave of [0, 1] as const) {
      const label = `worktree fan-out N=${workers}, ${WORKER_DELAY_MS} ms/worker, ${wave === 0 ? `first wave (after a ${planMs} ms plan)` : 'second wave (pooled worktrees)'}`
      const none = median(walls.none.map((pair) => pair[wave]))
      const worktree = median(walls.worktree.map((pair) => pair[wave]))
      report(`${label}: wall, isolation "none" (median of ${rounds})`, none, 'ms')
      report(`${label}: wall, isolation "worktree" (median of ${rounds})`, worktree, 'ms')
      report(`${label}: wall, worktree ÷ none`, worktree / none, '×', TARGET_RATIO)
    }
  } finally {
    for (const started of Object.values(servers)) await started.dispose().catch((error: unknown) => console.error('bench: dispose failed:', error))
    await model.close()
  }
}
