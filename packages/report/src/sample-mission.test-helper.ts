import type { HostMessage, HostToolCall, MissionRecord, MissionSession, Task, Todo } from '@opencode-orchestrator/core'
import type { BuildMissionTimelineOptions } from './build-mission-timeline'
import type { MissionEventLogEntry } from './mission-event-log-entry'

/** Start of the sample mission: 2026-01-15 09:30:00 UTC. */
export const SAMPLE_START = Date.UTC(2026, 0, 15, 9, 30, 0)
const s = (seconds: number) => SAMPLE_START + seconds * 1000

interface ToolSpec {
  tool: string
  at: number
  took: number
  status?: HostToolCall['status']
  input?: Record<string, unknown>
  output?: string
}

interface TurnSpec {
  at: number
  took?: number
  finish?: string
  error?: HostMessage['error']
  text?: string
  tools?: ToolSpec[]
  tokens?: number
}

let messageCounter = 0

/** A user prompt followed by assistant messages shaped like OpenCode's (one per step). */
export function sessionMessages(sessionId: string, agent: string, turns: TurnSpec[]): HostMessage[] {
  const messages: HostMessage[] = []
  const first = turns[0]
  if (first) {
    messages.push({ id: `msg_${++messageCounter}`, sessionId, role: 'user', agent, createdAt: s(first.at) - 40, text: 'Do the task.', toolCalls: [] })
  }
  for (const turn of turns) {
    const tokens = turn.tokens ?? 1800
    messages.push({
      id: `msg_${++messageCounter}`,
      sessionId,
      role: 'assistant',
      agent,
      createdAt: s(turn.at),
      ...(turn.took !== undefined ? { completedAt: s(turn.at + turn.took) } : {}),
      ...(turn.finish ? { finish: turn.finish } : {}),
      ...(turn.error ? { error: turn.error } : {}),
      model: { providerId: 'anthropic', modelId: 'claude-sonnet-4' },
      tokens: { input: Math.round(tokens * 0.8), output: Math.round(tokens * 0.2), reasoning: 0, cacheRead: 0, cacheWrite: 0 },
      cost: tokens * 0.000004,
      text: turn.text ?? '',
      toolCalls: (turn.tools ?? []).map((tool, index) => ({
        callId: `call_${messageCounter}_${index}`,
        tool: tool.tool,
        status: tool.status ?? 'completed',
        input: tool.input ?? {},
        ...(tool.output !== undefined ? { output: tool.output } : {}),
        startedAt: s(tool.at),
        ...(tool.status === 'running' ? {} : { endedAt: s(tool.at + tool.took) }),
      })),
    })
  }
  return messages
}

function todo(id: string, title: string, dependsOn: string[], evidence?: string): Todo {
  return {
    id,
    title,
    status: 'done',
    dependsOn,
    assignee: { agent: 'worker' },
    ...(evidence ? { evidence: { summary: evidence, reviewerSessionId: 'ses_review', recordedAt: s(188) } } : {}),
    createdAt: s(18),
    updatedAt: s(188),
  }
}

function task(id: string, agent: string, title: string, sessionId: string, start: number, end: number, todoIds: string[], result: string): Task {
  return {
    id,
    missionId: 'mission_sample',
    agent,
    title,
    prompt: `Do ${title}`,
    todoIds,
    status: 'completed',
    priority: 0,
    parentSessionId: 'ses_root',
    sessionId,
    depth: 1,
    createdAt: s(start) - 300,
    startedAt: s(start),
    endedAt: s(end),
    result,
  }
}

/**
 * A realistic sealed mission: Commander, Planner, two Workers in parallel, a
 * third Worker after them, a Reviewer; one rate limit recovered in Worker 1,
 * two continuations, wakes and a seal.
 */
