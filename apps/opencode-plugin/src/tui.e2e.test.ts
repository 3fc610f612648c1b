import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeTui, type OpencodeTui, type ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer, type PluginServer } from './test-support/plugin-server'
import { diagnostics, readJournals, scriptTeam } from './test-support/scripted-team'

/*
 * OpenCode's real terminal UI (`opencode attach` in tmux) on a real server with the built plugin and
 * the scripted model. What the screen shows is asserted, plus the model's request log and the journal.
 * One server and one TUI for the whole file (two cores): each flow runs in its own session.
 */

let started: Partial<PluginServer> = {}
let tui: OpencodeTui | undefined
let model: ScriptedModel

beforeAll(async () => {
  // Every shell command asks, so the permission dialog can be driven from the TUI.
  started = await startPluginServer({ config: { permission: { bash: 'ask' } }, expectTools: ['orchestrator_delegate', 'orchestrator_bg_run'] })
  model = started.model!
  // Sessions the TUI creates for /task get a generated title from the small model.
  model.addRule({ name: 'title', match: { system: 'You are a title generator' }, respond: { text: 'A session' } })
  tui = await startOpencodeTui({ server: started.server!, rows: 60 })
})

afterAll(async () => {
  await tui?.dispose()
  await stopPluginServer(started)
})

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && tui && started.server && started.model) {
    console.error(`--- last screen ---\n${await tui.screen()}\n--- diagnostics ---\n${diagnostics(started.model, started.server)}`)
  }
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** OpenCode interrupts on the second Esc; two ESC bytes at once would read as Alt+Esc, so a person's pause. */
async function pressEscTwice(options: { confirmHint?: boolean } = {}) {
  await tui!.keys('Escape')
  // The root view says "esc again to interrupt"; a child view has no prompt and no hint.
  if (options.confirmHint === false) await sleep(400)
  else await tui!.waitFor('esc again to interrupt', { timeoutMs: 3_000 })
  await tui!.keys('Escape')
}

