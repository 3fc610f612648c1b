import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, type TaskWorkspace, type TaskWorkspaces } from '@opencode-orchestrator/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createNodeGitRunner } from './git-runner'
import { createGitTaskWorkspaces } from './git-task-workspaces'

const roots: string[] = []
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true })
})

const run = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.invalid', ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

const LINES = Array.from({ length: 30 }, (_, index) => `line ${index + 1}`)

/** A repository with one commit: `a.txt` of 30 lines, `b.txt`, and `sub/c.txt`. */
function makeRepository(options: { commit?: boolean; git?: boolean } = {}) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'wt-repo-')))
  roots.push(root)
  if (options.git === false) return root
  run(root, 'init', '-q', '-b', 'main')
  writeFileSync(join(root, 'a.txt'), `${LINES.join('\n')}\n`)
  writeFileSync(join(root, 'b.txt'), 'b\n')
  mkdirSync(join(root, 'sub'))
  writeFileSync(join(root, 'sub', 'c.txt'), 'c\n')
  if (options.commit !== false) {
    run(root, 'add', '-A')
    run(root, 'commit', '-q', '-m', 'initial')
  }
  return root
}

const releases: string[] = []
const manager = (projectDirectory: string): TaskWorkspaces =>
  createGitTaskWorkspaces({
    projectDirectory,
    git: createNodeGitRunner(),
    logger: createLogger(() => {}),
    releaseDirectory: async (directory) => void releases.push(directory),
  })

const editLine = (workspace: TaskWorkspace, index: number, text: string) => {
  const path = join(workspace.path, 'a.txt')
  const content = readFileSync(path, 'utf8').split('\n')
  content[index] = text
  writeFileSync(path, content.join('\n'))
}

const worktreeList = (root: string) => run(root, 'worktree', 'list').split('\n').length
const branches = (root: string) => run(root, 'branch', '--format=%(refname:short)').split('\n').filter(Boolean).sort()

