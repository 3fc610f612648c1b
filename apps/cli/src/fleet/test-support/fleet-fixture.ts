import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createLogger } from '@opencode-orchestrator/core'
import { createBullmqFleetQueue, type FleetJobView } from '@opencode-orchestrator/fleet'
import { startRedisServer, startScriptedModel, type RedisServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { startCli, type CliRun } from '../../test-support/cli-process'
import { createUserSetup, type UserSetup } from '../../test-support/user-setup'
import { createFleetTeamRules } from './fleet-team'

export interface FleetFixture {
  redis: RedisServer
  model: ScriptedModel
  setup: UserSetup
  /** The bare repository every mission clones and pushes to. */
  origin: string
  queueName: string
  /** `orchestrator fleet <args>` with the fixture's Redis and queue. */
  cli(args: readonly string[]): CliRun
  startWorker(name: string, options?: { concurrency?: number; providerCap?: number; lockMs?: number }): Promise<{ run: CliRun; name: string; workdir: string }>
  queue: ReturnType<typeof createBullmqFleetQueue>
  waitForJobs(ids: readonly string[], done: (job: FleetJobView) => boolean, timeoutMs: number): Promise<FleetJobView[]>
  dispose(): Promise<void>
}

/**
 * Everything a fleet e2e test needs on this machine: a throw-away redis-server,
 * the scripted model (provider `fake` for the team, `lead` for the Commander,
 * so fleet caps on `fake` can be checked exactly), a bare git repository with
 * one commit on main, and an isolated user home whose OpenCode config points
 * at the model.
 */
export async function createFleetFixture(options: { slowMs?: number; childDelayMs?: number } = {}): Promise<FleetFixture> {
  const redis = await startRedisServer()
  const model = await startScriptedModel({ rules: createFleetTeamRules({ ...(options.slowMs !== undefined ? { slowMs: options.slowMs } : {}), ...(options.childDelayMs !== undefined ? { childDelayMs: options.childDelayMs } : {}) }), models: ['fake-model', 'lead-model'] })
  const provider = (name: string, modelId: string) => ({
    npm: '@ai-sdk/openai-compatible',
    name,
    options: { baseURL: model.baseURL, apiKey: 'scripted' },
    models: { [modelId]: { name: modelId, tool_call: true, limit: { context: 200_000, output: 8_000 } } },
  })
  const setup = await createUserSetup({
    userConfig: {
      $schema: 'https://opencode.ai/config.json',
      model: 'fake/fake-model',
      provider: { fake: provider('Fake', 'fake-model'), lead: provider('Lead', 'lead-model') },
      permission: { edit: 'allow', bash: 'allow' },
      share: 'disabled',
    },
  })
  writeFileSync(join(setup.home, '.config', 'opencode', 'orchestrator.jsonc'), JSON.stringify({ agents: { commander: { model: 'lead/lead-model' } } }))
  const origin = join(setup.home, 'origin.git')
  const seed = join(setup.home, 'seed')
  mkdirSync(seed)
  execFileSync('git', ['init', '-q', '--bare', origin])
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: seed })
  writeFileSync(join(seed, 'README.md'), '# fleet e2e\n')
  execFileSync('git', ['add', '.'], { cwd: seed })
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init'], { cwd: seed })
  execFileSync('git', ['push', '-q', origin, 'main'], { cwd: seed })
  const queueName = `fleet-e2e-${process.pid}`
  const common = ['--redis', redis.url, '--queue', queueName]
  const cli = (args: readonly string[]) => startCli(['fleet', ...args.slice(0, 1), ...common, ...args.slice(1)], { env: setup.env, cwd: setup.home })
  const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName, logger: createLogger(() => undefined) })
  const workers: CliRun[] = []
  return {
    redis,
    model,
    setup,
    origin,
    queueName,
    cli,
    queue,
    async startWorker(name, workerOptions = {}) {
      const workdir = join(setup.home, 'workers', name)
      const run = cli([
        'worker',
        '--concurrency',
        String(workerOptions.concurrency ?? 3),
        '--workdir',
        workdir,
        '--model',
        'fake/fake-model',
        '--lock-ms',
        String(workerOptions.lockMs ?? 4_000),
        ...(workerOptions.providerCap !== undefined ? ['--provider-cap', `fake=${workerOptions.providerCap}`] : []),
      ])
      workers.push(run)
      await run.waitForLine((line) => line.includes('"fleet-worker-ready"'), `worker ${name} ready`, 90_000)
      return { run, name, workdir }
    },
    async waitForJobs(ids, done, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const jobs = await Promise.all(ids.map((id) => queue.get(id)))
        if (jobs.every((job) => job !== undefined && done(job))) return jobs as FleetJobView[]
        if (Date.now() > deadline) {
          throw new Error(`jobs not done within ${timeoutMs} ms:\n${jobs.map((job, index) => `${ids[index]} ${job?.state} ${job?.failedReason ?? ''} ${JSON.stringify(job?.progress ?? {})}`).join('\n')}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 500))
      }
    },
    async dispose() {
      for (const run of workers) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGTERM')
      await Promise.all(workers.map((run) => Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 15_000))])))
      for (const run of workers) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL')
      await queue.close()
      await model.close()
      await redis.stop()
      setup.dispose()
    },
  }
}
