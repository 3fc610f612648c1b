import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startOpencodeTui, type OpencodeTui, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, journalOf, requestsOf, scriptCommander, scriptPlanner, scriptReviewer, until } from './test-support/lifecycle-team'
import { diagnostics } from './test-support/scripted-team'

/*
 * A restart as a TUI user meets it: a mission runs in OpenCode's terminal UI, OpenCode is killed
 * (SIGKILL, no shutdown hook) while a Worker is mid-call, and the user opens the session again.
 * On screen: the resume line in the root session; then the resumed Worker asks for a shell command
 * and its permission prompt is answered from the root view, and the mission seals.
 */

const RESUME_HEAD = '[orchestrator] Your work was interrupted'
const MARKER = 'tui-resume'

let model: ScriptedModel
let server: OpencodeServer
let tui: OpencodeTui | undefined

beforeAll(async () => {
  // Every shell command asks, so the resumed Worker's command needs the user's answer.
  ;({ model, server } = await startPluginServer({ config: { permission: { bash: 'ask' } }, pluginOptions: { continuation: { cooldownMs: 200 } } }))
  model.addRule({ name: 'title', match: { system: 'You are a title generator' }, respond: { text: 'A session' } })
})

afterAll(async () => {
  await tui?.dispose()
  await stopPluginServer({ model, server })
})

afterEach(async (context) => {
  if (context.task.result?.state === 'fail' && tui) console.error(`--- last screen ---\n${await tui.screen()}\n--- diagnostics ---\n${diagnostics(model, server)}`)
})

const show = (title: string, screen: string) => console.info(`[tui-resume] ${title}:\n${screen}`)

describe('resume after a restart in the TUI', () => {
  it('shows the resume line in the root session, and the resumed Worker’s permission prompt is answered from the root view', async () => {
    scriptPlanner(model, { marker: MARKER, todos: [{ id: 't1', title: `Checker (${MARKER})` }] })
    scriptReviewer(model, { marker: MARKER })
    // Before the kill the Worker's call never ends. Resumed, it runs a command (which asks), then answers. Its
    // resumed call is answered once the user has the TUI open again: OpenCode 1.18.33's TUI shows a permission
    // asked while it is open, not one asked before it started (docs/decisions/049).
    let tuiOpen: () => void = () => undefined
    const opened = new Promise<void>((resolve) => (tuiOpen = resolve))
    model.addRule({
      name: `worker:${MARKER}`,
      match: { system: 'You are a Worker', marker: MARKER },
      respond: async (request) => {
        if (request.lastRole === 'tool') return { text: 'Ran the check after the restart.' }
        if (!request.lastUserMessage.startsWith(RESUME_HEAD)) return { hang: true }
        await opened
        return { toolCalls: [{ name: 'bash', arguments: { command: 'echo resume-perm-marker', description: 'print a marker' } }] }
      },
    })
    scriptCommander(model, {
      marker: MARKER,
      turn: (kind, count) => {
        if (kind === 'task') return { toolCalls: [delegateCall('planner', 'plan', `Write the plan. ${MARKER}`)] }
        if (kind === 'wake' && count === 0) return { toolCalls: [delegateCall('worker', 't1: checker', 'Implement t1', ['t1'])] }
        if (kind === 'wake' && count === 1) return { toolCalls: [delegateCall('reviewer', 'review t1', 'Verify t1', ['t1'])] }
        return { text: 'Every todo is verified.' }
      },
    })

    tui = await startOpencodeTui({ server, rows: 60 })
    await tui.waitFor('Ask anything', { timeoutMs: 60_000 })
    await tui.submit(`/task "a checker ${MARKER}"`)
    const context = { model, server }
    // The Worker is mid-call and the journal knows it.
    await until(
      context,
      () => requestsOf(model, `worker:${MARKER}`).some((request) => request.endedAt === undefined),
      90_000,
      'the Worker mid-call',
    )
    const sessions = (await server.client.session.list()).data ?? []
    const root = sessions.find((session) => !session.parentID && journalOf(server.directory, session.id) !== undefined)
    expect(root).toBeDefined()
    const rootSessionId = root!.id
    await until(context, () => journalOf(server.directory, rootSessionId)?.tasks.some((task) => task.agent === 'worker' && task.status === 'running') === true, 10_000, 'the Worker running in the journal')
    show('before the kill', await tui.screen())

    await tui.dispose()
    tui = undefined
    await server.restart({ signal: 'SIGKILL' })

    // The user opens OpenCode again on the session.
    tui = await startOpencodeTui({ server, sessionId: rootSessionId, rows: 60 })
    const resumed = await tui.waitFor('Mission resumed after a restart', { timeoutMs: 60_000 })
    show('after the restart', resumed)
    expect(resumed).toContain('[orchestrator] Mission resumed after a restart: 1 task carries on.')
    // The notice went out too (before this TUI was open, so it is the line that stays on screen).
    expect(server.events.all.some((recorded) => recorded.event.type === 'tui.toast.show' && (recorded.event.properties as { title?: string }).title === 'Mission resumed')).toBe(true)
    tuiOpen()

    // The resumed Worker's command asks; the prompt is in the root view, and Enter allows it.
    const asked = await tui.waitFor('resume-perm-marker', { timeoutMs: 60_000 })
    show('the resumed Worker asks', asked)
    expect(asked).toContain('Permission required')
    await tui.keys('Enter')

    await until(context, () => journalOf(server.directory, rootSessionId)?.state === 'sealed', 90_000, 'mission sealed')
    const sealed = await tui.waitFor('Mission sealed', { timeoutMs: 30_000 })
    show('sealed', sealed)
    const record = journalOf(server.directory, rootSessionId)!
    expect(record.tasks.map((task) => `${task.agent}:${task.status}`)).toEqual(['planner:completed', 'worker:completed', 'reviewer:completed'])
    const worker = record.tasks.find((task) => task.agent === 'worker')!
    expect(worker.result).toContain('Ran the check after the restart.')
  })
})