/** Polls until `condition` holds; returns the time it first held. */
async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms\n${await tui?.screen()}\n${diagnostics(model, started.server!)}`)
    await sleep(10)
  }
  return Date.now()
}

const missionOf = (goal: string) => readJournals(started.server!.directory).find((record) => record.goal === goal) as
  | (ReturnType<typeof readJournals>[number] & { rootSessionId: string; sessions: Array<{ sessionId: string }>; end?: { reason?: string } })
  | undefined

/** Starts a fresh session in the TUI and types `/task "<goal>"` there. */
async function startMissionInTui(goal: string): Promise<void> {
  await tui!.submit('/new')
  await tui!.waitFor('Ask anything')
  await tui!.submit(`/task "${goal}"`)
  await until(() => missionOf(goal) !== undefined, 20_000, `mission "${goal}" started`)
  // A fresh server's first model call takes ≈13 s on this machine (OpenCode prepares the session).
  await until(() => model.requests.some((request) => request.summary?.lastUserMessage.includes(goal) && request.rule !== 'title'), 60_000, `first Commander request for "${goal}"`)
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Sessions of the mission that OpenCode still reports busy (or retrying). */
async function busySessions(goal: string): Promise<string[]> {
  const mission = missionOf(goal)
  const ids = new Set([mission?.rootSessionId, ...(mission?.sessions ?? []).map((session) => session.sessionId)])
  const status = (await started.server!.client.session.status()).data ?? {}
  return Object.keys(status).filter((id) => ids.has(id))
}

/** When OpenCode announced each of `sessionIds` idle after `since` (from its event stream), or undefined while one is not. */
function lastIdleAt(sessionIds: readonly string[], since: number): number | undefined {
  let latest = since
  for (const sessionId of sessionIds) {
    const idle = started.server!.events.all.find(
      (recorded) =>
        recorded.receivedAt >= since &&
        recorded.event.type === 'session.status' &&
        (recorded.event.properties as { sessionID?: string; status?: { type?: string } }).sessionID === sessionId &&
        (recorded.event.properties as { status?: { type?: string } }).status?.type === 'idle',
    )
    if (!idle) return undefined
    latest = Math.max(latest, idle.receivedAt)
  }
  return latest
}

/** Measures how long after `escAt` the mission is stopped, every session idle, and (optionally) a process gone. */
async function measureStop(goal: string, escAt: number, pid?: number) {
  const stoppedAt = await until(() => missionOf(goal)?.state === 'stopped', 10_000, 'journal says stopped')
  // The idle events are stamped as they arrive; polling session.status over HTTP would add its own latency.
  // Every session of these missions is busy when Esc is pressed (the Commander waits, the Workers work).
  const mission = missionOf(goal)!
  const sessions = [mission.rootSessionId, ...mission.sessions.map((session) => session.sessionId)]
  await until(async () => lastIdleAt(sessions, escAt) !== undefined && (await busySessions(goal)).length === 0, 10_000, 'every mission session idle')
  const idleAt = lastIdleAt(sessions, escAt)!
  const deadAt = pid === undefined ? escAt : await until(() => !isAlive(pid), 10_000, 'background process group dead')
  const requests = model.requests.length
  return { stoppedMs: stoppedAt - escAt, idleMs: idleAt - escAt, deadMs: deadAt - escAt, requests }
}

describe('the mission in the TUI', () => {
  it('seals with a readable transcript, in a Build user’s Tab cycle without the Commander, and leaves git clean', async () => {
    const goal = 'slugify module tui-seal'
    scriptTeam(model, { marker: 'tui-seal', workerDelayMs: 200 })
    model.addRule({ name: 'plain:tui-seal', match: { marker: 'plain question after the seal' }, respond: { text: 'A plain answer.' } })
    await tui!.waitFor('Build')
    await startMissionInTui(goal)
    // The Commander waits inside its delegation: the root is visibly busy while the team works.
    await tui!.waitFor('esc interrupt')
    await until(() => missionOf(goal)?.state === 'sealed', 90_000, 'mission sealed')
    const screen = await tui!.waitFor('Mission sealed')
    console.info(`[tui] sealed screen:\n${screen}`)

    // Only the model needs the mission-step blocks: marked synthetic, so the TUI does not show them.
    expect(screen).not.toContain('<mission-step>')
    expect(screen).not.toContain('budgets left')
    const messages = (await started.server!.client.session.messages({ sessionID: missionOf(goal)!.rootSessionId })).data ?? []
    const stepParts = messages.flatMap((message) => message.parts).filter((part) => part.type === 'text' && part.text.includes('<mission-step>'))
    expect(stepParts.length).toBeGreaterThan(0)
    expect(stepParts.every((part) => part.type === 'text' && part.synthetic === true)).toBe(true)
    // The model still got them.
    expect(model.requests.some((request) => request.rule === 'commander:tui-seal' && JSON.stringify(request.summary).includes('<mission-step>'))).toBe(true)

    // The next plain message goes to the agent the user had before /task: Build, not the Commander.
    expect(screen).toMatch(/Build · Fake model/)
    const before = model.requests.length
    await tui!.submit('plain question after the seal')
    await tui!.waitFor('A plain answer.')
    const plain = model.requests.slice(before).find((request) => request.rule === 'plain:tui-seal')
    expect(plain).toBeDefined()
    expect(JSON.stringify(plain!.summary)).not.toContain('You are the Commander')
    expect(await tui!.waitFor(/▣\s+Build · Fake model/)).not.toMatch(/▣\s+Commander · Fake model\s*$/m)

    // Tab cycles the user's agents only.
    const seen = new Set<string>()
    for (let press = 0; press < 4; press++) {
      await tui!.keys('Tab')
      await sleep(200)
      const footer = (await tui!.screen()).match(/┃\s+(\w+) · Fake model Scripted model/)?.[1]
      if (footer) seen.add(footer)
    }
    expect([...seen].sort()).toEqual(['Build', 'Plan'])
    while (!/┃\s+Build · Fake model Scripted model/.test(await tui!.screen())) await tui!.keys('Tab')

    // The mission folder ignores itself: nothing of the orchestrator in git status.
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: started.server!.directory, encoding: 'utf8' })
    expect(status.split('\n').filter((line) => line.includes('orchestrator'))).toEqual([])
  })

  it('Esc stops it while the Commander waits on Workers and a background command: all idle, group dead, no model call', async () => {
    const goal = 'esc while waiting tui-esc'
    model.addRule({
      name: 'commander:tui-esc',
      match: { system: 'You are the Commander', marker: 'tui-esc' },
      respond: (request) => {
        if (request.toolResults.some((result) => result.content.includes('Started bg_'))) {
          return { toolCalls: [1, 2].map((index) => ({ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: `w${index}: long work`, prompt: `Work ${index}` } })) }
        }
        if (request.lastRole === 'tool') return { text: 'done' }
        return { toolCalls: [{ name: 'orchestrator_bg_run', arguments: { command: 'sleep 300 & sleep 300' } }] }
      },
    })
    model.addRule({ name: 'worker:tui-esc', match: { system: 'You are a Worker', marker: 'tui-esc' }, respond: { text: 'never', delays: { beforeFirstChunkMs: 120_000 } } })
    await startMissionInTui(goal)
    // The background command asks first: allow it from the TUI.
    await tui!.waitFor('Permission required')
    await tui!.keys('Enter')
    await until(() => model.requests.filter((request) => request.rule === 'worker:tui-esc').length === 2, 30_000, 'two workers running')
    const pid = Number(/Started bg_\S+ \(pid (\d+)\)/.exec(JSON.stringify(model.requests.map((request) => request.summary?.toolResults)))?.[1])
    expect(isAlive(pid)).toBe(true)
    const running = await tui!.waitFor('esc interrupt')
    console.info(`[tui] before Esc:\n${running}`)

    await pressEscTwice()
    const escAt = Date.now()
    const measured = await measureStop(goal, escAt, pid)
    console.info(`[tui] second Esc sent at ${new Date(escAt).toISOString()}`)
    console.info(`[tui] Esc while waiting: stopped +${measured.stoppedMs} ms, all idle +${measured.idleMs} ms, group dead +${measured.deadMs} ms`)
    expect(measured.stoppedMs).toBeLessThanOrEqual(1_000)
    expect(measured.idleMs).toBeLessThanOrEqual(1_000)
    expect(measured.deadMs).toBeLessThanOrEqual(1_000)
    const after = await tui!.waitFor('Mission stopped')
    console.info(`[tui] after Esc:\n${after}`)
    expect(missionOf(goal)?.end?.reason).toBe('the root session was interrupted by the user')
    await sleep(2_000)
    expect(model.requests.length).toBe(measured.requests)
  })

  it('from a Worker’s child view (where the TUI’s Esc sends nothing), Up then Esc stops the whole mission', async () => {
    const goal = 'esc in a child tui-child'
    model.addRule({
      name: 'commander:tui-child',
      match: { system: 'You are the Commander', marker: 'tui-child' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: 'done' }
          : { toolCalls: [1, 2].map((index) => ({ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: `w${index}: long work`, prompt: `Work ${index}` } })) },
    })
    model.addRule({ name: 'worker:tui-child', match: { system: 'You are a Worker', marker: 'tui-child' }, respond: { text: 'never', delays: { beforeFirstChunkMs: 120_000 } } })
    await startMissionInTui(goal)
    await until(() => model.requests.filter((request) => request.rule === 'worker:tui-child').length === 2, 30_000, 'two workers running')
    await openFirstChild()
    const child = await tui!.waitFor(/Work \d/)
    console.info(`[tui] child view:\n${child}`)
    // Child sessions are titled "<todo> (@worker subagent)": the TUI names the role in the footer.
    expect(child).toMatch(/Worker \(\d of 2\)/)

    // OpenCode 1.18.33 binds Esc to the prompt's interrupt; a child view has no prompt, so nothing is sent.
    await pressEscTwice({ confirmHint: false })
    await sleep(1_500)
    expect(missionOf(goal)?.state).toBe('waiting')
    expect(await busySessions(goal)).toHaveLength(3)

    // The parent is one key away (Up), and there the Commander is busy waiting on its Workers: Esc reaches it.
    await tui!.keys('Up')
    await tui!.waitFor('esc interrupt')
    await pressEscTwice()
    const escAt = Date.now()
    const measured = await measureStop(goal, escAt)
    console.info(`[tui] Up + Esc from a child view: stopped +${measured.stoppedMs} ms, all idle +${measured.idleMs} ms`)
    expect(measured.stoppedMs).toBeLessThanOrEqual(1_000)
    expect(measured.idleMs).toBeLessThanOrEqual(1_000)
    expect(missionOf(goal)?.end?.reason).toBe('the root session was interrupted by the user')
    await sleep(2_000)
    expect(model.requests.length).toBe(measured.requests)
  })

  /** OpenCode's key for "go to the first child session": <leader> (ctrl+x), then Down. */
  async function openFirstChild() {
    for (let attempt = 1; ; attempt++) {
      await tui!.keys('C-x')
      await sleep(200)
      await tui!.keys('Down')
      try {
        await tui!.waitFor(/\w+ \(\d of \d\)\s+Parent up/, { timeoutMs: 3_000 })
        return
      } catch (error) {
        if (attempt === 3) throw error
      }
    }
  }

  it('with a permission prompt open, rejecting it with /stop as the feedback stops the mission', async () => {
    const goal = 'stop at a permission tui-perm'
    model.addRule({
      name: 'commander:tui-perm',
      match: { system: 'You are the Commander', marker: 'tui-perm' },
      respond: (request) =>
        request.lastRole === 'tool' ? { text: 'done' } : { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 't1: run it', prompt: 'Run the check' } }] },
    })
    model.addRule({
      name: 'worker:tui-perm',
      match: { system: 'You are a Worker', marker: 'tui-perm' },
      respond: (request) => (request.lastRole === 'tool' ? { text: 'ran' } : { toolCalls: [{ name: 'bash', arguments: { command: 'echo perm-marker', description: 'print a marker' } }] }),
    })
    await startMissionInTui(goal)
    const prompt = await tui!.waitFor('perm-marker')
    console.info(`[tui] permission pending:\n${prompt}`)
    expect(prompt).toContain('Permission required')
    // Esc means Reject; for a child session's request the TUI then asks what to do differently.
    await tui!.keys('Escape')
    await tui!.waitFor('Tell OpenCode what to do differently')
    await tui!.type('/stop')
    await tui!.keys('Enter')
    await until(() => missionOf(goal)?.state === 'stopped', 10_000, 'stopped by the rejection')
    expect(missionOf(goal)?.end?.reason).toBe('stopped by the user (/stop while a permission prompt was open)')
    const after = await tui!.waitFor('Mission stopped')
    console.info(`[tui] after the /stop rejection:\n${after}`)
    const requests = model.requests.length
    await sleep(2_000)
    expect(model.requests.filter((request) => request.rule?.endsWith('tui-perm')).length).toBeLessThanOrEqual(requests)
    expect(model.requests.length).toBe(requests)
  })
})
