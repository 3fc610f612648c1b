/**
 * Worker isolation's cost on a real OpenCode server (`pnpm bench worktree`), issue 14:
 *
 * - **fan-out wall, worktree vs none**: a `/task` mission whose Commander has the Planner plan
 *   (during which the engine provisions and warms worktrees), then delegates 6 quick Workers in
 *   one message; wall = the Commander's response with the 6 calls ends → its next model request
 *   (every delegation returned). The same mission with `isolation: "none"` on each delegation.
 *   Rounds alternate the two sides; medians; target: worktree ≤ 1.10 × none.
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

/** One mission: plan, then `workers` delegations in one message; resolves with the wall time of the fan-out. */
async function fanOut(server: OpencodeServer, model: ScriptedModel, side: Side, workers: number, tag: string): Promise<number> {
  const marker = `[${tag}]`
  let wakes = 0
  model.addRule({
    name: `planner:${tag}`,
    match: { system: 'You are the Planner', marker },
    respond: (request) => (request.lastRole === 'tool' ? { text: 'Plan written.' } : { toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos: [{ id: 't1', title: 'parts' }] } }] }),
  })
  model.addRule({ name: `worker:${tag}`, match: { system: 'You are a Worker', marker }, respond: () => slow({ text: 'RESULT: part done.' }, WORKER_DELAY_MS) })
  model.addRule({
    name: `commander:${tag}`,
    match: { system: 'You are the Commander', marker },
    respond: (request) => {
      const results = request.toolResults.map((result) => result.content).join('\n')
      if (request.lastRole === 'tool' && /task_\S+ · planner · completed/.test(results)) {
        wakes++
        return {
          toolCalls: Array.from({ length: workers }, (_, index) => ({
            name: 'orchestrator_delegate',
            arguments: { agent: 'worker', title: `part ${index}`, prompt: `Do part ${index}. ${marker}`, ...(side === 'none' ? { isolation: 'none' } : {}) },
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
  const fanOutCall = () => commander().find((request) => request.summary?.toolResults.some((result) => / · planner · completed/.test(result.content)))
  await until(() => wakes > 0 && fanOutCall()?.endedAt !== undefined, 120_000, `${tag}: the Commander's fan-out`)
  const call = fanOutCall()!
  const after = () => commander().find((request) => request.receivedAt > call.endedAt! && request.summary?.toolResults.some((result) => / · worker · /.test(result.content)))
  await until(() => after() !== undefined, 300_000, `${tag}: the Commander's request with the ${workers} results`)
  const wall = after()!.receivedAt - call.endedAt!
  const done = model.requests.filter((request) => request.rule === `worker:${tag}`).length
  if (done < workers) throw new Error(`bench: ${tag}: expected ${workers} worker calls, got ${done}`)
  await server.client.session.command({ sessionID, command: 'stop', arguments: '' }).catch(() => undefined)
  await until(async () => ((await server.client.session.status()).data ?? {})[sessionID] === undefined, 30_000, `${tag}: the stopped mission to go idle`)
  return wall
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
  const server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    config: { plugin: [pathToFileURL(bundlePath).href], permission: { bash: 'allow', edit: 'allow' } },
    expectTools: ['orchestrator_delegate'],
  })
  try {
    writeFileSync(join(server.directory, 'README.md'), '# bench\n')
    git(server.directory, 'add', '-A')
    git(server.directory, 'commit', '-q', '-m', 'init')

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

    const walls: Record<Side, number[]> = { worktree: [], none: [] }
    for (let round = 0; round < rounds; round++) {
      const order: Side[] = round % 2 === 0 ? ['worktree', 'none'] : ['none', 'worktree']
      for (const side of order) {
        walls[side].push(await fanOut(server, model, side, workers, `wt-${side}-${round}`))
        await settle(300)
      }
    }
    raw('worktree fan-out walls', walls)
    report(`worktree fan-out N=${workers}, ${WORKER_DELAY_MS} ms/worker: wall, isolation "none" (median of ${rounds})`, median(walls.none), 'ms')
    report(`worktree fan-out N=${workers}, ${WORKER_DELAY_MS} ms/worker: wall, isolation "worktree" (median of ${rounds})`, median(walls.worktree), 'ms')
    report(`worktree fan-out N=${workers}: wall, worktree ÷ none`, median(walls.worktree) / median(walls.none), '×', TARGET_RATIO)
  } finally {
    await server.dispose()
    await model.close()
  }
}
