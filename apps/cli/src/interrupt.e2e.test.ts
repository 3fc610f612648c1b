import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseOpencodeConfig, startScriptedModel, type ScriptedModel } from '@opencode-orchestrator/testing'
import { listDescendants } from './opencode-process'
import { isAlive, parseJsonLines, startCli, type CliRun } from './test-support/cli-process'
import { createUserSetup, type UserSetup } from './test-support/user-setup'

/*
 * Ctrl-C in the middle of a mission: the built CLI as a child process, two
 * workers whose model calls hang and a background `sleep`. SIGINT must stop the
 * mission the way /stop does, then take down the server's whole process group:
 * exit 130 and not one process left.
 */

let model: ScriptedModel
let setup: UserSetup | undefined
let cli: CliRun | undefined

beforeAll(async () => {
  model = await startScriptedModel()
})

afterAll(async () => {
  if (cli !== undefined && isAlive(cli.pid)) cli.child.kill('SIGKILL')
  setup?.dispose()
  await model?.close()
})

async function until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not reached within ${timeoutMs} ms.\nstdout:\n${cli?.stdout().slice(-3000)}\nstderr:\n${cli?.stderr().slice(-3000)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/**
 * The background job's process-group leader (`sleep 300`) among the CLI's descendants. Read from the
 * process table: the Commander's delegate calls wait for their (hanging) Workers, so the job's
 * "Started bg_… (pid N)" result reaches the model only after the stop (docs/decisions/040).
 */
function backgroundJobPid(): number | undefined {
  if (cli === undefined) return undefined
  for (const pid of listDescendants(cli.pid)) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
      // Fields after the command name: state, ppid, pgrp — the leader of its own group is the job.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')
      if (command.includes('sleep 300') && fields !== undefined && Number(fields[2]) === pid) return pid
    } catch {
      // The process ended between listing and reading: not the job.
    }
  }
  return undefined
}

describe('orchestrator run, then Ctrl-C', () => {
  it('stops the mission like /stop, shuts the server group down, leaves no process, exits 130', async () => {
    model.addRule({
      name: 'commander',
      match: { system: 'You are the Commander' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: 'Two workers and the build are running.' }
          : {
              toolCalls: [
                { name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 'w1', prompt: 'Work on part 1' } },
                { name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 'w2', prompt: 'Work on part 2' } },
                { name: 'orchestrator_bg_run', arguments: { command: 'sleep 300' } },
              ],
            },
    })
    // Workers never answer: their model calls stay open until the stop cuts them.
    model.addRule({ name: 'worker', match: { system: 'You are a Worker' }, respond: { hang: true } })
    const { plugin: _plugin, ...config } = baseOpencodeConfig({ modelBaseURL: model.baseURL })
    setup = await createUserSetup({ userConfig: { ...config, permission: { bash: 'allow' } } })

    cli = startCli(['run', 'Build it all at once', '--json'], { env: setup.env, cwd: setup.project })
    const start = JSON.parse(await cli.waitForLine((line) => line.includes('"type":"mission-start"'), 'mission-start')) as { server: { pid: number } }
    const serverPid = start.server.pid
    await until(() => model.requests.filter((request) => request.rule === 'worker').length === 2 && backgroundJobPid() !== undefined, 30_000, 'two workers and the background job running')
    const jobPid = backgroundJobPid()!
    const everything = [serverPid, ...listDescendants(cli.pid)]
    expect(everything).toContain(jobPid)
    expect(everything.every(isAlive)).toBe(true)

    // The last moment the server was seen alive: a call cut by the stop ends before it, one closed by the exit after.
    let serverLastSeenAlive = Date.now()
    let watching = true
    const watcher = (async () => {
      while (watching) {
        const now = Date.now()
        if (!isAlive(serverPid)) return
        serverLastSeenAlive = now
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    cli.child.kill('SIGINT')
    const exitCode = await cli.exited
    await until(() => !isAlive(serverPid), 5_000, 'the server exited')
    watching = false
    await watcher
    expect(exitCode, cli.stderr()).toBe(130)

    // Stopped through /stop: the journal says so, the hanging model calls were cut.
    const lines = parseJsonLines(cli.stdout())
    const end = lines.at(-1)!
    expect(end).toMatchObject({ type: 'mission-end', state: 'stopped', exitCode: 130 })
    // Ctrl-C is named as such, not as the /stop command the CLI sends for it.
    expect(end.reason).toBe('stopped by the user: Ctrl-C in orchestrator run')
    const workerCalls = model.requests.filter((request) => request.rule === 'worker')
    expect(workerCalls).toHaveLength(2)
    for (const call of workerCalls) {
      expect(call.closedEarly).toBe(true)
      // Cut while the server still ran (by the stop), not by the process exit closing every connection.
      expect(call.endedAt).toBeDefined()
      expect(call.endedAt!).toBeLessThan(serverLastSeenAlive)
    }

    // Nothing is left: not the server, not its children, not the background job.
    await until(() => !everything.some(isAlive), 5_000, `processes gone (still alive: ${everything.filter(isAlive).join(', ')})`)
    expect(everything.filter(isAlive)).toEqual([])
  })
})
