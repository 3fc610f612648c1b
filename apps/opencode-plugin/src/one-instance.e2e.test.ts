import { execFileSync } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { PLUGIN_URL } from './test-support/plugin-server'
import { readJournals, scriptTeam, waitForJournal } from './test-support/scripted-team'

/*
 * With OpenCode's snapshots on, a mission leaves `git status` clean and no snapshot warning.
 *
 * The plugin loaded twice into one server — as the CLI's plugin plus a user's
 * `"plugin": ["opencode-orchestrator"]` would load it — runs one orchestrator:
 * one mission per /task, one journal, and the second copy says it stays inactive.
 */

let model: ScriptedModel
let server: OpencodeServer
let copyRoot: string

beforeAll(async () => {
  // A second copy of the built bundle at another path: OpenCode loads both, as two plugin specs. The copy
  // sits below the package's node_modules so its imports (the host's plugin kit, the shell parser) resolve,
  // as they do for an installed plugin.
  const cacheRoot = join(fileURLToPath(PLUGIN_URL), '..', '..', 'node_modules', '.cache')
  mkdirSync(cacheRoot, { recursive: true })
  copyRoot = mkdtempSync(join(cacheRoot, 'plugin-copy-'))
  cpSync(join(fileURLToPath(PLUGIN_URL), '..'), join(copyRoot, 'dist'), { recursive: true })
  model = await startScriptedModel()
  server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    plugins: [PLUGIN_URL, pathToFileURL(join(copyRoot, 'dist', 'index.js')).href],
    expectTools: ['orchestrator_delegate'],
    // OpenCode's git-based snapshots on, as users have them: the mission folder's writes must not trip them.
    config: { snapshot: true },
  })
})

afterAll(async () => {
  await server?.dispose()
  await model?.close()
  rmSync(copyRoot, { recursive: true, force: true })
})

describe('two copies of the plugin in one server', () => {
  it('run one orchestrator: one mission for one /task, sealed, nothing left half-journaled', async () => {
    scriptTeam(model, { marker: 'one-instance', workerDelayMs: 100 })
    const linesWith = (text: string) => server.logs.text().split('\n').filter((line) => line.includes(text))
    // Both copies log through OpenCode's app.log, which may reach the server's log a moment after it is ready.
    const deadline = Date.now() + 15_000
    while ((linesWith('orchestrator plugin loading').length < 2 || linesWith('this copy stays inactive').length < 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(linesWith('orchestrator plugin loading')).toHaveLength(2)
    expect(linesWith('this copy stays inactive')).toHaveLength(1)

    const created = await server.client.session.create({ title: 'e2e: one instance' })
    const sessionID = created.data!.id
    void server.client.session.command({ sessionID, command: 'task', arguments: 'slugify (one-instance)' })
    await waitForJournal(server.directory, (records) => records.some((record) => record.state === 'sealed'), 120_000)
    // Let a second engine, had there been one, write its journal too.
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    const journals = readJournals(server.directory)
    expect(journals.map((record) => record.state)).toEqual(['sealed'])
    expect(server.logs.text().split('\n').filter((line) => line.includes('message="mission started"'))).toHaveLength(1)

    // The mission folder ignores itself: git sees nothing of it, and OpenCode's snapshots never try to add its temp files.
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: server.directory, encoding: 'utf8' })
    expect(status.split('\n').filter((line) => line.includes('.opencode/orchestrator'))).toEqual([])
    expect(server.logs.text().split('\n').filter((line) => /snapshot/i.test(line) && /fail|error|warn/i.test(line))).toEqual([])
  })
})
