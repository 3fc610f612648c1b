import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { contentText, startOpencodeServer, startScriptedModel, type OpencodeServer, type ScriptedModel } from '@opencode-orchestrator/testing'
import { diagnostics } from '../test-support/scripted-team'
import { SHELL_CORPUS, SHELL_PARITY_PERMISSION, UNPARSEABLE_LINES, type ShellCorpusLine } from './shell-permission-corpus'

/*
 * Issue 18 #2: a background command asks exactly what OpenCode's own bash tool
 * asks for the same line, agent and permission config. A scripted Worker calls
 * OpenCode's `bash` and then `orchestrator_bg_run` with every line of the corpus;
 * every question is answered "reject" (so nothing that asks ever runs), and the
 * outcome of each call — ran / asked (with the exact permissions and patterns
 * asked) / denied — must be the same for both tools.
 */

const pluginUrl = new URL('../../dist/index.js', import.meta.url).href
const marker = 'shell-parity'

let model: ScriptedModel
let server: OpencodeServer

type Outcome = 'allow' | 'ask' | 'deny' | 'refused' | 'other'
interface CallRecord {
  outcome: Outcome
  asked: string[]
  output: string
}

const corpusCalls = SHELL_CORPUS.flatMap((entry, index) => [
  { id: `bash_${index}`, name: 'bash', arguments: { command: entry.line, description: `corpus line ${index}`, ...(entry.cwd ? { workdir: entry.cwd } : {}) } },
  { id: `bgrun_${index}`, name: 'orchestrator_bg_run', arguments: { command: entry.line, ...(entry.cwd ? { cwd: entry.cwd } : {}) } },
])
const unparseableCalls = UNPARSEABLE_LINES.map((line, index) => ({ id: `bad_${index}`, name: 'orchestrator_bg_run', arguments: { command: line } }))
const calls = [...corpusCalls, ...unparseableCalls]

beforeAll(async () => {
  model = await startScriptedModel()
  server = await startOpencodeServer({
    modelBaseURL: model.baseURL,
    expectTools: ['orchestrator_bg_run'],
    // The corpus takes ~140 tool calls in one Worker turn: lift the step limits for this test only.
    config: {
      permission: SHELL_PARITY_PERMISSION,
      // A rejected question must not end the Worker's turn, so every line gets its two calls.
      experimental: { continue_loop_on_deny: true },
      plugin: [[pluginUrl, { steps: { maxToolCallsPerTurn: 1000, maxToolCallsPerTask: 1000 }, background: { maxPerSession: 50 } }]],
    },
    files: { 'README.md': '# parity\n', 'src/index.ts': 'export {}\n' },
  })
}, 120_000)

afterAll(async () => {
  await server?.dispose()
  await model?.close()
})

function permissionLine(properties: { permission: string; patterns: string[]; always?: string[] }): string {
  return `${properties.permission} ${JSON.stringify([...properties.patterns].sort())} always ${JSON.stringify([...(properties.always ?? [])].sort())}`
}

