import { MISSION_JOURNAL_VERSION, type MissionRecord, type Task, type Todo } from '@opencode-orchestrator/core'

/** A valid journal record for tests; override what the test is about. */
export function missionRecord(overrides: Partial<MissionRecord> = {}): MissionRecord {
  return {
    version: MISSION_JOURNAL_VERSION,
    id: 'mission_1',
    rootSessionId: 'ses_root',
    goal: 'Add a slugify module with tests',
    state: 'planning',
    createdAt: 1_000,
    updatedAt: 1_000,
    generation: 1,
    budgets: { maxIterations: 20, maxWallTimeMs: 7_200_000, maxChildSessions: 200, maxDepth: 2, maxBreadth: 50, maxTokens: 0, maxCostUsd: 0 },
    counters: { iterations: 0, idleTurnsWithoutProgress: 0, childSessions: 0, tokens: 0, costUsd: 0 },
    progressKey: '',
    todos: [],
    tasks: [],
    sessions: [{ sessionId: 'ses_root', agent: 'commander', depth: 0 }],
    pendingWakes: {},
    ...overrides,
  }
}

export function todo(id: string, overrides: Partial<Todo> = {}): Todo {
  return { id, title: `todo ${id}`, status: 'pending', dependsOn: [], createdAt: 1_000, updatedAt: 1_000, ...overrides }
}

export function task(id: string, overrides: Partial<Task> = {}): Task {
  return {
    id,
    missionId: 'mission_1',
    agent: 'worker',
    title: `task ${id}`,
    prompt: 'do it',
    todoIds: [],
    status: 'queued',
    priority: 0,
    parentSessionId: 'ses_root',
    depth: 1,
    createdAt: 1_000,
    ...overrides,
  }
}
