import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, systemClock } from '@opencode-orchestrator/core'
import { createBullmqFleetQueue } from '@opencode-orchestrator/fleet'
import { startRedisServer, type RedisServer } from '@opencode-orchestrator/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseCliArguments } from '../cli-arguments'
import type { FleetCommand } from './fleet-arguments'
import { fleetCommand } from './fleet-command'

let redis: RedisServer
let directory: string
beforeAll(async () => {
  redis = await startRedisServer()
  directory = mkdtempSync(join(tmpdir(), 'fleet-command-'))
})
afterAll(async () => {
  await redis?.stop()
  rmSync(directory, { recursive: true, force: true })
})

const logger = createLogger(() => undefined)

async function run(argv: string[]): Promise<{ code: number; output: string }> {
  let output = ''
  const command = parseCliArguments(['fleet', ...argv, '--redis', redis.url, '--queue', 'cli-test']) as FleetCommand
  const code = await fleetCommand({
    command,
    env: {},
    cwd: directory,
    clock: systemClock,
    logger,
    stdout: { write: (chunk: string) => ((output += chunk), true) },
    interrupt: new AbortController().signal,
    resolveFrom: import.meta.url,
  })
  return { code, output }
}

// Real redis-server / git processes on a shared two-core machine: more than vitest's 5 s default.
describe('orchestrator fleet submit / status / logs / cancel (real redis-server, no worker)', { timeout: 60_000 }, () => {
  it('submits from a JSONL file with relative repo paths made absolute, lists, shows logs and cancels', async () => {
    writeFileSync(join(directory, 'missions.jsonl'), '{"goal": "first"}\n# a comment\n{"goal": "second", "ref": "dev"}\n')
    const submitted = await run(['submit', '--from-file', 'missions.jsonl', '--repo', 'repo.git', '--json'])
    expect(submitted.code).toBe(0)
    const { jobs } = JSON.parse(submitted.output) as { jobs: Array<{ id: string; goal: string }> }
    expect(jobs.map((job) => job.goal)).toEqual(['first', 'second'])

    const status = JSON.parse((await run(['status', '--json'])).output) as { jobs: Array<{ id: string; state: string; spec: { repo: string; ref: string } }> }
    expect(status.jobs.map((job) => [job.state, job.spec.repo, job.spec.ref]).sort()).toEqual([
      ['waiting', join(directory, 'repo.git'), 'dev'],
      ['waiting', join(directory, 'repo.git'), 'main'],
    ])
    expect((await run(['status'])).output).toContain(jobs[0]!.id)

    const queue = createBullmqFleetQueue({ redisUrl: redis.url, queueName: 'cli-test', logger })
    await (await queue.queue.getJob(jobs[0]!.id))?.log('a log line')
    await queue.close()
    expect((await run(['logs', jobs[0]!.id])).output).toBe('a log line\n')

    expect((await run(['cancel', jobs[1]!.id])).output).toContain('removed from the queue before it started')
    expect(JSON.parse((await run(['cancel', jobs[1]!.id, '--json'])).output)).toMatchObject({ outcome: 'not-found' })
  })

  it('refuses a bad line of a missions file and submits nothing', async () => {
    writeFileSync(join(directory, 'bad.jsonl'), '{"goal": "fine"}\n{"goal": "evil", "repo": "--upload-pack=x"}\n')
    await expect(run(['submit', '--from-file', 'bad.jsonl', '--repo', '/srv/a.git'])).rejects.toThrow(/bad.jsonl:2: repo "--upload-pack=x" is refused/)
  })
})
