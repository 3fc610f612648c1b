import type { AgentName } from './agent-name'

/** A permission a role must never get, and why (shown when a config override tries). */
export interface RoleGuarantee {
  permission: string
  reason: string
}

/**
 * What each role can never do, whatever the user's config says. These are the product:
 * a read-only Planner, Reviewers that cannot "fix" what they judge, Workers that cannot
 * fan out on their own, and a Commander that delegates instead of coding. Native `task`
 * spawning is locked for everyone because it bypasses the scheduler and the budgets;
 * delegation goes through `orchestrator_delegate`.
 */
export const ROLE_GUARANTEES: Readonly<Record<AgentName, readonly RoleGuarantee[]>> = {
  commander: [
    { permission: 'edit', reason: 'the Commander delegates all code changes to Workers' },
    { permission: 'task', reason: 'the Commander delegates only through orchestrator_delegate, so budgets and concurrency limits apply' },
  ],
  planner: [
    { permission: 'edit', reason: 'the Planner is read-only' },
    { permission: 'bash', reason: 'the Planner is read-only and shell commands can change files' },
    { permission: 'task', reason: 'the Planner does not spawn agents' },
  ],
  worker: [{ permission: 'task', reason: 'Workers never spawn agents; that is what keeps fan-out bounded' }],
  reviewer: [
    { permission: 'edit', reason: 'the Reviewer verifies work and must not change the code it judges' },
    { permission: 'task', reason: 'the Reviewer does not spawn agents' },
  ],
}
