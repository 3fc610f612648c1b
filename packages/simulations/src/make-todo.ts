import type { Todo, TodoStatus } from '@opencode-orchestrator/core'

export interface MakeTodoOptions {
  status?: TodoStatus
  /** Reviewer evidence; only a `done` todo with evidence counts towards a seal. */
  evidence?: string
  dependsOn?: string[]
  /** Epoch ms for `createdAt`, `updatedAt` and the evidence. Default 0. */
  at?: number
}

/** A todo as the engine stores it, with the fields a scenario does not care about filled in. */
export function makeTodo(id: string, options: MakeTodoOptions = {}): Todo {
  const at = options.at ?? 0
  return {
    id,
    title: `todo ${id}`,
    status: options.status ?? 'pending',
    dependsOn: options.dependsOn ?? [],
    ...(options.evidence !== undefined ? { evidence: { summary: options.evidence, reviewerSessionId: 'reviewer', recordedAt: at } } : {}),
    createdAt: at,
    updatedAt: at,
  }
}
