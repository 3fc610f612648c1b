import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, it } from 'vitest'
import { startOpencodeTui, type OpencodeTui } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer, type PluginServer } from './test-support/plugin-server'
import { readJournals, scriptTeam } from './test-support/scripted-team'

const tag = process.env.SHOT_TAG ?? 'before'
let started: Partial<PluginServer> = {}
let tui: OpencodeTui | undefined
const shot = async (name: string) => {
  const screen = await tui!.screen()
  writeFileSync(`/tmp/tui-shots/${tag}-${name}.txt`, screen)
  return screen
}
beforeAll(async () => {
  started = await startPluginServer()
  tui = await startOpencodeTui({ server: started.server! })
})
afterAll(async () => {
  await tui?.dispose()
  await stopPluginServer(started)
})

it('explore: seal flow', async () => {
  const { model, server } = started as PluginServer
  scriptTeam(model, { marker: 'xplore', workerDelayMs: 3000 })
  model.addRule({ name: 'plain', match: { marker: 'plain question' }, respond: { text: 'plain answer here' } })
  await shot('home')
  await tui!.type('/task "slugify xplore"')
  await new Promise((r) => setTimeout(r, 500))
  await shot('autocomplete')
  await tui!.keys('Enter')
  await new Promise((r) => setTimeout(r, 300))
  await tui!.keys('Enter')
  await new Promise((r) => setTimeout(r, 4000))
  await shot('workers-running')
  for (let i = 0; i < 60; i++) {
    await new Promise((r) => setTimeout(r, 1000))
    if (readJournals(server.directory).some((j) => j.state === 'sealed')) break
  }
  await new Promise((r) => setTimeout(r, 1500))
  await shot('sealed')
  await tui!.submit('plain question')
  await new Promise((r) => setTimeout(r, 3000))
  await shot('after-plain')
  const last = model.requests.at(-1)
  writeFileSync(`/tmp/tui-shots/${tag}-after-plain-request.txt`, JSON.stringify({ rule: last?.rule, system: last?.summary }, null, 1).slice(0, 3000))
}, 180_000)