describe('orchestrator_bg_run asks what OpenCode bash asks', () => {
  it(`decides like OpenCode's bash tool on all ${SHELL_CORPUS.length} corpus lines (ran / asked / denied, same questions), and refuses unparseable lines`, async () => {
    model.addRule({
      name: `commander:${marker}`,
      match: { system: 'You are the Commander', marker },
      respond: (request) =>
        request.lastRole === 'tool' || request.previousToolCalls.length > 0
          ? { text: 'The worker ran the corpus.' }
          : { toolCalls: [{ name: 'orchestrator_delegate', arguments: { agent: 'worker', title: 'shell corpus', prompt: `Run the corpus. ${marker}` } }] },
    })
    model.addRule({
      name: `worker:${marker}`,
      match: { system: 'You are a Worker', marker },
      respond: (request) => {
        const next = calls[request.previousToolCalls.length]
        return next ? { toolCalls: [next] } : { text: 'RESULT: corpus done' }
      },
    })

    // Reject every question as it appears, and remember which call asked what.
    const askedByCall = new Map<string, string[]>()
    let answering = true
    const answered = new Set<string>()
    const answer = (async () => {
      while (answering) {
        for (const recorded of server.events.all) {
          if (recorded.event.type !== 'permission.asked') continue
          const properties = recorded.event.properties as { id: string; permission: string; patterns: string[]; always?: string[]; tool?: { callID?: string } }
          if (answered.has(properties.id)) continue
          answered.add(properties.id)
          const callID = properties.tool?.callID ?? '(no call id)'
          askedByCall.set(callID, [...(askedByCall.get(callID) ?? []), permissionLine(properties)])
          await server.client.permission.reply({ requestID: properties.id, reply: 'reject' })
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    })()

    try {
      const created = await server.client.session.create({ title: 'shell parity' })
      void server.client.session.command({ sessionID: created.data!.id, command: 'task', arguments: `shell parity (${marker})` })
      await model.waitForRequest((request) => request.rule === `worker:${marker}` && (request.summary?.previousToolCalls.length ?? 0) >= calls.length, { timeoutMs: 240_000 }).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${diagnostics(model, server)}`)
      })
    } finally {
      answering = false
      await answer
    }

    const last = model.requests.filter((request) => request.rule === `worker:${marker}`).at(-1)!
    // Every tool answer of the Worker's conversation (the summary's toolResults only holds the latest ones).
    const messages = (last.summary!.body.messages ?? []) as Array<{ role?: string; tool_call_id?: string; content?: unknown }>
    const results = new Map(
      messages
        .filter((message) => message.role === 'tool' && typeof message.tool_call_id === 'string')
        .map((message) => [message.tool_call_id!, contentText(message.content)]),
    )
    const record = (id: string): CallRecord => {
      const output = results.get(id) ?? '(no result)'
      const asked = askedByCall.get(id) ?? []
      let outcome: Outcome = 'other'
      if (asked.length > 0) outcome = 'ask'
      else if (/specified a rule which prevents/.test(output)) outcome = 'deny'
      else if (/cannot parse/.test(output)) outcome = 'refused'
      else if (id.startsWith('bgrun_') ? /^Started bg_/.test(output) : !/^(Error|error)/.test(output)) outcome = 'allow'
      return { outcome, asked, output }
    }

    const rows = SHELL_CORPUS.map((entry: ShellCorpusLine, index) => ({ entry, bash: record(`bash_${index}`), background: record(`bgrun_${index}`) }))
    const mismatches = rows.filter(({ bash, background }) => bash.outcome !== background.outcome || JSON.stringify(bash.asked) !== JSON.stringify(background.asked))
    const unexpected = rows.filter(({ entry, bash }) => bash.outcome !== entry.expected)
    const describeRow = ({ entry, bash, background }: (typeof rows)[number]) =>
      `${JSON.stringify(entry.line)}${entry.cwd ? ` (cwd ${entry.cwd})` : ''}: expected ${entry.expected}; bash ${bash.outcome} ${bash.asked.join(' | ')} [${bash.output.slice(0, 160)}]; bg_run ${background.outcome} ${background.asked.join(' | ')} [${background.output.slice(0, 160)}]`
    const counts = { allow: 0, ask: 0, deny: 0 }
    for (const { bash } of rows) if (bash.outcome in counts) counts[bash.outcome as keyof typeof counts]++
    console.info(`[shell parity] ${rows.length - mismatches.length}/${rows.length} lines equal · ${counts.allow} allow / ${counts.ask} ask / ${counts.deny} deny`)

    expect(mismatches.map(describeRow)).toEqual([])
    expect(unexpected.map(describeRow)).toEqual([])
    expect(counts.allow).toBeGreaterThan(10)
    expect(counts.ask).toBeGreaterThan(10)
    expect(counts.deny).toBeGreaterThan(10)
    // Nothing denied or asked ran: the files the denied lines would create are absent.
    for (const file of ['x', 'y', 'run.sh', 'log.txt']) expect(existsSync(join(server.directory, file))).toBe(false)

    for (const [index, line] of UNPARSEABLE_LINES.entries()) {
      const bad = record(`bad_${index}`)
      expect(bad.outcome, `${line}: ${bad.output}`).toBe('refused')
      expect(bad.asked).toEqual([])
    }
  }, 300_000)
})
