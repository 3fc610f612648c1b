/**
 * The git implementation of core's `TaskWorkspaces` port: a worktree per Worker task, merged back.
 *
 * Layout (decision 085): every worktree lives outside the working tree, in the repository's common
 * git folder, where searches, file watchers and OpenCode's snapshots do not look:
 *
 *   <git-common-dir>/orchestrator/worktrees/<mission>/integration   branch orchestrator/<mission>
 *   <git-common-dir>/orchestrator/worktrees/<mission>/w1, w2, …     branch orchestrator/<mission>--<task> while a task runs
 *
 * The integration branch starts at the user's HEAD when the mission's first worktree is made; each
 * ended task's work is committed on its branch (tasks in parallel, each in its own worktree) and
 * merged into the integration branch without a checkout (`git merge-tree --write-tree`, then
 * `git commit-tree` with both parents — a `--no-ff` merge — and `git update-ref` against the old
 * value), one task at a time. The integration worktree is detached and brought up to the branch only
 * when someone reads it (a read-only role, the mission's end): decision 091.
 * A merged (or unchanged) slot goes back to the mission's pool detached, and the next task reuses
 * the folder on a new branch at the integration point, so the host's instance for it stays warm
 * (decision 086). Commits are made by a fixed identity with hooks off; the user's config is never
 * changed. Every git command that writes refs or worktrees runs one at a time per manager (one
 * manager per project): parallel `git worktree add` raced on `.git/worktrees/<name>/commondir`.
 */
import { rmdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import {
  OrchestratorError,
  errorMessage,
  type AdoptWorkspacesOptions,
  type FileOverlap,
  type FinishWorkspacesOptions,
  type IntegrationTree,
  type LeftWorkspace,
  type Logger,
  type PrepareWorkspaceOptions,
  type SettleWorkspaceOptions,
  type TaskWorkspace,
  type TaskWorkspaces,
  type WorkspaceAvailability,
  type WorkspacesEnd,
  type WorkspaceSettlement,
} from '@opencode-orchestrator/core'
import type { GitRunner } from './git-runner'

/** Who the orchestrator's commits are by, and no hooks or signing of the user's in the way. */
const IDENTITY = [
  '-c',
  'user.name=OpenCode Orchestrator',
  '-c',
  'user.email=orchestrator@opencode-orchestrator.invalid',
  '-c',
  'commit.gpgsign=false',
  '-c',
  'core.hooksPath=/dev/null',
] as const

/** Files OpenCode itself writes into a folder it runs in: never part of a Worker's work. */
const HOST_FILES = [':(exclude,glob).opencode/node_modules/**', ':(exclude,glob).opencode/bun.lock', ':(exclude,glob).opencode/package-lock.json', ':(exclude,glob)**/instance.lock']

/** Mission and task ids become ref and folder names: letters, digits, `_`, `-`, `.`; never a leading `-` or a `..`. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$/
const COMMIT = /^[0-9a-f]{7,64}$/
const MERGE_SUBJECT = /^orchestrator: merge (\S+)/
/** No background `gc`/maintenance from commits made in parallel worktrees: it could pack refs under a running ref update. */
const NO_AUTO_GC = ['-c', 'gc.auto=0', '-c', 'maintenance.auto=false'] as const

export interface CreateGitTaskWorkspacesOptions {
  /** The project folder OpenCode runs in (the repository's root or a folder inside it). */
  projectDirectory: string
  git: GitRunner
  logger: Logger
  /**
   * Called before a worktree folder is removed, so the host lets go of its instance there (OpenCode
   * writes `.opencode/` files into a folder its instance still runs in). Errors are logged.
   */
  releaseDirectory?: (directory: string) => Promise<void>
}

interface Repository {
  /** Root of the user's working tree. */
  top: string
  /** The common git folder (`.git` of the main checkout). */
  common: string
  /** The project folder relative to `top`, `''` at the root. */
  prefix: string
}

interface Slot {
  name: string
  root: string
  /** Task using the slot now (or whose kept work it holds). */
  taskId?: string
  branch?: string
  base?: string
  /** Why the slot is kept for a person (not pooled). */
  kept?: string
}

interface MissionSpace {
  missionId: string
  folder: string
  /**
   * The integration worktree, detached at `synced`; merges move the branch only (decision 091).
   * `attached`: found on the branch after a restart from an older layout; detached before the next merge.
   */
  integration?: { root: string; branch: string; attached?: boolean }
  slots: Map<string, Slot>
  /** Files merged into the integration branch, with the tasks that changed each, in merge order. */
  touched: Map<string, string[]>
  /** Number of the next new slot folder (`w<n>`). */
  nextSlot: number
}

const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line.length > 0)

