import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseOpencodeConfig, startScriptedModel, type ScriptedModel } from '@opencode-orchestrator/testing'
import { parseJsonLines, startCli } from './test-support/cli-process'
import { createUserSetup, type UserSetup } from './test-support/user-setup'

/*
 * How a run ends, on a real OpenCode server with the user's own config: one
 * OpenCode per run (that is what `orchestrator run` does), a scripted model
 * shared by all of them. Stopped exits 2, failed exits 1, no model exits 78.
 */

let model: ScriptedModel
const setups: UserSetup[] = []

beforeAll(async () => {
  model = await startScriptedModel()
})

afterAll(async () => {
  for (const setup of setups) setup.dispose()
  await model?.close()
})

/** A user whose ~/.config/opencode/opencode.json points at the scripted model, plus project files. */
async function userWithModel(files: Record<string, string> = {}): Promise<UserSetup> {
  const { plugin: _plugin, ...config } = baseOpencodeConfig({ modelBaseURL: model.baseURL })
  const setup = await createUserSetup({ userConfig: config, files })
  setups.push(setup)
  return setup
}

describe('orchestrator run: exit codes', () => {
  it('stopped (no progress) → exit 2, and every --json line parses', async () => {
    const marker = 'never-progresses'
    // The Commander only ever talks: no plan, no progress — the stagnation detector stops the mission.
    model.addRule({ name: `commander:${marker}`, match: { system: 'You are the Commander', marker }, respond: { text: 'Still thinking about it.' } })
    const setup = await userWithModel({ '.opencode/orchestrator.jsonc': JSON.stringify({ continuation: { stagnationTurns: 2, cooldownMs: 100 } }) })
    const cli = startCli(['run', `Ponder forever (${marker})`, '--json'], { env: setup.env, cwd: setup.project })
    const exitCode = await cli.exited
    expect(exitCode, cli.stderr()).toBe(2)

    const lines = parseJsonLines(cli.stdout())
    const types = new Set(lines.map((line) => line.type))
    for (const type of ['progress', 'mission-start', 'mission-end']) expect(types).toContain(type)
    // Nothing was delegated, so no task lines; only documented types appear.
    expect([...types].filter((type) => !['progress', 'mission-start', 'mission-end', 'recovery'].includes(type))).toEqual([])
    expect(lines.every((line) => typeof line.at === 'number')).toBe(true)
    const start = lines.find((line) => line.type === 'mission-start')!
    expect(start).toMatchObject({ goal: `Ponder forever (${marker})`, directory: setup.project, demo: false, server: { url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) } })
    const end = lines.at(-1)!
    expect(end).toMatchObject({ type: 'mission-end', state: 'stopped', exitCode: 2, missionId: start.missionId })
    expect(String(end.reason)).toMatch(/no todo progress/)
    expect(end.files).toMatchObject({ directory: setup.project, report: expect.stringMatching(/report\.html$/) })

    // run leaves timeline.json beside the report, and `orchestrator report` redraws from it: the
    // Commander's turns stay (no lane falls back to "messages unavailable").
    const reportPath = (end.files as { report: string }).report
    expect(existsSync(join(dirname(reportPath), 'timeline.json'))).toBe(true)
    expect(readFileSync(reportPath, 'utf8')).not.toContain('messages unavailable')
    const again = startCli(['report', String(start.missionId), '--json'], { env: setup.env, cwd: setup.project })
    expect(await again.exited, again.stderr()).toBe(0)
    expect(parseJsonLines(again.stdout()).at(-1)).toMatchObject({ type: 'report', path: reportPath, source: 'timeline.json' })
    expect(readFileSync(reportPath, 'utf8')).not.toContain('messages unavailable')
  })

  it('failed (the worker model answers 401) → exit 1 with the reason', async () => {
    const marker = 'bad-key'
    let commanderTurns = 0
    model.addRule({
      name: `commander:${marker}`,
      match: { system: 'You are the Commander', marker },
      respond: (request) =>
        request.lastRole === 'tool' || commanderTurns++ > 0
          ? { text: 'Waiting for the worker.' }
          : { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 'do the work', prompt: 'Do the work.' } }] },
    })
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: { error: { status: 401, body: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } } } },
    })
    const setup = await userWithModel()
    const cli = startCli(['run', `Use a revoked key (${marker})`], { env: setup.env, cwd: setup.project })
    const exitCode = await cli.exited
    const stdout = cli.stdout()
    expect(exitCode, `stdout:\n${stdout}\nstderr:\n${cli.stderr()}`).toBe(1)
    expect(stdout).toContain('✖ Mission failed')
    expect(stdout).toMatch(/Reason: .*(401|API key)/)
    expect(stdout).toContain('exit code 1')
  })

  it('no model configured → exit 78 with how to configure one or try --demo, no stack trace', async () => {
    const setup = await createUserSetup()
    setups.push(setup)
    const cli = startCli(['run', 'Anything at all'], { env: setup.env, cwd: setup.project })
    expect(await cli.exited).toBe(78)
    expect(cli.stderr()).toContain('No model is configured for OpenCode')
    expect(cli.stderr()).toContain('orchestrator run --demo')
    expect(cli.stderr()).not.toMatch(/\n\s+at /)
  })
})