export function sampleMission(): BuildMissionTimelineOptions {
  const goal = 'Add a slugify module with tests <script>alert("x")</script> & make `pnpm test` pass'
  const sessions: MissionSession[] = [
    { sessionId: 'ses_root', agent: 'commander', depth: 0 },
    { sessionId: 'ses_plan', agent: 'planner', depth: 1, taskId: 'task_plan', parentSessionId: 'ses_root' },
    { sessionId: 'ses_w1', agent: 'worker', depth: 1, taskId: 'task_w1', parentSessionId: 'ses_root' },
    { sessionId: 'ses_w2', agent: 'worker', depth: 1, taskId: 'task_w2', parentSessionId: 'ses_root' },
    { sessionId: 'ses_w3', agent: 'worker', depth: 1, taskId: 'task_w3', parentSessionId: 'ses_root' },
    { sessionId: 'ses_review', agent: 'reviewer', depth: 1, taskId: 'task_review', parentSessionId: 'ses_root' },
  ]
  const todos: Todo[] = [
    todo('t1', 'slugify module: lower-case, ASCII-fold, collapse dashes', [], 'Read src/slugify.ts; `pnpm vitest run slugify` passes 14 tests, including unicode folding and repeated dashes.'),
    todo('t2', 'CLI flag --slug in bin/tool.ts', [], 'Ran `node bin/tool.js --slug "Hello World"` → hello-world. Help text lists the flag.'),
    todo('t3', 'Docs: README section and CHANGELOG entry', ['t1', 't2'], 'README has a "Slugs" section with two examples; CHANGELOG mentions the flag.'),
    todo('t4', 'Whole test suite green', ['t1', 't2', 't3'], `Ran \`pnpm test\`: 212 passed, 0 failed. ${'Checked the output of every package. '.repeat(12)}`),
  ]
  const tasks: Task[] = [
    task('task_plan', 'planner', 'Plan: slugify feature', 'ses_plan', 4, 19, [], 'Plan written: 4 todos (t1–t4) with dependencies.'),
    task('task_w1', 'worker', 't1: slugify module', 'ses_w1', 24, 93, ['t1'], 'Implemented src/slugify.ts and 14 tests; all pass.'),
    task('task_w2', 'worker', 't2: CLI flag --slug', 'ses_w2', 25, 78, ['t2'], 'Added the --slug flag and a test.'),
    task('task_w3', 'worker', 't3: docs', 'ses_w3', 100, 138, ['t3'], 'README and CHANGELOG updated.'),
    task('task_review', 'reviewer', 'Review t1–t4', 'ses_review', 144, 189, ['t1', 't2', 't3', 't4'], 'All four todos verified with evidence.'),
  ]
  const mission: MissionRecord = {
    version: 1,
    id: 'mission_sample',
    rootSessionId: 'ses_root',
    goal,
    state: 'sealed',
    createdAt: s(0),
    updatedAt: s(200),
    generation: 1,
    budgets: { maxIterations: 20, maxWallTimeMs: 3_600_000, maxChildSessions: 50, maxDepth: 3, maxBreadth: 20, maxTokens: 0, maxCostUsd: 0 },
    counters: { iterations: 2, idleTurnsWithoutProgress: 0, childSessions: 5, tokens: 61_400, costUsd: 0.2456 },
    progressKey: 'done:4',
    todos,
    tasks,
    sessions,
    pendingWakes: {},
    end: { at: s(200), reason: 'every todo verified by the Reviewer' },
  }
  const rateLimit = { name: 'APIError', data: { message: 'Rate limit exceeded: 429 <too many requests>', statusCode: 429, isRetryable: true } }
  const messages: Record<string, HostMessage[]> = {
    ses_root: sessionMessages('ses_root', 'commander', [
      { at: 0.5, took: 3, finish: 'tool-calls', tools: [{ tool: 'orchestrator_delegate', at: 2.8, took: 0.4, input: { agent: 'planner', title: 'Plan: slugify feature' } }] },
      { at: 20, took: 4, finish: 'tool-calls', tools: [
        { tool: 'orchestrator_delegate', at: 23, took: 0.3, input: { agent: 'worker', title: 't1: slugify module' } },
        { tool: 'orchestrator_delegate', at: 23.2, took: 0.3, input: { agent: 'worker', title: 't2: CLI flag --slug' } },
      ] },
      { at: 24.5, took: 1.5, finish: 'stop', text: 'Two workers are on t1 and t2.' },
      { at: 96, took: 4, finish: 'tool-calls', tools: [{ tool: 'orchestrator_delegate', at: 99, took: 0.5, input: { agent: 'worker', title: 't3: docs' } }] },
      { at: 142, took: 2.5, finish: 'tool-calls', tools: [{ tool: 'orchestrator_delegate', at: 143.5, took: 0.4, input: { agent: 'reviewer' } }] },
      { at: 191, took: 8, finish: 'stop', text: 'All todos verified. Sealing.' },
    ]),
    ses_plan: sessionMessages('ses_plan', 'planner', [
      { at: 4.2, took: 3, finish: 'tool-calls', tools: [{ tool: 'glob', at: 6.5, took: 0.2, input: { pattern: 'src/**/*.ts' } }, { tool: 'read', at: 6.6, took: 0.3, input: { filePath: 'README.md' } }] },
      { at: 7.5, took: 6, finish: 'tool-calls', tools: [{ tool: 'orchestrator_todos', at: 13, took: 0.5, input: { action: 'plan' } }] },
      { at: 14, took: 4.5, finish: 'stop', text: 'Plan written.' },
    ]),
    ses_w1: sessionMessages('ses_w1', 'worker', [
      { at: 24.3, took: 6, finish: 'tool-calls', tools: [{ tool: 'read', at: 29, took: 0.4, input: { filePath: 'src/index.ts' } }, { tool: 'write', at: 29.5, took: 0.6, input: { filePath: 'src/slugify.ts' } }] },
      { at: 31, took: 9, error: rateLimit },
      { at: 49, took: 10, finish: 'tool-calls', tools: [{ tool: 'bash', at: 56, took: 12, input: { command: 'pnpm vitest run slugify' }, status: 'error', output: 'FAIL src/slugify.test.ts > folds unicode\nExpected "creme-brulee"' }] },
      { at: 69, took: 8, finish: 'tool-calls', tools: [{ tool: 'edit', at: 75, took: 0.5, input: { filePath: 'src/slugify.ts' } }, { tool: 'bash', at: 76, took: 9, input: { command: 'pnpm vitest run slugify' } }] },
      { at: 86, took: 7, finish: 'stop', text: 'Implemented src/slugify.ts and 14 tests; all pass.' },
    ]),
    ses_w2: sessionMessages('ses_w2', 'worker', [
      { at: 25.4, took: 7, finish: 'tool-calls', tools: [{ tool: 'read', at: 31, took: 0.5, input: { filePath: 'bin/tool.ts' } }, { tool: 'grep', at: 31.2, took: 0.9, input: { pattern: 'parseArgs' } }] },
      { at: 33, took: 14, finish: 'tool-calls', tools: [{ tool: 'edit', at: 45, took: 0.6 }, { tool: 'bash', at: 46, took: 15, input: { command: 'pnpm test --filter tool' } }] },
      { at: 62, took: 16, finish: 'stop', text: 'Added the --slug flag and a test.' },
    ]),
    ses_w3: sessionMessages('ses_w3', 'worker', [
      { at: 100.5, took: 9, finish: 'tool-calls', tools: [{ tool: 'read', at: 108, took: 0.4 }, { tool: 'edit', at: 108.6, took: 0.5 }, { tool: 'edit', at: 109.2, took: 0.4 }] },
      { at: 110, took: 20, finish: 'tool-calls', tools: [{ tool: 'bash', at: 129, took: 3, input: { command: 'pnpm lint' } }] },
      { at: 132.5, took: 5.5, finish: 'stop', text: 'README and CHANGELOG updated.' },
    ]),
    ses_review: sessionMessages('ses_review', 'reviewer', [
      { at: 144.5, took: 6, finish: 'tool-calls', tools: [{ tool: 'read', at: 150, took: 0.3 }, { tool: 'read', at: 150.1, took: 0.3 }, { tool: 'bash', at: 150.5, took: 22, input: { command: 'pnpm test' } }] },
      { at: 173, took: 9, finish: 'tool-calls', tools: [{ tool: 'bash', at: 181, took: 2, input: { command: 'node bin/tool.js --slug "Hello World"' } }] },
      { at: 183.5, took: 5, finish: 'tool-calls', tools: [{ tool: 'orchestrator_verify', at: 188, took: 0.3 }] },
      { at: 188.5, took: 0.5, finish: 'stop', text: 'All four todos verified with evidence.' },
    ]),
  }
  const events: MissionEventLogEntry[] = [
    { at: s(0), type: 'mission-start', missionId: 'mission_sample', rootSessionId: 'ses_root', goal },
    { at: s(3.2), type: 'task-start', missionId: 'mission_sample', taskId: 'task_plan', agent: 'planner', title: 'Plan: slugify feature', sessionId: 'ses_plan' },
    { at: s(19), type: 'mission-wake', missionId: 'mission_sample', sessionId: 'ses_root', taskIds: ['task_plan'] },
    { at: s(22), type: 'mission-transition', missionId: 'mission_sample', from: 'planning', to: 'dispatching' },
    { at: s(27), type: 'mission-transition', missionId: 'mission_sample', from: 'dispatching', to: 'waiting' },
    { at: s(40.2), type: 'recovery-start', missionId: 'mission_sample', sessionId: 'ses_w1', kind: 'rate-limit', action: 'host-retry', reason: 'anthropic answered 429', attempt: 1, delayMs: 8000 },
    { at: s(48.5), type: 'recovery-end', missionId: 'mission_sample', sessionId: 'ses_w1', kind: 'rate-limit', outcome: 'recovered', reason: 're-prompted after 8 s' },
    { at: s(94), type: 'mission-wake', missionId: 'mission_sample', sessionId: 'ses_root', taskIds: ['task_w1', 'task_w2'] },
    { at: s(95.5), type: 'mission-continue', missionId: 'mission_sample', iteration: 1, reason: '2 todos open' },
    { at: s(98), type: 'mission-transition', missionId: 'mission_sample', from: 'waiting', to: 'dispatching' },
    { at: s(101), type: 'mission-transition', missionId: 'mission_sample', from: 'dispatching', to: 'waiting' },
    { at: s(139), type: 'mission-wake', missionId: 'mission_sample', sessionId: 'ses_root', taskIds: ['task_w3'] },
    { at: s(141.5), type: 'mission-continue', missionId: 'mission_sample', iteration: 2, reason: '4 todos await review' },
    { at: s(143), type: 'mission-transition', missionId: 'mission_sample', from: 'waiting', to: 'reviewing' },
    { at: s(190), type: 'mission-wake', missionId: 'mission_sample', sessionId: 'ses_root', taskIds: ['task_review'] },
    { at: s(200), type: 'mission-transition', missionId: 'mission_sample', from: 'reviewing', to: 'sealed', reason: 'every todo verified' },
    { at: s(200), type: 'mission-seal', missionId: 'mission_sample', todoCount: 4, verifiedCount: 4 },
  ]
  return { mission, messages, events, generatedAt: s(205) }
}

