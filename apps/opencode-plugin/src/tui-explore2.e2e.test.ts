import { writeFileSync } from 'node:fs'
import { afterAll, beforeAll, it } from 'vitest'
import { startOpencodeTui, type OpencodeTui } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer, type PluginServer } from './test-support/plugin-server'
import { readJournals, scriptTeam } from './test-support/scripted-team'

const tag = process.env.SHOT_TAG ?? 'before'
let started: Partial<PluginServer> = {}
let tui: OpencodeTui | undefined
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const shot = async (name: string, extra = '') => {
  const screen = await tui!.screen()
  writeFileSync(`/tmp/tui-shots/${tag}-${name}.txt`, `${screen}\n----\n${extra}`)
  return screen
}
const journal = () => JSON.stringify(readJournals(started.server!.directory).map((j) => [j.id, j.state, (j as { goal?: string }).goal]))
beforeAll(async () => {
  started = await startPluginServer({ config: { permission: { bash: 'ask' } } })
  tui = await startOpencodeTui({ server: started.server! })
})
afterAll(async () => {
  await tui?.dispose()
  await stopPluginServer(started)
})

it('explore: esc idle', async () => {
  const { model } = started as PluginServer
  scriptTeam(model, { marker: 'escidle', workerDelayMs: 30_000 })
  await tui!.submit('/task "slugify escidle"')
  await sleep(300); await tui!.keys('Enter')
  for (let i = 0; i < 100 && !model.requests.some((r) => r.rule === 'worker:escidle'); i++) await sleep(200)
  await sleep(1500)
  await shot('escidle-running', journal())
  const n = model.requests.length
  await tui!.keys('Escape')
  await sleep(3000)
  await shot('escidle-after-esc', `${journal()}\nrequests after esc: ${model.requests.length - n}`)
}, 120_000)

it('explore: esc busy', async () => {
  const { model } = started as PluginServer
  model.addRule({ name: 'commander:escbusy', match: { system: 'You are the Commander', marker: 'escbusy' }, respond: { text: 'thinking done', delays: { beforeFirstChunkMs: 20_000 } } })
  await tui!.submit('/new')
  await sleep(1500)
  await tui!.submit('/task "slugify escbusy"')
  await sleep(300); await tui!.keys('Enter')
  for (let i = 0; i < 100 && !model.requests.some((r) => r.rule === 'commander:escbusy'); i++) await sleep(200)
  await sleep(1000)
  await shot('escbusy-running', journal())
  await tui!.keys('Escape')
  await sleep(300)
  await tui!.keys('Escape')
  await sleep(3000)
  await shot('escbusy-after-esc', journal())
}, 120_000)

it('explore: permission', async () => {
  const { model } = started as PluginServer
  model.addRule({ name: 'commander:perm', match: { system: 'You are the Commander', marker: 'permflow' }, respond: (r) => r.lastRole === 'tool' ? { text: 'Delegated.' } : { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 't1: run it', prompt: 'Run echo' } }] } })
  model.addRule({ name: 'worker:perm', match: { system: 'You are a Worker', marker: 'permflow' }, respond: (r) => r.lastRole === 'tool' ? { text: 'ran' } : { toolCalls: [{ name: 'bash', arguments: { command: 'echo perm-marker', description: 'echo it' } }] } })
  await tui!.submit('/new')
  await sleep(1500)
  await tui!.submit('/task "slugify permflow"')
  await sleep(300); await tui!.keys('Enter')
  for (let i = 0; i < 100 && !started.server!.events.all.some((e) => e.event.type === 'permission.asked'); i++) await sleep(200)
  await sleep(1500)
  await shot('perm-pending', journal())
  await tui!.type('/stop')
  await sleep(300)
  await shot('perm-typed', journal())
  await tui!.keys('Enter')
  await sleep(3000)
  await shot('perm-after', journal())
}, 120_000)
