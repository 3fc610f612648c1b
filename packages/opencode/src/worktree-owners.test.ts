import { describe, expect, it } from 'vitest'
import { createWorktreeOwners, isOrchestratorWorktree, type WorktreeOwner } from './worktree-owners'

const owner = (instance: string): WorktreeOwner => ({ instance, hooksFor: () => ({}) })
const TREE = '/repo/.git/orchestrator/worktrees'

describe('worktree owners (one plugin function\'s registry)', () => {
  it('finds the owner of a claimed directory, and of any directory below a claimed tree', () => {
    const owners = createWorktreeOwners()
    const first = owner('first')
    const second = owner('second')
    owners.claim('/elsewhere/w1/', first)
    owners.claimTree(TREE, second)
    expect(owners.ownerOf('/elsewhere/w1')).toBe(first)
    expect(owners.ownerOf(`${TREE}/m1/w2`)).toBe(second)
    expect(owners.ownerOf(`${TREE}/m1/w2/packages/app`)).toBe(second)
    expect(owners.ownerOf(TREE)).toBeUndefined()
    expect(owners.ownerOf('/repo')).toBeUndefined()
    expect(owners.ownerOf('/repo/.git/orchestrator/worktrees-other/m1/w1')).toBeUndefined()
  })

  it('lets go only of its own claims', () => {
    const owners = createWorktreeOwners()
    const first = owner('first')
    const second = owner('second')
    owners.claim('/w', first)
    owners.unclaim('/w', second)
    expect(owners.ownerOf('/w')).toBe(first)
    owners.unclaim('/w', first)
    expect(owners.ownerOf('/w')).toBeUndefined()
    owners.claimTree(TREE, first)
    owners.unclaimTree(TREE, second)
    expect(owners.ownerOf(`${TREE}/m/w`)).toBe(first)
    owners.unclaimTree(TREE, first)
    expect(owners.ownerOf(`${TREE}/m/w`)).toBeUndefined()
  })

  it('tells an orchestrator worktree by its place', () => {
    expect(isOrchestratorWorktree(`${TREE}/mission_1/w1`)).toBe(true)
    expect(isOrchestratorWorktree(`${TREE}/mission_1/integration/sub`)).toBe(true)
    expect(isOrchestratorWorktree('/repo')).toBe(false)
    expect(isOrchestratorWorktree('/repo/src/orchestrator/worktrees')).toBe(false)
    expect(isOrchestratorWorktree('/repo/src/orchestrator/worktrees/a/b')).toBe(false)
    expect(isOrchestratorWorktree('/srv/project.git/orchestrator/worktrees/mission_1/w1')).toBe(true)
  })
})
