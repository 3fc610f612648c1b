/**
 * The `TaskWorkspaces` port: where a writing task works, and how its work comes back.
 *
 * A Worker of an isolated mission works in a folder of its own (a git worktree on its own
 * branch, made from the mission's integration point); when its task ends, the work is committed
 * and merged into the mission's integration branch, one task at a time. Read-only roles (Planner,
 * Reviewer) never get a workspace of their own; they read the integration tree. At the mission's
 * end the integration branch lands in the user's checkout as configured (`onSeal`).
 *
 * Core only calls this port; the git implementation lives with the node code of the host adapter
 * (`@opencode-orchestrator/opencode`'s `createGitTaskWorkspaces`). Without one the engine runs every
 * task in the project folder, as before isolation existed.
 */

/** How a task is isolated: its own worktree (`worktree`), or the shared project folder (`none`). */
export const ISOLATION_MODES = ['worktree', 'none'] as const

export type IsolationMode = (typeof ISOLATION_MODES)[number]

/** Where a sealed mission's result goes: a branch left for review (`branch`), or merged into the user's current branch (`merge`). */
export const SEAL_LANDINGS = ['branch', 'merge'] as const

export type SealLanding = (typeof SEAL_LANDINGS)[number]

/** The folder and branch a task works in. Journaled with the task so a restart adopts it. */
export interface TaskWorkspace {
  /** Absolute folder the task's session runs in (its project folder). */
  path: string
  /** Branch the task commits on, e.g. `orchestrator/<mission>--<task>`. */
  branch: string
  /** Commit the branch was made from: the mission's integration point when the task started. */
  base: string
  /** Name of the pooled folder (several tasks may use one folder, one after the other). */
  slot: string
}

/** Whether isolation can work in this project, and why not. */
export type WorkspaceAvailability =
  | { available: true }
  | {
      available: false
      /** Why the tasks run in the project folder, for a notice (e.g. "the project is not a git repository"). */
      reason: string
    }

export interface PrepareWorkspaceOptions {
  missionId: string
  taskId: string
  /** Agent of the task; only writing roles get a workspace (the engine asks only for those). */
  agent: string
  /** Title of the task, for the branch's first commit message. */
  title: string
}

/** One file changed by more than one task of a mission, even when git merged it cleanly. */
export interface FileOverlap {
  /** Path relative to the repository root, `/`-separated. */
  file: string
  /** Every task that changed it, in merge order. */
  taskIds: string[]
}

export interface SettleWorkspaceOptions {
  missionId: string
  taskId: string
  workspace: TaskWorkspace
  /** How the task ended. Only a completed task is merged; any other keeps its work on its branch. */
  status: 'completed' | 'failed' | 'cancelled'
  /** Title of the task, for the commit message. */
  title: string
}

/** What became of a task's work. Every kind carries the overlaps known after it. */
export type WorkspaceSettlement =
  | {
      kind: 'merged'
      /** Files the task changed, relative to the repository root. */
      files: string[]
      /** Integration commit after the merge. */
      commit: string
      overlaps: FileOverlap[]
    }
  | {
      /** The task changed nothing; its folder goes back to the pool. */
      kind: 'unchanged'
      overlaps: FileOverlap[]
    }
  | {
      /** Git could not merge: nothing was clobbered, the merge was aborted, both branches are kept. */
      kind: 'conflict'
      files: string[]
      /** Tasks already merged that changed the conflicting files. */
      withTaskIds: string[]
      /** The task's branch, with its work committed. */
      branch: string
      overlaps: FileOverlap[]
    }
  | {
      /** Not merged (a failed or cancelled task, or a worktree that could not be committed); kept for a person to look at. */
      kind: 'kept'
      reason: string
      branch: string
      path?: string
      overlaps: FileOverlap[]
    }

/** The read-only integration tree of a mission (for the Reviewer). */
export interface IntegrationTree {
  path: string
  branch: string
}

/** A worktree or branch a mission leaves behind. */
export interface LeftWorkspace {
  branch: string
  /** Folder of the worktree, when one is left (absent: only the branch is left). */
  path?: string
  /** Task whose work it holds; absent for the integration branch. */
  taskId?: string
  /** Why it is left, e.g. "unmerged: merge conflict in src/a.ts" or "dirty". */
  reason: string
}

export interface FinishWorkspacesOptions {
  missionId: string
  outcome: 'sealed' | 'stopped' | 'failed'
  /** Where a sealed mission's result goes. Ignored unless `outcome` is `sealed`. */
  onSeal: SealLanding
}

/** How a mission's workspaces ended. */
export interface WorkspacesEnd {
  /**
   * Where the result went (sealed missions that had a workspace): `merged` into the user's
   * current branch `into`, or left on `branch` (chosen, or because merging was not safe: `reason`).
   */
  landing?: { kind: 'merged'; branch: string; into: string } | { kind: 'branch'; branch: string; reason?: string }
  /** Worktrees and branches left behind (never removed when dirty or unmerged). */
  left: LeftWorkspace[]
}

export interface AdoptWorkspacesOptions {
  missionId: string
  /** Workspaces journaled with the mission's tasks, and the state of each task. */
  tasks: Array<{ taskId: string; workspace: TaskWorkspace; status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' }>
}

/**
 * Task workspaces of every mission of one project. Calls for one mission are made by one engine;
 * an implementation serialises what must not run at once (git's worktree commands).
 */
export interface TaskWorkspaces {
  /** Whether isolation works here (a git repository with a commit). Cheap after the first call. */
  availability(): Promise<WorkspaceAvailability>
  /**
   * Provisions a workspace for a writing task before its session exists: a folder from the pool
   * (or a new one) on a new branch at the integration point. `undefined`: the task runs in the
   * project folder (isolation unavailable).
   */
  prepare(options: PrepareWorkspaceOptions): Promise<TaskWorkspace | undefined>
  /**
   * Brings a task's work back after its session ended, before its parent hears of the end:
   * commits what the task left, merges its branch into the integration branch (no fast-forward),
   * and on a conflict aborts the merge and keeps both branches. The folder goes back to the pool
   * when it is clean and merged. Never throws for a conflict; throws only when git itself fails.
   */
  settle(options: SettleWorkspaceOptions): Promise<WorkspaceSettlement>
  /**
   * Provisions up to `count` pooled folders ahead of the first tasks (while the Planner plans) and
   * returns their paths, so the host can boot its instance for each.
   */
  warm?(options: { missionId: string; count: number }): Promise<string[]>
  /** The mission's integration tree (read-only roles run there), once the mission has one. */
  integration(options: { missionId: string }): Promise<IntegrationTree | undefined>
  /**
   * Ends a mission's workspaces: merged, clean folders are removed; dirty or unmerged ones and
   * their branches are kept and listed. A sealed mission's integration branch lands per `onSeal`.
   */
  finish(options: FinishWorkspacesOptions): Promise<WorkspacesEnd>
  /** Worktrees and branches a mission has now (for status). */
  list(options: { missionId: string }): Promise<LeftWorkspace[]>
  /** Takes over the journaled workspaces of a mission after a restart (or a resume). Idempotent. */
  adopt(options: AdoptWorkspacesOptions): Promise<void>
}
