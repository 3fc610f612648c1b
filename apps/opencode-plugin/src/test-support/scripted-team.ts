import { lstatSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { OpencodeServer, ScriptedModel, ScriptedResponse } from '@opencode-orchestrator/testing'

/*
 * A scripted team for end-to-end tests: the scripted model plays Commander,
 * Planner, Workers and Reviewer by reading each request's system prompt. Rules
 * are keyed by a marker that appears in the mission goal — the engine repeats
 * the goal in every delegated prompt — so several missions can run at once.
 */

export interface TeamScriptOptions {
  /** Text that appears in the mission goal; every rule matches on it. */
  marker: string
  /** Delay before each Worker's answer, to make parallel work visible. */
  workerDelayMs?: number
}

export interface TeamScript {
  /** Commander turns started so far (fresh turns, not tool-result continuations). */
  readonly commanderTurns: number
}

const delegate = (agent: string, title: string, prompt: string, todoIds?: string[]) => ({
  name: 'orchestrator_delegate',
  arguments: { agent, title, prompt, ...(todoIds ? { todoIds } : {}) },
})

/**
 * plan (t1, t2 independent, t3 after both) → workers t1 + t2 in parallel →
 * reviewer t1, t2 → worker t3 → reviewer t3 → seal.
 */
export function scriptTeam(model: ScriptedModel, { marker, workerDelayMs = 800 }: TeamScriptOptions): TeamScript {
  let commanderTurns = 0
  const commanderSteps: Array<() => ScriptedResponse> = [
    () => ({ toolCalls: [delegate('planner', 'plan the mission', `Write the plan. ${marker}`)] }),
    () => ({ toolCalls: [delegate('worker', 't1: slugify module', 'Implement t1', ['t1']), delegate('worker', 't2: readme', 'Implement t2', ['t2'])] }),
    () => ({ toolCalls: [delegate('reviewer', 'review t1, t2', 'Verify t1, t2', ['t1', 't2'])] }),
    () => ({ toolCalls: [delegate('worker', 't3: tests', 'Implement t3', ['t3'])] }),
    () => ({ toolCalls: [delegate('reviewer', 'review t3', 'Verify t3', ['t3'])] }),
  ]
  model.addRule({
    name: `commander:${marker}`,
    match: { system: 'You are the Commander', marker },
    respond: (request) => {
      if (request.lastRole === 'tool') return { text: 'Delegated; waiting for the results.' }
      const step = commanderSteps[commanderTurns++]
      return step ? step() : { text: 'Every todo is verified. Mission complete.' }
    },
  })
  model.addRule({
    name: `planner:${marker}`,
    match: { system: 'You are the Planner', marker },
    respond: (request) =>
      request.lastRole === 'tool'
        ? { text: 'Plan written: t1, t2 (independent), t3 after both.' }
        : {
            toolCalls: [
              {
                name: 'orchestrator_todo_write',
                arguments: {
                  todos: [
                    { id: 't1', title: 'Add the slugify module' },
                    { id: 't2', title: 'Document slugify in the README' },
                    { id: 't3', title: 'Add tests for slugify', dependsOn: ['t1', 't2'] },
                  ],
                },
              },
            ],
          },
  })
  model.addRule({
    name: `worker:${marker}`,
    match: { system: 'You are a Worker', marker },
    respond: (request) => {
      const todo = /Implement (t\d)/.exec(request.lastUserMessage)?.[1] ?? 't?'
      return { text: `Implemented ${todo}; checked it by reading the file back.`, delays: { beforeFirstChunkMs: workerDelayMs } }
    },
  })
  model.addRule({
    name: `reviewer:${marker}`,
    match: { system: 'You are the Reviewer', marker },
    respond: (request) => {
      if (request.lastRole === 'tool') return { text: 'Verified.' }
      const ids = [...new Set(/Verify ([t\d, ]+)/.exec(request.lastUserMessage)?.[1]?.match(/t\d/g) ?? [])]
      return {
        toolCalls: ids.map((id) => ({
          name: 'orchestrator_todo_update',
          arguments: { id, status: 'done', evidence: `read the change for ${id} and ran the checks: all passed` },
        })),
      }
    },
  })
  return {
    get commanderTurns() {
      return commanderTurns
    },
  }
}

/** The journal records of a project, read from disk. */
export function readJournals(directory: string): Array<Record<string, unknown> & { id: string; state: string }> {
  const missions = join(directory, '.opencode', 'orchestrator', 'missions')
  let names: string[]
  try {
    names = readdirSync(missions)
  } catch {
    return []
  }
  // Only regular files: a test may put a directory where a journal belongs (a disk that refuses the journal), and
  // a helper reading every journal must not throw inside a scripted model rule or the diagnostics of a failing run.
  return names
    .filter((name) => name.endsWith('.json') && lstatSync(join(missions, name), { throwIfNoEntry: false })?.isFile() === true)
    .map((name) => JSON.parse(readFileSync(join(missions, name), 'utf8')) as Record<string, unknown> & { id: string; state: string })
}

/** What happened, for a failing run: model requests by rule, toasts, orchestrator log lines, journals. */
export function diagnostics(model: ScriptedModel, server: OpencodeServer): string {
  const requests = model.requests.map(
    (request) => `#${request.number} ${request.rule ?? '(no rule)'} ${request.summary?.lastRole ?? ''} ${(request.summary?.lastUserMessage ?? '').slice(0, 100).replaceAll('\n', ' ')}`,
  )
  const toasts = server.events.all.filter((recorded) => recorded.event.type === 'tui.toast.show').map((recorded) => JSON.stringify(recorded.event.properties))
  const logs = server.logs
    .text()
    .split('\n')
    .filter((line) => /mission|orchestrator|todo|task/i.test(line))
    .slice(-60)
    .map((line) => line.slice(0, 400))
  return ['requests:', ...requests, 'toasts:', ...toasts, 'logs:', ...logs, 'journals:', JSON.stringify(readJournals(server.directory), null, 1).slice(0, 6000)].join('\n')
}

/** Waits for a toast whose title starts with `title` (e.g. "Mission sealed"), with diagnostics on timeout. */
export async function waitForToast(model: ScriptedModel, server: OpencodeServer, title: string, options: { since: number; timeoutMs?: number }) {
  return server.events
    .waitFor(
      (event) => event.type === 'tui.toast.show' && String((event.properties as { title?: string }).title ?? '').startsWith(title),
      options.timeoutMs ?? 60_000,
      { since: options.since },
    )
    .catch((error: unknown) => {
      throw new Error(`${String(error)}\n${diagnostics(model, server)}`)
    })
}

/** Polls a project's journals until `predicate` holds (the journal is written just after the events that announce a change). */
export async function waitForJournal(
  directory: string,
  predicate: (records: ReturnType<typeof readJournals>) => boolean,
  timeoutMs = 10_000,
): Promise<ReturnType<typeof readJournals>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const records = readJournals(directory)
    if (predicate(records)) return records
    if (Date.now() > deadline) throw new Error(`Journal condition not met within ${timeoutMs} ms: ${JSON.stringify(records.map((record) => [record.id, record.state]))}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
