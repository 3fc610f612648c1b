/**
 * Words about worktree isolation (decision 060: texts live in core): what became of a task's
 * worktree, why a mission runs without isolation, and where a mission's result landed.
 */
import type { Task } from '../task'
import type { FileOverlap, LeftWorkspace, WorkspacesEnd, WorkspaceSettlement } from '../task-workspaces'

const LIST_LIMIT = 10

function fileList(files: readonly string[]): string {
  const shown = files.slice(0, LIST_LIMIT).join(', ')
  return files.length > LIST_LIMIT ? `${shown} and ${files.length - LIST_LIMIT} more` : shown
}

function overlapText(overlaps: readonly FileOverlap[]): string {
  return overlaps
    .slice(0, LIST_LIMIT)
    .map((overlap) => `${overlap.file} (${overlap.taskIds.join(', ')})`)
    .join(', ')
}

/** The task error of a merge conflict: which files, with which tasks, and what the Commander can do. */
export function describeMergeConflict(settlement: Extract<WorkspaceSettlement, { kind: 'conflict' }>, taskId: string): string {
  const others = settlement.withTaskIds.length > 0 ? ` with ${settlement.withTaskIds.join(', ')}` : ''
  return (
    `its work could not be merged: merge conflict in ${fileList(settlement.files)}${others}. Nothing was lost: ` +
    `${taskId}'s version is on branch ${settlement.branch}, the merged version on the mission's integration branch. ` +
    `Delegate a worker to resolve it (tell it the files and both versions), or redo the todo.`
  )
}

/**
 * One or two lines about a task's worktree for the parent's wake and the delegate result: files
 * touched by other Workers too (even when git merged them cleanly), work kept on a branch, a conflict.
 * Empty when there is nothing to say (merged without overlap, or no worktree).
 */
export function describeTaskSettlement(task: Pick<Task, 'id' | 'settlement'>): string {
  const settlement = task.settlement
  if (settlement === undefined) return ''
  const parts: string[] = []
  if (settlement.kind === 'kept') parts.push(`Worktree: not merged (${settlement.reason}).`)
  if (settlement.kind === 'conflict') parts.push(`Worktree: merge conflict in ${fileList(settlement.files)}${settlement.withTaskIds.length > 0 ? ` with ${settlement.withTaskIds.join(', ')}` : ''}; its version is on ${settlement.branch}.`)
  if (settlement.overlaps.length > 0) {
    parts.push(
      `Files changed by more than one worker${settlement.kind === 'merged' ? ' (merged cleanly; check they still fit together)' : ''}: ${overlapText(settlement.overlaps)}.`,
    )
  }
  return parts.join(' ')
}

/** The notice when isolation `worktree` cannot work here and Workers share the project folder. */
export function describeIsolationFallback(reason: string): string {
  return `Workers share the project folder (no worktree isolation): ${reason}.`
}

function leftLine(left: LeftWorkspace): string {
  return `${left.branch}${left.path !== undefined ? ` at ${left.path}` : ''}${left.taskId !== undefined ? ` (${left.taskId})` : ''}: ${left.reason}`
}

/** Worktrees and branches a mission has or left, one per line; empty when none. */
export function describeLeftWorkspaces(left: readonly LeftWorkspace[], heading = 'Worktrees and branches left'): string {
  if (left.length === 0) return ''
  return [`${heading} (${left.length}):`, ...left.map((entry) => `- ${leftLine(entry)}`)].join('\n')
}

/** Where a mission's result landed and what it left behind, for the end note. Empty when the mission had no worktrees. */
export function describeWorkspacesEnd(end: WorkspacesEnd): string {
  const lines: string[] = []
  const landing = end.landing
  if (landing?.kind === 'merged') lines.push(`The mission's result was merged into your branch ${landing.into} (from ${landing.branch}).`)
  else if (landing?.kind === 'branch') {
    lines.push(
      landing.reason === undefined
        ? `The mission's result is on branch ${landing.branch} (config onSeal "branch"); review it, then merge it: git merge ${landing.branch}`
        : `The mission's result is on branch ${landing.branch}, not merged into your branch: ${landing.reason}. Merge it when ready: git merge ${landing.branch}`,
    )
  }
  const left = describeLeftWorkspaces(end.left.filter((entry) => landing === undefined || entry.branch !== landing.branch || entry.path !== undefined))
  if (left !== '') lines.push(left)
  return lines.join('\n')
}