describe('createGitTaskWorkspaces', () => {
  it('falls back outside git and in a repository without a commit, saying why', async () => {
    const plain = makeRepository({ git: false })
    expect(await manager(plain).availability()).toEqual({ available: false, reason: expect.stringContaining('is not in a git repository') })
    expect(await manager(plain).prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'x' })).toBeUndefined()
    const empty = makeRepository({ commit: false })
    expect(await manager(empty).availability()).toEqual({ available: false, reason: expect.stringContaining('has no commit yet') })
    expect(await manager(empty).prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'x' })).toBeUndefined()
  })

  it('gives parallel tasks their own worktrees outside the working tree, and merges edits of one file in different places', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    expect(await workspaces.availability()).toEqual({ available: true })
    const [one, two] = await Promise.all([
      workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'top' }),
      workspaces.prepare({ missionId: 'm1', taskId: 't2', agent: 'worker', title: 'bottom' }),
    ])
    if (!one || !two) throw new Error('no workspace')
    expect(one.path).toBe(join(repo, '.git', 'orchestrator', 'worktrees', 'm1', one.slot))
    expect(one.path).not.toBe(two.path)
    expect(one.branch).toBe('orchestrator/m1--t1')
    expect(one.base).toBe(run(repo, 'rev-parse', 'HEAD'))
    // The user's checkout does not see the worktrees.
    expect(run(repo, 'status', '--porcelain')).toBe('')
    editLine(one, 1, 'line 2 by t1')
    editLine(two, 27, 'line 28 by t2')
    writeFileSync(join(two.path, 'new.txt'), 'new\n')
    const first = await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'top' })
    const second = await workspaces.settle({ missionId: 'm1', taskId: 't2', workspace: two, status: 'completed', title: 'bottom' })
    expect(first).toMatchObject({ kind: 'merged', files: ['a.txt'], overlaps: [] })
    expect(second).toMatchObject({ kind: 'merged', files: ['a.txt', 'new.txt'], overlaps: [{ file: 'a.txt', taskIds: ['t1', 't2'] }] })
    const integration = await workspaces.integration({ missionId: 'm1' })
    expect(integration?.branch).toBe('orchestrator/m1')
    const merged = run(repo, 'show', 'orchestrator/m1:a.txt')
    expect(merged).toContain('line 2 by t1')
    expect(merged).toContain('line 28 by t2')
    // Commits are by the orchestrator's identity; the user's config is untouched.
    expect(run(repo, 'log', '-1', '--format=%an', 'orchestrator/m1^2')).toBe('OpenCode Orchestrator')
    expect(readFileSync(join(repo, '.git', 'config'), 'utf8')).not.toContain('[user]')
    // Merged task branches are gone; the user's checkout still is where it was.
    expect(branches(repo)).toEqual(['main', 'orchestrator/m1'])
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe(`${LINES.join('\n')}\n`)
  })

  it('reports a same-line conflict with files and the other task, keeps both versions, and clobbers nothing', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const one = await workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'one' })
    const two = await workspaces.prepare({ missionId: 'm1', taskId: 't2', agent: 'worker', title: 'two' })
    if (!one || !two) throw new Error('no workspace')
    editLine(one, 4, 'line 5 by t1')
    editLine(two, 4, 'line 5 by t2')
    expect(await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'one' })).toMatchObject({ kind: 'merged' })
    const conflict = await workspaces.settle({ missionId: 'm1', taskId: 't2', workspace: two, status: 'completed', title: 'two' })
    expect(conflict).toEqual({
      kind: 'conflict',
      files: ['a.txt'],
      withTaskIds: ['t1'],
      branch: 'orchestrator/m1--t2',
      overlaps: [{ file: 'a.txt', taskIds: ['t1', 't2'] }],
    })
    expect(run(repo, 'show', 'orchestrator/m1:a.txt')).toContain('line 5 by t1')
    expect(run(repo, 'show', 'orchestrator/m1--t2:a.txt')).toContain('line 5 by t2')
    // The integration tree is not left mid-merge.
    const integration = await workspaces.integration({ missionId: 'm1' })
    expect(run(integration?.path ?? repo, 'status', '--porcelain')).toBe('')
    // Stop: the conflicted worktree and its branch stay, and are listed; the integration branch too.
    const end = await workspaces.finish({ missionId: 'm1', outcome: 'stopped', onSeal: 'branch' })
    expect(end.landing).toBeUndefined()
    expect(end.left).toEqual([
      { branch: 'orchestrator/m1--t2', path: two.path, taskId: 't2', reason: expect.stringContaining('merge conflict in a.txt with t1') },
      { branch: 'orchestrator/m1', reason: expect.stringContaining('not landed because the mission stopped') },
    ])
    expect(existsSync(two.path)).toBe(true)
    expect(branches(repo)).toEqual(['main', 'orchestrator/m1', 'orchestrator/m1--t2'])
    expect(await workspaces.list({ missionId: 'm1' })).toEqual([
      expect.objectContaining({ branch: 'orchestrator/m1--t2', taskId: 't2' }),
      expect.objectContaining({ branch: 'orchestrator/m1' }),
    ])
  })

  it('never removes a dirty or unmerged worktree: a failed task keeps its work, a running one stopped mid-way too', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const failed = await workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'fails' })
    const running = await workspaces.prepare({ missionId: 'm1', taskId: 't2', agent: 'worker', title: 'runs' })
    const idle = await workspaces.prepare({ missionId: 'm1', taskId: 't3', agent: 'worker', title: 'writes nothing' })
    if (!failed || !running || !idle) throw new Error('no workspace')
    writeFileSync(join(failed.path, 'half.txt'), 'half\n')
    writeFileSync(join(running.path, 'wip.txt'), 'wip\n')
    expect(await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: failed, status: 'failed', title: 'fails' })).toMatchObject({
      kind: 'kept',
      reason: expect.stringContaining('the task failed'),
      branch: 'orchestrator/m1--t1',
    })
    expect(await workspaces.settle({ missionId: 'm1', taskId: 't3', workspace: idle, status: 'completed', title: 'nothing' })).toEqual({ kind: 'unchanged', overlaps: [] })
    const end = await workspaces.finish({ missionId: 'm1', outcome: 'failed', onSeal: 'merge' })
    expect(end.left.map((entry) => [entry.taskId, entry.branch])).toEqual([
      ['t1', 'orchestrator/m1--t1'],
      ['t2', 'orchestrator/m1--t2'],
    ])
    expect(readFileSync(join(running.path, 'wip.txt'), 'utf8')).toBe('wip\n')
    expect(run(repo, 'show', 'orchestrator/m1--t1:half.txt')).toBe('half')
    expect(existsSync(idle.path)).toBe(false)
    // Nothing was merged: the integration branch is gone, and nothing landed in the user's branch.
    expect(branches(repo)).toEqual(['main', 'orchestrator/m1--t1', 'orchestrator/m1--t2'])
    expect(run(repo, 'log', '--oneline').split('\n')).toHaveLength(1)
  })

  it('reuses a merged worktree for the next task on a new branch at the integration point, and removes the pool at the end', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const warmed = await workspaces.warm?.({ missionId: 'm1', count: 2 })
    expect(warmed).toHaveLength(2)
    const one = await workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'one' })
    if (!one) throw new Error('no workspace')
    expect(warmed).toContain(one.path)
    editLine(one, 0, 'first by t1')
    const merged = await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'one' })
    if (merged.kind !== 'merged') throw new Error(merged.kind)
    const next = await workspaces.prepare({ missionId: 'm1', taskId: 't2', agent: 'worker', title: 'two' })
    expect(next).toEqual({ path: one.path, branch: 'orchestrator/m1--t2', base: merged.commit, slot: one.slot })
    expect(readFileSync(join(one.path, 'a.txt'), 'utf8')).toContain('first by t1')
    const before = worktreeList(repo)
    expect(before).toBe(4) // main, integration, two pooled slots
    releases.length = 0
    const end = await workspaces.finish({ missionId: 'm1', outcome: 'sealed', onSeal: 'branch' })
    expect(end).toEqual({ landing: { kind: 'branch', branch: 'orchestrator/m1' }, left: [expect.objectContaining({ branch: 'orchestrator/m1' })] })
    expect(worktreeList(repo)).toBe(1)
    expect(releases).toHaveLength(3)
    expect(existsSync(join(repo, '.git', 'orchestrator', 'worktrees', 'm1'))).toBe(false)
    expect(branches(repo)).toEqual(['main', 'orchestrator/m1'])
  })

  it('adopts a mission after a restart: a new manager over the same repository settles the running task and knows the earlier merges', async () => {
    const repo = makeRepository()
    const before = manager(repo)
    const one = await before.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'one' })
    const two = await before.prepare({ missionId: 'm1', taskId: 't2', agent: 'worker', title: 'two' })
    const three = await before.prepare({ missionId: 'm1', taskId: 't3', agent: 'worker', title: 'three' })
    if (!one || !two || !three) throw new Error('no workspace')
    editLine(one, 0, 'by t1')
    await before.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'one' })
    editLine(two, 29, 'by t2')
    writeFileSync(join(three.path, 'three.txt'), '3\n')
    // "Restart": a new manager, nothing in memory.
    const after = manager(repo)
    await after.adopt({
      missionId: 'm1',
      tasks: [
        { taskId: 't1', workspace: one, status: 'completed' },
        { taskId: 't2', workspace: two, status: 'running' },
        { taskId: 't3', workspace: three, status: 'running' },
      ],
    })
    expect(await after.settle({ missionId: 'm1', taskId: 't2', workspace: two, status: 'completed', title: 'two' })).toMatchObject({
      kind: 'merged',
      overlaps: [{ file: 'a.txt', taskIds: ['t1', 't2'] }],
    })
    expect(await after.settle({ missionId: 'm1', taskId: 't3', workspace: three, status: 'completed', title: 'three' })).toMatchObject({ kind: 'merged' })
    // Settling again (a restart between the merge and the journal) merges nothing twice.
    const listed = await after.list({ missionId: 'm1' })
    expect(listed.filter((entry) => entry.reason === 'pooled for the next task')).toHaveLength(3)
    const end = await after.finish({ missionId: 'm1', outcome: 'sealed', onSeal: 'merge' })
    expect(end).toEqual({ landing: { kind: 'merged', branch: 'orchestrator/m1', into: 'main' }, left: [] })
    expect(worktreeList(repo)).toBe(1)
    expect(branches(repo)).toEqual(['main'])
    const landed = readFileSync(join(repo, 'a.txt'), 'utf8')
    expect(landed).toContain('by t1')
    expect(landed).toContain('by t2')
    expect(readFileSync(join(repo, 'three.txt'), 'utf8')).toBe('3\n')
  })

  it('onSeal merge leaves the branch when the user has uncommitted changes, and says so', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const one = await workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'one' })
    if (!one) throw new Error('no workspace')
    editLine(one, 0, 'by t1')
    await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'one' })
    writeFileSync(join(repo, 'b.txt'), 'the user is editing\n')
    const end = await workspaces.finish({ missionId: 'm1', outcome: 'sealed', onSeal: 'merge' })
    expect(end.landing).toEqual({ kind: 'branch', branch: 'orchestrator/m1', reason: 'your working tree has uncommitted changes on main' })
    expect(readFileSync(join(repo, 'b.txt'), 'utf8')).toBe('the user is editing\n')
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).not.toContain('by t1')
    expect(branches(repo)).toEqual(['main', 'orchestrator/m1'])
  })

  it('runs a subfolder project in the same subfolder of the worktree', async () => {
    const repo = makeRepository()
    const workspaces = manager(join(repo, 'sub'))
    const one = await workspaces.prepare({ missionId: 'm1', taskId: 't1', agent: 'worker', title: 'one' })
    if (!one) throw new Error('no workspace')
    expect(one.path.endsWith(`${join('worktrees', 'm1', one.slot, 'sub')}`)).toBe(true)
    expect(readFileSync(join(one.path, 'c.txt'), 'utf8')).toBe('c\n')
    writeFileSync(join(one.path, 'c.txt'), 'c by t1\n')
    expect(await workspaces.settle({ missionId: 'm1', taskId: 't1', workspace: one, status: 'completed', title: 'one' })).toMatchObject({ kind: 'merged', files: ['sub/c.txt'] })
    expect((await workspaces.integration({ missionId: 'm1' }))?.path.endsWith(join('integration', 'sub'))).toBe(true)
  })

  it('provisions six worktrees at once without racing git', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const made = await Promise.all(Array.from({ length: 6 }, (_, index) => workspaces.prepare({ missionId: 'm1', taskId: `t${index + 1}`, agent: 'worker', title: 'x' })))
    expect(new Set(made.map((workspace) => workspace?.path)).size).toBe(6)
    expect(worktreeList(repo)).toBe(8)
  })

  it('settles six tasks at once, each merged once, and brings the integration checkout up only when it is read', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    const made = await Promise.all(Array.from({ length: 6 }, (_, index) => workspaces.prepare({ missionId: 'm1', taskId: `t${index + 1}`, agent: 'worker', title: `part ${index + 1}` })))
    made.forEach((workspace, index) => {
      if (!workspace) throw new Error('no workspace')
      editLine(workspace, index * 5, `line ${index * 5 + 1} by t${index + 1}`)
    })
    const settled = await Promise.all(
      made.map((workspace, index) => workspaces.settle({ missionId: 'm1', taskId: `t${index + 1}`, workspace: workspace!, status: 'completed', title: `part ${index + 1}` })),
    )
    expect(settled.map((settlement) => settlement.kind)).toEqual(Array(6).fill('merged'))
    // Six --no-ff merges on the integration branch, one per task, in a line.
    expect(run(repo, 'rev-list', '--first-parent', '--merges', '--count', 'orchestrator/m1')).toBe('6')
    const merged = run(repo, 'show', 'orchestrator/m1:a.txt')
    for (let index = 0; index < 6; index++) expect(merged).toContain(`line ${index * 5 + 1} by t${index + 1}`)
    // The integration worktree was not checked out per merge; reading it brings it up to the branch, clean.
    const integrationRoot = join(repo, '.git', 'orchestrator', 'worktrees', 'm1', 'integration')
    expect(readFileSync(join(integrationRoot, 'a.txt'), 'utf8')).not.toContain('by t6')
    const integration = await workspaces.integration({ missionId: 'm1' })
    expect(integration?.path).toBe(integrationRoot)
    expect(readFileSync(join(integrationRoot, 'a.txt'), 'utf8')).toBe(`${merged}\n`)
    expect(run(integrationRoot, 'status', '--porcelain')).toBe('')
    expect(run(integrationRoot, 'rev-parse', 'HEAD')).toBe(run(repo, 'rev-parse', 'orchestrator/m1'))
  })

  it('runs git without a shell, only in an absolute folder', async () => {
    const git = createNodeGitRunner()
    await expect(git.run(['status'], { cwd: 'relative/folder' })).rejects.toThrow(/git cwd: "relative\/folder" is not an absolute path/)
    const repo = makeRepository()
    // A shell would expand this; execFile hands it to git as one argument (an unknown revision).
    const result = await git.run(['rev-parse', '--verify', '--quiet', '$(touch pwned)'], { cwd: repo })
    expect(result.code).not.toBe(0)
    expect(existsSync(join(repo, 'pwned'))).toBe(false)
  })

  it('refuses ids that could be read as git options or escape their folder', async () => {
    const repo = makeRepository()
    const workspaces = manager(repo)
    await expect(workspaces.prepare({ missionId: '--upload-pack=x', taskId: 't1', agent: 'worker', title: 'x' })).rejects.toThrow(/missionId: "--upload-pack=x" cannot name a git branch/)
    await expect(workspaces.prepare({ missionId: 'm1', taskId: '../../x', agent: 'worker', title: 'x' })).rejects.toThrow(/taskId/)
  })
})
