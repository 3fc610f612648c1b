import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyOpencodeConfigSeed, resolveOpencodeBinary, startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { scriptCommander } from './test-support/lifecycle-team'
import { PLUGIN_URL } from './test-support/plugin-server'

/*
 * The commands in OpenCode's real terminal UI (`opencode attach` in tmux):
 * `/mission` is what autocomplete offers for "/mis" and runs ours; `/task`
 * shows the goal as the user's words and hides the protocol; a refused config
 * is on screen at the first `/task`. A small local tmux helper (the screen is
 * what is asserted); set ORCHESTRATOR_TUI_SCREENS=1 to print the captures.
 */

const tmuxAvailable = (() => {
  try {
    execFileSync('tmux', ['-V'])
    return true
  } catch {
    return false
  }
})()

function tmux(...args: string[]): string {
  return execFileSync('tmux', args, { encoding: 'utf8' })
}

interface Tui {
  screen(): string
  type(text: string): void
  key(...keys: string[]): void
  waitFor(predicate: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>
  close(): void
}

function attachTui(server: OpencodeServer, name: string, directory = server.directory): Tui {
  const binary = resolveOpencodeBinary().path
  const env = Object.entries(server.env).map(([key, value]) => `${key}=${JSON.stringify(value)}`)
  tmux('new-session', '-d', '-s', name, '-x', '160', '-y', '48', `env ${env.join(' ')} TERM=xterm-256color ${binary} attach ${server.url} --dir ${directory}`)
  const screen = () => tmux('capture-pane', '-p', '-t', name)
  return {
    screen,
    type: (text) => tmux('send-keys', '-t', name, '-l', text),
    key: (...keys) => tmux('send-keys', '-t', name, ...keys),
    async waitFor(predicate, what, timeoutMs = 30_000) {
      const started = Date.now()
      for (;;) {
        const now = screen()
        if (predicate(now)) return now
        if (Date.now() - started > timeoutMs) throw new Error(`${what}: not on screen within ${timeoutMs} ms. Screen:\n${now}`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    },
    close: () => {
      try {
        tmux('kill-session', '-t', name)
      } catch {
        // Already gone.
      }
    },
  }
}

const show = (title: string, screen: string) => {
  if (process.env['ORCHESTRATOR_TUI_SCREENS'] === '1') console.log(`----- ${title} -----\n${screen}`)
}

describe.skipIf(!tmuxAvailable)('the commands in the TUI', () => {
  let model: ScriptedModel
  let server: OpencodeServer
  const tuis: Tui[] = []
  beforeAll(async () => {
    model = await startScriptedModel()
    server = await startOpencodeServer({ modelBaseURL: model.baseURL, plugins: [PLUGIN_URL], expectTools: ['orchestrator_delegate'] })
  })
  afterAll(async () => {
    for (const tui of tuis) tui.close()
    await server?.dispose()
    await model?.close()
  })

  it('offers /mission for "/mis", runs ours, and shows the /task goal once without the protocol', async () => {
    const tui = attachTui(server, `orch-tui-${process.pid}-a`)
    tuis.push(tui)
    await tui.waitFor((screen) => /Build|Plan|Commander/.test(screen), 'the prompt')
    tui.type('/mis')
    const menu = await tui.waitFor((screen) => screen.includes('/mission'), 'the autocomplete entry')
    show('autocomplete /mis', menu)
    // Ours is the first entry offered, so Enter runs it (and not OpenCode's /status dialog).
    const entries = menu.split('\n').filter((line) => /^\s*[│┃]?\s*\/[a-z]/.test(line))
    expect(entries[0]).toContain('/mission')
    // Enter takes the entry into the input, a second Enter sends it.
    tui.key('Enter')
    await tui.waitFor((screen) => /┃\s+\/mission\s*$/m.test(screen), 'the completed command')
    tui.key('Enter')
    const answered = await tui.waitFor((screen) => screen.includes('No mission in this session'), 'the /mission notice')
    show('/mission', answered)

    scriptCommander(model, { marker: 'tui-goal', turn: () => ({ text: 'Understood, planning.' }) })
    // /mission opened a session and shows its answer in a dialog; keys typed while the dialog is open, or before
    // the TUI has switched to the new session, are lost (the failure: an empty new session). Close the dialog and
    // wait for the session view, then for the typed goal in the input, before sending it.
    tui.key('Escape')
    await tui.waitFor((screen) => !screen.includes('No mission in this session') && screen.includes('Context'), 'the session view after /mission')
    tui.type('/task Build the slugify module tui-goal')
    await tui.waitFor((screen) => screen.includes('/task Build the slugify module tui-goal'), 'the typed /task goal in the input')
    tui.key('Enter')
    const transcript = await tui.waitFor((screen) => screen.includes('Understood, planning.'), 'the Commander answer', 60_000)
    show('/task transcript', transcript)
    expect(transcript).toContain('Build the slugify module tui-goal')
    expect(transcript).not.toContain('Run the mission loop')
    tui.type('/stop')
    tui.key('Enter')
    // The mission is over before the next test counts the model's requests.
    show('/stop', await tui.waitFor((screen) => /Mission stopped/i.test(screen), 'the stop notice'))
  })

  it('shows a refused config at the first /task, and /task does not reach the model', async () => {
    const project = join(server.directory, '..', 'bad-config-project')
    execFileSync('mkdir', ['-p', join(project, '.opencode')])
    execFileSync('git', ['init', '-q'], { cwd: project })
    await copyOpencodeConfigSeed(server.seed!, join(project, '.opencode'))
    writeFileSync(join(project, '.opencode', 'orchestrator.jsonc'), '{ "background": { "maxPerSession": 0 } }')
    const tui = attachTui(server, `orch-tui-${process.pid}-b`, project)
    tuis.push(tui)
    await tui.waitFor((screen) => /Build|Plan/.test(screen), 'the prompt', 60_000)
    const requests = model.requests.length
    tui.type('/task Build the API bad-config-goal')
    await tui.waitFor((screen) => screen.includes('/task'), 'the autocomplete entry')
    tui.key('Enter')
    const screen = await tui.waitFor((text) => text.includes('background.maxPerSession'), 'the refusal', 60_000)
    show('refused config', screen)
    expect(screen).toContain('orchestrator is not running')
    // Neither a turn nor a title request carried the goal to the model.
    const withGoal = model.requests.slice(requests).filter((request) => JSON.stringify(request.summary?.body ?? {}).includes('bad-config-goal'))
    expect(withGoal).toEqual([])
  })
})
