import type {
  FileOverlap,
  LeftWorkspace,
  TaskWorkspace,
  TaskWorkspaces,
  WorkspaceAvailability,
  WorkspacesEnd,
  WorkspaceSettlement,
} from '@opencode-orchestrator/core'

/** What a task's work does to the repository, by task title. */
export interface FakeTaskChange {
  /** Files the task changes. None: its worktree comes back unchanged. */
  files: string[]
  /** Its merge conflicts (with the tasks that merged these files before). */
  conflict?: boolean
}

export interface FakeTaskWorkspaces extends TaskWorkspaces {
  /** Every call, in order, with the task it concerns. */
  readonly calls: Array<{ method: keyof TaskWorkspaces; missionId: string; taskId?: string; status?: string }>
  /** What the task titled `title` changes. Unscripted tasks change nothing. */
  script(title: string, change: FakeTaskChange): void
}

/**
 * An in-memory {@link TaskWorkspaces} for engine simulations: worktrees are names, merges are
 * scripted per task title, and every call is recorded. The git implementation has its own tests.
 */
export function createFakeTaskWorkspaces(options: { availability?: WorkspaceAvailability; root?: string } = {}): FakeTaskWorkspaces {
  const root = options.root ?? '/fake/project/.git/orchestrator/worktrees'
  const changes = new Map<string, FakeTaskChange>()
  const calls: FakeTaskWorkspaces['calls'] = []
  const missions = new Map<string, { integration: boolean; touched: Map<string, string[]>; slots: number; kept: LeftWorkspace[] }>()
  const missionOf = (missionId: string) => {
    let mission = missions.get(missionId)
    if (!mission) missions.set(missionId, (mission = { integration: false, touched: new Map(), slots: 0, kept: [] }))
    return mission
  }
  const overlapsOf = (touched: Map<string, string[]>, files: readonly string[], taskId: string): FileOverlap[] =>
    files.flatMap((file) => {
      const tasks = [...new Set([...(touched.get(file) ?? []), taskId])]
      return tasks.length > 1 ? [{ file, taskIds: tasks }] : []
    })
  return {
    calls,
    script: (title, change) => void changes.set(title, change),
    async availability() {
      return options.availability ?? { available: true }
    },
    async prepare({ missionId, taskId }) {
      calls.push({ method: 'prepare', missionId, taskId })
      if (options.availability?.available === false) return undefined
      const mission = missionOf(missionId)
      mission.integration = true
      mission.slots++
      const workspace: TaskWorkspace = { path: `${root}/${missionId}/w${mission.slots}`, branch: `orchestrator/${missionId}--${taskId}`, base: 'abc1234', slot: `w${mission.slots}` }
      return workspace
    },
    async settle({ missionId, taskId, workspace, status, title }): Promise<WorkspaceSettlement> {
      calls.push({ method: 'settle', missionId, taskId, status })
      const mission = missionOf(missionId)
      const change = changes.get(title) ?? { files: [] }
      if (change.files.length === 0) return { kind: 'unchanged', overlaps: [] }
      const overlaps = overlapsOf(mission.touched, change.files, taskId)
      if (status !== 'completed') {
        const reason = `the task ${status}; its work is committed on ${workspace.branch}, not merged`
        mission.kept.push({ branch: workspace.branch, path: workspace.path, taskId, reason })
        return { kind: 'kept', reason, branch: workspace.branch, path: workspace.path, overlaps }
      }
      if (change.conflict) {
        const withTaskIds = [...new Set(change.files.flatMap((file) => mission.touched.get(file) ?? []))]
        mission.kept.push({ branch: workspace.branch, path: workspace.path, taskId, reason: 'merge conflict' })
        return { kind: 'conflict', files: change.files, withTaskIds, branch: workspace.branch, overlaps }
      }
      for (const file of change.files) mission.touched.set(file, [...(mission.touched.get(file) ?? []), taskId])
      return { kind: 'merged', files: change.files, commit: 'def5678', overlaps }
    },
    async warm({ missionId, count }) {
      calls.push({ method: 'warm', missionId })
      const mission = missionOf(missionId)
      mission.integration = true
      return Array.from({ length: count }, (_, index) => `${root}/${missionId}/w${index + 1}`)
    },
    async integration({ missionId }) {
      calls.push({ method: 'integration', missionId })
      return missionOf(missionId).integration ? { path: `${root}/${missionId}/integration`, branch: `orchestrator/${missionId}` } : undefined
    },
    async finish({ missionId, outcome, onSeal }): Promise<WorkspacesEnd> {
      calls.push({ method: 'finish', missionId, status: outcome })
      const mission = missionOf(missionId)
      const branch = `orchestrator/${missionId}`
      const merged = mission.touched.size > 0
      const left = [...mission.kept]
      if (outcome !== 'sealed') {
        if (merged) left.push({ branch, reason: `not landed because the mission ${outcome}` })
        return { left }
      }
      if (!merged) return { left }
      return onSeal === 'merge' ? { landing: { kind: 'merged', branch, into: 'main' }, left } : { landing: { kind: 'branch', branch }, left: [...left, { branch, reason: "the mission's result" }] }
    },
    async list({ missionId }) {
      calls.push({ method: 'list', missionId })
      return [...missionOf(missionId).kept]
    },
    async adopt({ missionId, tasks }) {
      calls.push({ method: 'adopt', missionId, status: tasks.map((task) => `${task.taskId}:${task.status}`).join(',') })
      missionOf(missionId).integration = true
    },
  }
}
