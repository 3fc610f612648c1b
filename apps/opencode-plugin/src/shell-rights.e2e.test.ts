import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'
import { delegateCall, requestsOf, scriptCommander, startTask, until } from './test-support/lifecycle-team'

/*
 * Issue 18 #3 (second half): the Reviewer ("must not change the code it judges")
 * and the Commander ("never edits code") wrote files through orchestrator_bg_run.
 * Their shells are read-only (SHELL_RIGHTS in @opencode-orchestrator/agents):
 * a line that writes is refused — through OpenCode's own bash and through
 * orchestrator_bg_run alike — even where the user's permissions allow every
 * command. Reads and checks still run; a Worker's writes still run.
 */

let model: ScriptedModel
let server: OpencodeServer
const README = '# project\n'

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ expectTools: ['orchestrator_bg_run'] }))
})

afterAll(() => stopPluginServer({ model, server }))

const bash = (command: string) => ({ name: 'bash', arguments: { command, description: command } })
const background = (command: string) => ({ name: 'orchestrator_bg_run', arguments: { command } })

describe('read-only shells on a real OpenCode server (user permissions: bash allow)', () => {
  it('refuses writing lines from the Commander and the Reviewer through bash and orchestrator_bg_run; reads run; a Worker writes', async () => {
    const marker = 'shell-rights'
    const { writeFileSync } = await import('node:fs')
    writeFileSync(join(server.directory, 'README.md'), README)
    scriptCommander(model, {
      marker,
      turn: (kind) =>
        kind === 'task'
          ? {
              toolCalls: [
                bash('touch commander-bash.txt'),
                background('echo x > commander-bg.txt'),
                background('git status'),
                delegateCall('reviewer', 'review', 'Verify the README'),
                delegateCall('worker', 'write', 'Write the file'),
              ],
            }
          : { text: 'Noted.' },
    })
    model.addRule({
      name: `reviewer:${marker}`,
      match: { system: 'You are the Reviewer', marker },
      respond: (request) =>
        request.lastRole === 'tool'
          ? { text: 'VERDICTS\n- none' }
          : { toolCalls: [bash('rm -f README.md'), background('sed -i s/project/changed/ README.md'), bash('cat README.md'), bash('sh -c "echo y > reviewer.txt"')] },
    })
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) => (request.lastRole === 'tool' ? { text: 'RESULT: wrote it' } : { toolCalls: [bash('touch worker-bash.txt')] }),
    })
    const permissionAsked = () => server.events.all.filter((recorded) => recorded.event.type === 'permission.asked').length
    const rootSessionId = await startTask(server, `${marker}: try to write`)
    const context = { model, server }
    const answered = (rule: string) => requestsOf(model, rule).find((request) => request.summary?.lastRole === 'tool')
    await until(context, () => answered(`commander:${marker}`) !== undefined && answered(`reviewer:${marker}`) !== undefined && answered(`worker:${marker}`) !== undefined, 90_000, 'every role got its tool results')

    const results = (rule: string) => answered(rule)!.summary!.toolResults.map((result) => result.content)
    const commander = results(`commander:${marker}`)
    expect(commander[0]).toContain('Refused: the Commander never edits code; Workers do, and this command line writes (`touch` changes files)')
    expect(commander[1]).toContain('Refused: the Commander never edits code; Workers do, and this command line writes (it redirects output into a file)')
    expect(commander[2]).toMatch(/^Started bg_/)
    const reviewer = results(`reviewer:${marker}`)
    expect(reviewer[0]).toContain('Refused: the Reviewer must not change the code it judges, and this command line writes (`rm` changes files)')
    expect(reviewer[1]).toContain('Refused: the Reviewer must not change the code it judges, and this command line writes (`sed -i` edits files in place)')
    expect(reviewer[2]).toContain('# project')
    expect(reviewer[3]).toContain('`sh -c` runs inline code whose writes cannot be checked')
    expect(results(`worker:${marker}`)[0]).not.toContain('Refused')

    expect(existsSync(join(server.directory, 'commander-bash.txt'))).toBe(false)
    expect(existsSync(join(server.directory, 'commander-bg.txt'))).toBe(false)
    expect(existsSync(join(server.directory, 'reviewer.txt'))).toBe(false)
    expect(readFileSync(join(server.directory, 'README.md'), 'utf8')).toBe(README)
    expect(existsSync(join(server.directory, 'worker-bash.txt'))).toBe(true)
    // Refused before OpenCode was asked: the user's permissions (allow) were never the last word.
    expect(permissionAsked()).toBe(0)
    await server.client.session.command({ sessionID: rootSessionId, command: 'stop', arguments: '' })
  }, 120_000)
})
