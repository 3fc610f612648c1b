import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { baseOpencodeConfig, startScriptedModel, type ScriptedModel } from '@opencode-orchestrator/testing'
import { startCli } from './test-support/cli-process'
import { createUserSetup, type UserSetup } from './test-support/user-setup'

/*
 * `orchestrator run "<goal>"` from a CI job that passes an issue title: the
 * goal is data. OpenCode's `!`cmd`` template syntax (and `$(…)`, backticks)
 * in it runs nothing — with and without `permission.bash: "deny"` — and the
 * Commander's first message holds the goal verbatim.
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

describe.each([
  ['with permission.bash "deny"', { bash: 'deny' }],
  ['with bash allowed', { bash: 'allow' }],
])('orchestrator run with shell syntax in the goal (%s)', (name, permission) => {
  it('runs nothing from the goal and gives it to the Commander verbatim', async () => {
    const marker = `cli-goal-${permission.bash}`
    model.addRule({ name: `commander:${marker}`, match: { system: 'You are the Commander', marker }, respond: { text: 'Thinking.' } })
    const { plugin: _plugin, ...config } = baseOpencodeConfig({ modelBaseURL: model.baseURL })
    const setup = await createUserSetup({
      userConfig: { ...config, permission },
      files: { '.opencode/orchestrator.jsonc': JSON.stringify({ continuation: { stagnationTurns: 1, cooldownMs: 100 } }) },
    })
    setups.push(setup)
    const markers = ['bang', 'dollar', 'backtick'].map((kind) => join(setup.project, `pwned-${kind}`))
    const goal = `Fix the issue ${marker}: !\`touch ${markers[0]}\` $(touch ${markers[1]}) \`touch ${markers[2]}\``
    const cli = startCli(['run', goal, '--json'], { env: setup.env, cwd: setup.project })
    const exitCode = await cli.exited
    expect(exitCode, `${name}\n${cli.stderr()}`).toBe(2)
    const first = model.requests.find((request) => request.rule === `commander:${marker}`)
    expect(first?.summary?.lastUserMessage).toContain(goal)
    expect(markers.filter((path) => existsSync(path))).toEqual([])
  })
})
