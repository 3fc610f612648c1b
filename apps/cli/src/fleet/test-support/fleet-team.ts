import { join } from 'node:path'
import type { ChatRequestSummary, ScriptedModelRequest, ScriptedReply, ScriptedResponse, ScriptedRule } from '@opencode-orchestrator/testing'

/*
 * A minimal scripted team for fleet tests: every answer is derived from the
 * request alone (no counters), because many missions in many OpenCode servers
 * talk to one scripted model at once. Commander → Planner (one todo) → one
 * Worker writes FLEET-<n>.md with OpenCode's own `write` tool → the Reviewer
 * records evidence → seal. A goal with "slow" makes the Worker's write wait.
 */

/** The mission text for mission `n`; `slow` makes its Worker step take `slowMs`. */
export function fleetGoal(n: number, options: { slow?: boolean } = {}): string {
  return `Fleet mission ${n}${options.slow ? ' slow' : ''}: write FLEET-${n}.md`
}

const LABEL = /Fleet mission (\d+)( slow)?/

/** Which mission a request belongs to (every agent's conversation carries the label). */
export function missionOf(request: ScriptedModelRequest | ChatRequestSummary): number | undefined {
  const summary: ChatRequestSummary | undefined = 'receivedAt' in request ? request.summary : request
  if (summary === undefined) return undefined
  const match = LABEL.exec(JSON.stringify(summary.body['messages'] ?? []))
  return match ? Number(match[1]) : undefined
}

/** The OpenCode instance directory the request came from (its system prompt says so). */
export function directoryOf(request: ScriptedModelRequest): string | undefined {
  return /Working directory: (\S+)/.exec(request.summary?.system ?? '')?.[1]
}

function label(request: ChatRequestSummary): { n: number; slow: boolean } | undefined {
  const match = LABEL.exec(JSON.stringify(request.body['messages'] ?? []))
  return match ? { n: Number(match[1]), slow: match[2] !== undefined } : undefined
}

const delegate = (agent: string, title: string, prompt: string, todoIds: string[]) => ({ name: 'orchestrator_delegate', arguments: { agent, title, prompt, todoIds } })

export function createFleetTeamRules(options: { stepDelayMs?: number; slowMs?: number; childDelayMs?: number } = {}): ScriptedRule[] {
  const step = options.stepDelayMs ?? 50
  // How long the Planner's, Worker's and Reviewer's first answer takes: long enough and parallel missions' children overlap.
  const child = options.childDelayMs ?? step
  const slowMs = options.slowMs ?? 6_000
  const reply = (response: Omit<ScriptedReply, 'usage'>, delayMs = step): ScriptedResponse => ({
    ...response,
    usage: { promptTokens: 100, completionTokens: 20 },
    ...(delayMs > 0 ? { delays: { beforeFirstChunkMs: delayMs } } : {}),
  })
  return [
    {
      name: 'fleet:commander',
      match: { system: 'You are the Commander' },
      respond: (request) => {
        if (request.lastRole === 'tool') return reply({ text: 'Delegated; I continue when the results arrive.' }, 0)
        const mission = label(request)
        const name = mission === undefined ? 'Fleet mission ?' : `Fleet mission ${mission.n}${mission.slow ? ' slow' : ''}`
        const file = `FLEET-${mission?.n ?? 0}.md`
        const delegated = request.previousToolCalls.filter((call) => call.name === 'orchestrator_delegate').length
        if (delegated === 0) return reply({ toolCalls: [delegate('planner', `${name}: plan`, `${name}: plan one todo t1: write ${file}.`, [])] })
        if (delegated === 1) return reply({ toolCalls: [delegate('worker', `${name}: t1`, `${name}: implement t1, write ${file}.`, ['t1'])] })
        if (delegated === 2) return reply({ toolCalls: [delegate('reviewer', `${name}: review t1`, `${name}: verify t1 (${file}) and record evidence.`, ['t1'])] })
        return reply({ text: 'Every todo is verified by the Reviewer. Mission complete.' })
      },
    },
    {
      name: 'fleet:planner',
      match: { system: 'You are the Planner' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? reply({ text: 'Plan written: t1.' }, 0)
          : reply({ toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos: [{ id: 't1', title: `Write FLEET-${label(request)?.n ?? 0}.md` }] } }] }, child),
    },
    {
      name: 'fleet:worker',
      match: { system: 'You are a Worker' },
      respond: (request) => {
        if (request.lastRole === 'tool') return reply({ text: 't1 done: file written.' }, 0)
        const mission = label(request)
        const directory = /Working directory: (\S+)/.exec(request.system)?.[1] ?? '.'
        const n = mission?.n ?? 0
        return reply({ toolCalls: [{ name: 'write', arguments: { filePath: join(directory, `FLEET-${n}.md`), content: `# Fleet mission ${n}\n\nWritten by the scripted Worker.\n` } }] }, mission?.slow ? slowMs : child)
      },
    },
    {
      name: 'fleet:reviewer',
      match: { system: 'You are the Reviewer' },
      respond: (request) =>
        request.lastRole === 'tool'
          ? reply({ text: 'Verified t1.' }, 0)
          : reply({ toolCalls: [{ name: 'orchestrator_todo_update', arguments: { id: 't1', status: 'done', evidence: `read FLEET-${label(request)?.n ?? 0}.md: it has the mission heading` } }] }, child),
    },
  ]
}

/** An interval of time, epoch ms. */
export interface Span {
  start: number
  end: number
}

/** The time each request was in flight. */
export const requestSpans = (requests: readonly ScriptedModelRequest[]): Span[] => requests.map((request) => ({ start: request.receivedAt, end: request.endedAt ?? Number.POSITIVE_INFINITY }))

/**
 * The time each delegated task (one Planner, Worker or Reviewer session of one
 * mission attempt) talked to the model: first request in to last response out.
 * A task holds its scheduler slot (and fleet lease) for longer than this.
 */
export function childTaskSpans(requests: readonly ScriptedModelRequest[]): Span[] {
  const byTask = new Map<string, ScriptedModelRequest[]>()
  for (const request of requests) {
    if (request.rule === undefined || request.rule === 'fleet:commander') continue
    const key = `${directoryOf(request) ?? '?'} ${request.rule} ${missionOf(request) ?? '?'}`
    byTask.set(key, [...(byTask.get(key) ?? []), request])
  }
  return [...byTask.values()].map((items) => ({
    start: Math.min(...items.map((item) => item.receivedAt)),
    end: Math.max(...items.map((item) => item.endedAt ?? Number.POSITIVE_INFINITY)),
  }))
}

/** Highest number of spans that overlap at one instant. */
export function peakConcurrency(spans: readonly Span[]): number {
  const points: Array<[number, number]> = []
  for (const span of spans) {
    points.push([span.start, 1])
    points.push([span.end, -1])
  }
  // Ends before starts at the same instant: a slot freed and reused in one millisecond is not two at once.
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let running = 0
  let peak = 0
  for (const [, delta] of points) {
    running += delta
    peak = Math.max(peak, running)
  }
  return peak
}