function requireName(field: string, value: string): string {
  if (!SAFE_NAME.test(value) || value.includes('..') || value.endsWith('.lock')) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `${field}: ${JSON.stringify(value)} cannot name a git branch or folder; use letters, digits, "_", "-" and "." (not first, no "..").`,
      details: { field, value },
    })
  }
  return value
}

export const integrationBranchOf = (missionId: string) => `orchestrator/${requireName('missionId', missionId)}`
export const taskBranchOf = (missionId: string, taskId: string) => `${integrationBranchOf(missionId)}--${requireName('taskId', taskId)}`

/**
 * Creates the worktree manager of one project.
 *
 * @example
 * const workspaces = createGitTaskWorkspaces({ projectDirectory: directory, git: createNodeGitRunner(), logger })
 * const workspace = await workspaces.prepare({ missionId, taskId, agent: 'worker', title })
 * // … the Worker runs with `directory: workspace.path` …
 * const settlement = await workspaces.settle({ missionId, taskId, workspace, status: 'completed', title })
 */
export function createGitTaskWorkspaces(options: CreateGitTaskWorkspacesOptions): TaskWorkspaces {
  const { projectDirectory, git: runner, logger } = options
  const spaces = new Map<string, MissionSpace>()
  let repositoryPromise: Promise<Repository | { unavailable: string }> | undefined
  let queue: Promise<unknown> = Promise.resolve()

  /** One writing git command sequence at a time. Not re-entrant: never call it from inside `serial`. */
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work)
    queue = run.catch(() => undefined)
    return run
  }

  const git = async (args: readonly string[], cwd: string, allowFail = false) => {
    const result = await runner.run(args, { cwd })
    if (result.code !== 0 && !allowFail) {
      throw new OrchestratorError({
        code: 'git-failed',
        message: `git ${args.filter((arg) => !arg.startsWith('user.')).join(' ')} failed in ${cwd} (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`,
        details: { args: [...args], cwd, code: result.code },
      })
    }
    return result
  }

  const repository = () =>
    (repositoryPromise ??= (async (): Promise<Repository | { unavailable: string }> => {
      const inside = await runner.run(['rev-parse', '--path-format=absolute', '--show-toplevel', '--git-common-dir', '--show-prefix'], { cwd: projectDirectory })
      if (inside.code !== 0) return { unavailable: `${projectDirectory} is not in a git repository (git: ${inside.stderr.trim()})` }
      const [top, common, prefix = ''] = inside.stdout.split('\n')
      if (!top || !common) return { unavailable: `git rev-parse gave no top-level folder for ${projectDirectory}` }
      const head = await runner.run(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: projectDirectory })
      if (head.code !== 0) return { unavailable: `the git repository at ${top} has no commit yet` }
      return { top, common, prefix: prefix.replace(/\/+$/, '') }
    })())

  const requireRepository = async (): Promise<Repository> => {
    const found = await repository()
    if ('unavailable' in found) {
      throw new OrchestratorError({ code: 'invalid-argument', message: `Worktree isolation is not available: ${found.unavailable}. Use isolation "none", or make a commit first.` })
    }
    return found
  }

  const sessionPath = (repo: Repository, root: string) => (repo.prefix === '' ? root : join(root, repo.prefix))

  const missionFolder = (repo: Repository, missionId: string) => join(repo.common, 'orchestrator', 'worktrees', requireName('missionId', missionId))

  /** Worktrees git knows under a folder: path, branch (short name) or detached. */
  const worktreesUnder = async (repo: Repository, folder: string) => {
    const listed = await git(['worktree', 'list', '--porcelain'], repo.top)
    const found: Array<{ path: string; branch?: string; head?: string }> = []
    for (const block of listed.stdout.split('\n\n')) {
      const fields = new Map(lines(block).map((line) => [line.slice(0, line.indexOf(' ') < 0 ? line.length : line.indexOf(' ')), line.slice(line.indexOf(' ') + 1)]))
      const path = fields.get('worktree')
      if (path === undefined || !path.startsWith(folder + sep)) continue
      const branch = fields.get('branch')?.replace(/^refs\/heads\//, '')
      const head = fields.get('HEAD')
      found.push({ path, ...(branch !== undefined ? { branch } : {}), ...(head !== undefined ? { head } : {}) })
    }
    return found
  }

  /** Rebuilds who touched which file from the integration branch's merge commits (after a restart). */
  const readTouched = async (repo: Repository, branch: string) => {
    const touched = new Map<string, string[]>()
    const log = await git(['log', '--first-parent', '--merges', '--reverse', '--format=%H %s', '--end-of-options', branch], repo.top, true)
    if (log.code !== 0) return touched
    for (const line of lines(log.stdout)) {
      const [commit = '', ...subject] = line.split(' ')
      const taskId = MERGE_SUBJECT.exec(subject.join(' '))?.[1]
      if (taskId === undefined) continue
      const files = await git(['diff', '--name-only', `${commit}^1`, commit], repo.top)
      for (const file of lines(files.stdout)) addTouch(touched, file, taskId)
    }
    return touched
  }

  const addTouch = (touched: Map<string, string[]>, file: string, taskId: string) => {
    const tasks = touched.get(file) ?? []
    if (!tasks.includes(taskId)) tasks.push(taskId)
    touched.set(file, tasks)
  }

  /** The mission's state, from memory or (after a restart) from the repository. */
  const spaceOf = async (missionId: string): Promise<MissionSpace> => {
    const known = spaces.get(missionId)
    if (known) return known
    const repo = await requireRepository()
    const folder = missionFolder(repo, missionId)
    const space: MissionSpace = { missionId, folder, slots: new Map(), touched: new Map(), nextSlot: 1 }
    const branch = integrationBranchOf(missionId)
    for (const entry of await worktreesUnder(repo, folder)) {
      const name = relative(folder, entry.path)
      if (name === 'integration') {
        space.integration = { root: entry.path, branch, ...(entry.branch === branch ? { attached: true } : {}) }
        continue
      }
      const slot: Slot = { name, root: entry.path }
      if (entry.branch !== undefined) {
        slot.branch = entry.branch
        const taskId = entry.branch.startsWith(`${branch}--`) ? entry.branch.slice(branch.length + 2) : undefined
        if (taskId !== undefined) slot.taskId = taskId
        slot.kept = `holds the work of ${taskId ?? entry.branch} from before a restart`
      }
      space.slots.set(name, slot)
      const number = /^w(\d+)$/.exec(name)?.[1]
      if (number !== undefined) space.nextSlot = Math.max(space.nextSlot, Number(number) + 1)
    }
    const hasBranch = (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], repo.top, true)).code === 0
    if (hasBranch) space.touched = await readTouched(repo, branch)
    // Another call may have loaded it meanwhile: keep the first.
    const raced = spaces.get(missionId)
    if (raced) return raced
    spaces.set(missionId, space)
    return space
  }

  /**
   * The integration branch and its worktree (detached at the branch): made at the user's HEAD on the
   * mission's first worktree. Call inside `serial`.
   */
  const ensureIntegration = async (repo: Repository, space: MissionSpace) => {
    if (space.integration) return space.integration
    const branch = integrationBranchOf(space.missionId)
    const root = join(space.folder, 'integration')
    const exists = (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], repo.top, true)).code === 0
    if (!exists) await git(['branch', '--no-track', branch, 'HEAD'], repo.top)
    await git(['worktree', 'add', '-q', '--detach', root, branch], repo.top)
    space.integration = { root, branch }
    logger.log('info', 'integration worktree made', { missionId: space.missionId, path: root, branch })
    return space.integration
  }

  /** The integration branch's commit (the worktree may lag behind it until `syncIntegration`). */
  const branchHead = async (repo: Repository, branch: string) => {
    const head = (await git(['rev-parse', '--verify', `refs/heads/${branch}^{commit}`], repo.top)).stdout.trim()
    if (!COMMIT.test(head)) throw new OrchestratorError({ code: 'git-failed', message: `git rev-parse ${branch} gave ${JSON.stringify(head)}, not a commit` })
    return head
  }

  /**
   * Brings the integration worktree's checkout up to its branch (a plain checkout: it refuses to
   * overwrite local changes, which are then reported by `finish`). Call inside `serial`.
   */
  const syncIntegration = async (space: MissionSpace) => {
    const integration = space.integration
    if (!integration) return
    const checkout = await git(['checkout', '-q', '--detach', `refs/heads/${integration.branch}`], integration.root, true)
    if (checkout.code !== 0) {
      logger.log('warn', 'the integration worktree could not be brought up to its branch; it has local changes', {
        missionId: space.missionId,
        path: integration.root,
        error: checkout.stderr.trim(),
      })
      return
    }
    delete integration.attached
  }

  const headOf = async (root: string) => {
    const head = (await git(['rev-parse', 'HEAD'], root)).stdout.trim()
    if (!COMMIT.test(head)) throw new OrchestratorError({ code: 'git-failed', message: `git rev-parse HEAD in ${root} gave ${JSON.stringify(head)}, not a commit` })
    return head
  }

  const isClean = async (root: string) => (await git(['status', '--porcelain', '--untracked-files=all'], root)).stdout.trim() === ''

  /** A new pooled slot, detached at `base`. Call inside `serial`. */
  const addSlot = async (repo: Repository, space: MissionSpace, base: string) => {
    const name = `w${space.nextSlot++}`
    const root = join(space.folder, name)
    await git(['worktree', 'add', '-q', '--detach', root, base], repo.top)
    const slot: Slot = { name, root }
    space.slots.set(name, slot)
    return slot
  }

  /** Puts a slot back in the pool: detached, its task branch deleted (merged or empty). Call inside `serial`. */
  const recycle = async (repo: Repository, slot: Slot) => {
    await git(['checkout', '-q', '--detach'], slot.root)
    if (slot.branch !== undefined) await git(['branch', '-D', slot.branch], repo.top, true)
    delete slot.taskId
    delete slot.branch
    delete slot.base
    delete slot.kept
  }

  /** Removes a clean worktree folder, after the host let go of it. `force` drops untracked files (build output). Call inside `serial`. */
  const removeWorktree = async (repo: Repository, root: string, force = false) => {
    if (options.releaseDirectory) {
      await options.releaseDirectory(sessionPath(repo, root)).catch((error: unknown) =>
        logger.log('warn', 'the host did not let go of a worktree before its removal', { path: root, error: errorMessage(error) }),
      )
    }
    await git(['worktree', 'remove', ...(force ? ['--force'] : []), root], repo.top)
  }

  const overlapsOf = (space: MissionSpace, files: readonly string[], taskId: string): FileOverlap[] => {
    const overlaps: FileOverlap[] = []
    for (const file of files) {
      const tasks = [...(space.touched.get(file) ?? [])]
      if (!tasks.includes(taskId)) tasks.push(taskId)
      if (tasks.length > 1) overlaps.push({ file, taskIds: tasks })
    }
    return overlaps
  }

  const slotOf = (space: MissionSpace, workspace: TaskWorkspace) => {
    const slot = space.slots.get(workspace.slot)
    if (!slot) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `workspace.slot: mission ${space.missionId} has no worktree ${JSON.stringify(workspace.slot)} (expected at ${join(space.folder, workspace.slot)}); it was removed by hand, or adopt() was not called after a restart.`,
        details: { slot: workspace.slot },
      })
    }
    return slot
  }

  const availability = async (): Promise<WorkspaceAvailability> => {
    const found = await repository()
    return 'unavailable' in found ? { available: false, reason: found.unavailable } : { available: true }
  }

  const prepare = async ({ missionId, taskId }: PrepareWorkspaceOptions): Promise<TaskWorkspace | undefined> => {
    const found = await repository()
    if ('unavailable' in found) return undefined
    const repo = found
    const branch = taskBranchOf(missionId, taskId)
    const space = await spaceOf(missionId)
    return serial(async () => {
      const integration = await ensureIntegration(repo, space)
      const base = await branchHead(repo, integration.branch)
      let slot: Slot | undefined
      for (const candidate of space.slots.values()) {
        if (candidate.taskId !== undefined || candidate.kept !== undefined) continue
        if (await isClean(candidate.root)) {
          slot = candidate
          break
        }
        candidate.kept = 'dirty: changed after its task was merged'
      }
      if (slot) await git(['checkout', '-q', '-B', branch, base], slot.root)
      else {
        slot = { name: `w${space.nextSlot++}`, root: '' }
        slot.root = join(space.folder, slot.name)
        await git(['worktree', 'add', '-q', '-b', branch, slot.root, base], repo.top)
        space.slots.set(slot.name, slot)
      }
      slot.taskId = taskId
      slot.branch = branch
      slot.base = base
      logger.log('debug', 'task worktree ready', { missionId, taskId, path: slot.root, branch, base })
      return { path: sessionPath(repo, slot.root), branch, base, slot: slot.name }
    })
  }

  const settle = async ({ missionId, taskId, workspace, status, title }: SettleWorkspaceOptions): Promise<WorkspaceSettlement> => {
    const repo = await requireRepository()
    const space = await spaceOf(missionId)
    const slot = slotOf(space, workspace)
    const branch = workspace.branch
    if (!COMMIT.test(workspace.base)) throw new OrchestratorError({ code: 'invalid-argument', message: `workspace.base: ${JSON.stringify(workspace.base)} is not a commit id.` })
    slot.taskId = taskId
    slot.branch = branch
    slot.base = workspace.base
    // Committing touches only this task's worktree, index and branch: tasks commit in parallel.
    await git(['add', '-A', '--', '.', ...HOST_FILES], slot.root)
    const staged = await git(['diff', '--cached', '--quiet'], slot.root, true)
    if (staged.code === 1) {
      await git([...IDENTITY, ...NO_AUTO_GC, 'commit', '-q', '--no-verify', '-m', `${title.split('\n')[0] ?? taskId}\n\nWork of orchestrator task ${taskId} (mission ${missionId}).`], slot.root)
    }
    const files = lines((await git(['diff', '--name-only', workspace.base, 'HEAD'], slot.root)).stdout)
    const tip = files.length > 0 ? await headOf(slot.root) : workspace.base
    // Ref updates of the integration branch, branch deletions and the pool: one task at a time.
    return serial(async () => {
      if (files.length === 0) {
        await recycle(repo, slot)
        return { kind: 'unchanged', overlaps: [] }
      }
      const overlaps = overlapsOf(space, files, taskId)
      if (status !== 'completed') {
        slot.kept = `${status === 'failed' ? 'the task failed' : 'the task was cancelled'}; its work is committed on ${branch}, not merged`
        return { kind: 'kept', reason: slot.kept, branch, path: workspace.path, overlaps }
      }
      const integration = await ensureIntegration(repo, space)
      // A worktree on the branch (older layout, adopted) would see its branch move under its files.
      if (integration.attached) await syncIntegration(space)
      if (integration.attached) throw new OrchestratorError({ code: 'git-failed', message: `the integration worktree ${integration.root} has local changes and is checked out on ${integration.branch}; commit or discard them there, then end the task again.` })
      const head = await branchHead(repo, integration.branch)
      // A merge without a checkout: the result tree, or the conflicted files; nothing is written on a conflict.
      const merge = await git(['merge-tree', '--write-tree', '--name-only', '--no-messages', head, tip], repo.top, true)
      const [tree = '', ...conflictedLines] = lines(merge.stdout)
      if (merge.code === 1) {
        const conflicted = [...new Set(conflictedLines)]
        if (conflicted.length === 0) {
          throw new OrchestratorError({ code: 'git-failed', message: `merging ${branch} into ${integration.branch} failed without naming a conflicted file: ${merge.stderr.trim() || merge.stdout.trim()}` })
        }
        const withTaskIds = [...new Set(conflicted.flatMap((file) => space.touched.get(file) ?? []))].filter((id) => id !== taskId)
        slot.kept = `merge conflict in ${conflicted.join(', ')}${withTaskIds.length > 0 ? ` with ${withTaskIds.join(', ')}` : ''}; its work is on ${branch}`
        logger.log('warn', 'task merge conflicted', { missionId, taskId, files: conflicted, withTaskIds })
        return { kind: 'conflict', files: conflicted, withTaskIds, branch, overlaps }
      }
      if (merge.code !== 0 || !COMMIT.test(tree)) {
        throw new OrchestratorError({ code: 'git-failed', message: `git merge-tree of ${branch} into ${integration.branch} failed (exit ${merge.code}): ${merge.stderr.trim() || merge.stdout.trim()}` })
      }
      const message = `orchestrator: merge ${taskId} (${title.split('\n')[0] ?? ''})`
      const commit = (await git([...IDENTITY, 'commit-tree', tree, '-p', head, '-p', tip, '-m', message], repo.top)).stdout.trim()
      if (!COMMIT.test(commit)) throw new OrchestratorError({ code: 'git-failed', message: `git commit-tree for ${branch} gave ${JSON.stringify(commit)}, not a commit` })
      // Against the old value: a branch moved by anyone else meanwhile fails the update instead of being overwritten.
      await git(['update-ref', '-m', message, `refs/heads/${integration.branch}`, commit, head], repo.top)
      for (const file of files) addTouch(space.touched, file, taskId)
      await recycle(repo, slot)
      logger.log('info', 'task merged', { missionId, taskId, files: files.length, commit, overlaps: overlaps.length })
      return { kind: 'merged', files, commit, overlaps }
    })
  }

  const warm = async ({ missionId, count }: { missionId: string; count: number }): Promise<string[]> => {
    const found = await repository()
    if ('unavailable' in found || count <= 0) return []
    const repo = found
    const space = await spaceOf(missionId)
    return serial(async () => {
      const integration = await ensureIntegration(repo, space)
      const base = await branchHead(repo, integration.branch)
      const free = () => [...space.slots.values()].filter((slot) => slot.taskId === undefined && slot.kept === undefined)
      while (free().length < count) await addSlot(repo, space, base)
      return free().map((slot) => sessionPath(repo, slot.root))
    })
  }

  const integration = async ({ missionId }: { missionId: string }): Promise<IntegrationTree | undefined> => {
    const found = await repository()
    if ('unavailable' in found) return undefined
    const space = await spaceOf(missionId)
    if (!space.integration) return undefined
    // A read-only role is about to read it: bring its checkout up to the merged work (decision 091).
    await serial(() => syncIntegration(space))
    return { path: sessionPath(found, space.integration.root), branch: space.integration.branch }
  }

  const describeSlot = (repo: Repository, slot: Slot): LeftWorkspace => ({
    branch: slot.branch ?? '(detached)',
    path: sessionPath(repo, slot.root),
    ...(slot.taskId !== undefined ? { taskId: slot.taskId } : {}),
    reason: slot.kept ?? (slot.taskId !== undefined ? `in use by ${slot.taskId}` : 'pooled for the next task'),
  })

  const list = async ({ missionId }: { missionId: string }): Promise<LeftWorkspace[]> => {
    const found = await repository()
    if ('unavailable' in found) return []
    const repo = found
    const space = await spaceOf(missionId)
    const left: LeftWorkspace[] = [...space.slots.values()].map((slot) => describeSlot(repo, slot))
    const integrationBranch = integrationBranchOf(missionId)
    if (space.integration) left.push({ branch: integrationBranch, path: sessionPath(repo, space.integration.root), reason: 'integration tree of the mission' })
    const refs = await git(['for-each-ref', '--format=%(refname:short)', `refs/heads/${integrationBranch}`, `refs/heads/${integrationBranch}--*`], repo.top)
    for (const branch of lines(refs.stdout)) {
      if (left.some((entry) => entry.branch === branch)) continue
      const taskId = branch.startsWith(`${integrationBranch}--`) ? branch.slice(integrationBranch.length + 2) : undefined
      left.push({ branch, ...(taskId !== undefined ? { taskId } : {}), reason: taskId === undefined ? `the mission's merged work` : 'unmerged work' })
    }
    return left
  }

  const finish = async ({ missionId, outcome, onSeal }: FinishWorkspacesOptions): Promise<WorkspacesEnd> => {
    const found = await repository()
    if ('unavailable' in found) return { left: [] }
    const repo = found
    const space = await spaceOf(missionId)
    return serial(async () => {
      const left: LeftWorkspace[] = []
      for (const slot of [...space.slots.values()]) {
        if (slot.kept === undefined && slot.taskId !== undefined) {
          // A task the mission's end cancelled while it ran: keep anything it wrote or committed.
          const committed = slot.base !== undefined && (await git(['rev-list', '--count', `${slot.base}..HEAD`], slot.root)).stdout.trim() !== '0'
          if (committed || !(await isClean(slot.root))) slot.kept = `the mission ${outcome === 'sealed' ? 'was sealed' : outcome} while ${slot.taskId} ran; its unfinished work is in this worktree`
        } else if (slot.kept === undefined && !(await isClean(slot.root))) slot.kept = 'dirty: changed after its task was merged'
        if (slot.kept !== undefined) {
          left.push(describeSlot(repo, slot))
          continue
        }
        await removeWorktree(repo, slot.root)
        if (slot.branch !== undefined) await git(['branch', '-D', slot.branch], repo.top, true)
        space.slots.delete(slot.name)
      }
      let landing: WorkspacesEnd['landing']
      const branch = integrationBranchOf(missionId)
      const hasBranch = (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], repo.top, true)).code === 0
      const mergedTasks = new Set([...space.touched.values()].flat())
      if (space.integration) {
        await syncIntegration(space)
        // Only merges change the integration tree's tracked files; untracked ones are the Reviewer's build output.
        if ((await git(['status', '--porcelain', '--untracked-files=no'], space.integration.root)).stdout.trim() === '') {
          await removeWorktree(repo, space.integration.root, true)
          delete space.integration
        } else left.push({ branch, path: sessionPath(repo, space.integration.root), reason: 'the integration tree has changes no task merged' })
      }
      if (hasBranch && mergedTasks.size === 0 && !space.integration) {
        await git(['branch', '-D', branch], repo.top, true)
      } else if (hasBranch && outcome === 'sealed' && !space.integration) {
        landing = onSeal === 'merge' ? await land(repo, branch) : { kind: 'branch', branch }
        if (landing.kind === 'branch') left.push({ branch, reason: `the mission's result (${mergedTasks.size} merged ${mergedTasks.size === 1 ? 'task' : 'tasks'})` })
      } else if (hasBranch && mergedTasks.size > 0) {
        left.push({ branch, reason: `the merged work of ${mergedTasks.size} ${mergedTasks.size === 1 ? 'task' : 'tasks'}; not landed because the mission ${outcome}` })
      }
      if (space.slots.size === 0 && !space.integration) {
        spaces.delete(missionId)
        await rmdir(space.folder).catch(() => undefined)
      }
      logger.log('info', 'mission worktrees finished', { missionId, outcome, landing: landing?.kind, left: left.length })
      return { ...(landing ? { landing } : {}), left }
    })
  }

  /** Merges the mission's branch into the user's current branch when that is safe; else leaves the branch. Call inside `serial`. */
  const land = async (repo: Repository, branch: string): Promise<NonNullable<WorkspacesEnd['landing']>> => {
    const current = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], repo.top, true)
    if (current.code !== 0) return { kind: 'branch', branch, reason: 'your checkout is on a detached HEAD' }
    const into = current.stdout.trim()
    if ((await git(['status', '--porcelain', '--untracked-files=no'], repo.top)).stdout.trim() !== '') {
      return { kind: 'branch', branch, reason: `your working tree has uncommitted changes on ${into}` }
    }
    const merge = await git([...IDENTITY, 'merge', '--no-verify', '--no-edit', '-m', `orchestrator: land ${branch}`, '--end-of-options', branch], repo.top, true)
    if (merge.code !== 0) {
      await git(['merge', '--abort'], repo.top, true)
      return { kind: 'branch', branch, reason: `merging it into ${into} did not go cleanly (${(merge.stdout.trim().split('\n').pop() ?? merge.stderr.trim()).slice(0, 200)})` }
    }
    await git(['branch', '-D', branch], repo.top, true)
    return { kind: 'merged', branch, into }
  }

  const adopt = async ({ missionId, tasks }: AdoptWorkspacesOptions): Promise<void> => {
    const found = await repository()
    if ('unavailable' in found) return
    const space = await spaceOf(missionId)
    for (const { taskId, workspace, status } of tasks) {
      const slot = space.slots.get(workspace.slot)
      if (!slot || slot.branch !== workspace.branch) continue
      slot.taskId = taskId
      slot.base = workspace.base
      // A running task goes on in its worktree; an ended one is settled again by the engine, or kept.
      if (status === 'running' || status === 'queued') delete slot.kept
    }
    // Pooled slots (detached) are free again when clean.
    for (const slot of space.slots.values()) {
      if (slot.branch === undefined && slot.taskId === undefined) delete slot.kept
    }
    logger.log('info', 'mission worktrees adopted', { missionId, slots: space.slots.size, integration: space.integration !== undefined })
  }

  return { availability, prepare, settle, warm, integration, finish, list, adopt }
}
