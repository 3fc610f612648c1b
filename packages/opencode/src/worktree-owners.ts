import { isAbsolute, relative, resolve } from 'node:path'
import type { Hooks } from '@opencode-ai/plugin'

/**
 * What an orchestrator lends the copy of its plugin that OpenCode loads for one of its Workers'
 * worktrees. OpenCode 1.18.33 boots an instance per directory and loads every plugin again there;
 * that instance's events, tool calls and config reach only that copy (measured,
 * docs/opencode-worktree-facts.md). The copy runs no orchestrator of its own: it forwards.
 */
export interface WorktreeOwner {
  /** Instance id of the owning orchestrator, for logs. */
  readonly instance: string
  /** Hooks the copy returns, built for the worktree it serves (`directory`). */
  hooksFor(directory: string): Hooks
}

/**
 * Directory → owning orchestrator, shared by every instance one plugin function creates
 * (docs/decisions/088). It lives in the closure of `createOrchestratorPlugin()`, not in a module
 * global: the bundle's default export is one plugin function, which OpenCode calls once per
 * directory in the same process, so the copies of one plugin meet here, and a second, separately
 * loaded copy of the bundle (another path) has a registry of its own and stays out of it.
 */
export interface WorktreeOwners {
  /** Marks `directory` as served by `owner` (before OpenCode first boots an instance there). */
  claim(directory: string, owner: WorktreeOwner): void
  /** Forgets the claim, only if `owner` still holds it. */
  unclaim(directory: string, owner: WorktreeOwner): void
  /**
   * Marks every directory below `root` as served by `owner` (its repository's
   * `<git-common-dir>/orchestrator/worktrees`). Needed after a restart: OpenCode boots a worktree's
   * instance as soon as a session there is read (`session.get` without a directory, measured),
   * before the host could claim that session's directory.
   */
  claimTree(root: string, owner: WorktreeOwner): void
  /** Forgets a tree claim, only if `owner` still holds it. */
  unclaimTree(root: string, owner: WorktreeOwner): void
  /** The owner of a directory, if any. */
  ownerOf(directory: string): WorktreeOwner | undefined
}

export function createWorktreeOwners(): WorktreeOwners {
  const owners = new Map<string, WorktreeOwner>()
  const trees = new Map<string, WorktreeOwner>()
  return {
    claimTree(root, owner) {
      trees.set(resolve(root), owner)
    },
    unclaimTree(root, owner) {
      const key = resolve(root)
      if (trees.get(key) === owner) trees.delete(key)
    },
    claim(directory, owner) {
      owners.set(resolve(directory), owner)
    },
    unclaim(directory, owner) {
      const key = resolve(directory)
      if (owners.get(key) === owner) owners.delete(key)
    },
    ownerOf(directory) {
      const path = resolve(directory)
      const exact = owners.get(path)
      if (exact) return exact
      for (const [root, owner] of trees) {
        const rest = relative(root, path)
        if (rest !== '' && !rest.startsWith('..') && !isAbsolute(rest)) return owner
      }
      return undefined
    },
  }
}

/**
 * Whether a directory is a worktree the orchestrator made (`<git-common-dir>/orchestrator/worktrees/…`,
 * the git folder being `.git` or a bare repository's `name.git`).
 * A plugin copy loaded there with no owner in this process (a second OpenCode opened on it, or an
 * instance booted after its orchestrator went away) must stay inactive: never start a mission
 * engine there, take a lock there, or write state files into it.
 */
export function isOrchestratorWorktree(directory: string): boolean {
  // Below a git folder (`.git`, or a bare repository's `name.git`): a project of the user's that merely has
  // folders named orchestrator/worktrees is not one.
  return /[/\\][^/\\]*\.git[/\\]orchestrator[/\\]worktrees[/\\][^/\\]+[/\\][^/\\]+/.test(resolve(directory))
}