/** A mission with `workerCount` parallel workers, for layout checks with many lanes. */
export function wideMission(workerCount: number): BuildMissionTimelineOptions {
  const base = sampleMission()
  const sessions: MissionSession[] = [{ sessionId: 'ses_root', agent: 'commander', depth: 0 }]
  const tasks: Task[] = []
  const messages: Record<string, HostMessage[]> = { ses_root: base.messages['ses_root'] as HostMessage[] }
  for (let index = 1; index <= workerCount; index++) {
    const sessionId = `ses_worker_${index}`
    const start = 20 + (index % 7) * 3
    const took = 30 + ((index * 37) % 90)
    sessions.push({ sessionId, agent: 'worker', depth: 1, taskId: `task_${index}`, parentSessionId: 'ses_root' })
    tasks.push(task(`task_${index}`, 'worker', `t${index}: shard ${index} of the migration`, sessionId, start, start + took, [], 'done'))
    messages[sessionId] = sessionMessages(sessionId, 'worker', [
      { at: start + 0.3, took: took * 0.4, finish: 'tool-calls', tools: [{ tool: 'read', at: start + took * 0.3, took: 0.5 }, { tool: 'bash', at: start + took * 0.35, took: took * 0.2 }] },
      { at: start + took * 0.6, took: took * 0.39, finish: 'stop' },
    ])
  }
  return {
    ...base,
    mission: { ...base.mission, sessions, tasks, counters: { ...base.mission.counters, childSessions: workerCount } },
    messages,
  }
}
