import { describe, expect, it } from 'vitest'
import { describeRefusedQuestion, worktreeQuestion } from './worktree-question'

describe('a permission question from a worktree', () => {
  it('is read from permission.asked only', () => {
    const asked = { type: 'permission.asked', properties: { id: 'per_1', sessionID: 'ses_w', permission: 'bash', patterns: ['git push origin HEAD'], always: ['git push *'] } }
    expect(worktreeQuestion(asked)).toEqual({ id: 'per_1', sessionId: 'ses_w', permission: 'bash', patterns: ['git push origin HEAD'] })
    expect(worktreeQuestion({ type: 'permission.replied', properties: { requestID: 'per_1', sessionID: 'ses_w' } })).toBeUndefined()
    expect(worktreeQuestion({ type: 'permission.asked', properties: { id: 1 } })).toBeUndefined()
    expect(worktreeQuestion(undefined)).toBeUndefined()
  })

  it('is described with what was asked, why it was refused and how to allow it', () => {
    expect(describeRefusedQuestion({ id: 'per_1', sessionId: 'ses_w', permission: 'bash', patterns: ['git push origin HEAD'] }, '/repo/.git/orchestrator/worktrees/m/w1')).toBe(
      'A Worker in its worktree asked for bash (git push origin HEAD); a question from a worktree cannot reach you here, so it was refused. Allow it in your permission config (opencode.json) if Workers should do it, or use isolation "none". Worktree: /repo/.git/orchestrator/worktrees/m/w1',
    )
  })
})
