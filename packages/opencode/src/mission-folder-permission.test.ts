import { describe, expect, it } from 'vitest'
import { missionFolderPermission } from './mission-folder-permission'

describe('missionFolderPermission', () => {
  it('gives the folder relative to the worktree, as OpenCode\'s edit tools ask for it', () => {
    expect(missionFolderPermission({ directory: '/work/app', worktree: '/work/app', missionDirectory: '.opencode/orchestrator' })).toEqual({
      editPatterns: ['.opencode/orchestrator', '.opencode/orchestrator/*'],
      bashPatterns: ['*.opencode/orchestrator*'],
    })
    // A project inside a larger git worktree, and a project outside git (OpenCode's worktree is then "/").
    expect(missionFolderPermission({ directory: '/repo/packages/app', worktree: '/repo', missionDirectory: './state/orch/' }).editPatterns).toEqual([
      'packages/app/state/orch',
      'packages/app/state/orch/*',
    ])
    expect(missionFolderPermission({ directory: '/tmp/p', worktree: '/', missionDirectory: '.opencode/orchestrator' }).editPatterns).toEqual([
      'tmp/p/.opencode/orchestrator',
      'tmp/p/.opencode/orchestrator/*',
    ])
  })

  it('keeps wildcard characters of a folder name from widening the rule', () => {
    expect(missionFolderPermission({ directory: '/p', worktree: '/p', missionDirectory: 'st*te' })).toEqual({
      editPatterns: ['st?te', 'st?te/*'],
      bashPatterns: ['*st?te*'],
    })
  })
})
