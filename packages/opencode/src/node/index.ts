export { TEMPORARY_FILE_PREFIX, createFileStorage } from './file-storage'
export type { CreateFileStorageOptions } from './file-storage'
export { resolveStoragePath } from './storage-path'
export type { ResolveStoragePathOptions } from './storage-path'
export { createOutputRingBuffer } from './output-ring-buffer'
export type { OutputReadOptions, OutputRingBuffer, OutputSlice } from './output-ring-buffer'
export { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_OUTPUT_BYTES, createProcessRunner } from './process-runner'
export type { CreateProcessRunnerOptions, NodeProcessRunner } from './process-runner'
export type { GroupSignal } from './process-group'
export { createBackgroundManager } from './background-manager'
export type {
  BackgroundJob,
  BackgroundJobStatus,
  BackgroundListFilter,
  BackgroundManager,
  BackgroundOutput,
  BackgroundRunOptions,
  CreateBackgroundManagerOptions,
} from './background-manager'
export { createBackgroundLedger } from './background-ledger'
export type { BackgroundLedger, BackgroundLedgerProcesses, CreateBackgroundLedgerOptions, LedgerJob, ReapedJob } from './background-ledger'
export { isSameProcessAlive, readProcessIdentity } from './process-identity'
export type { ProcessIdentity } from './process-identity'
export { acquireInstanceLock } from './instance-lock'
export type { AcquireInstanceLockOptions, InstanceLockOwner, InstanceLockResult } from './instance-lock'
export { createShellConfinement, landsInside, realLanding } from './shell-confinement'
export type { CreateShellConfinementOptions, ShellConfinement, ShellConfinementContext } from './shell-confinement'
export { createShellPermissionAnalyzer } from './shell-permission'
export type {
  CreateShellPermissionAnalyzerOptions,
  ShellPermissionAnalyzer,
  ShellPermissionContext,
  ShellPermissionRequest,
} from './shell-permission'
export { createNodeGitRunner } from './worktrees/git-runner'
export type { CreateNodeGitRunnerOptions, GitResult, GitRunOptions, GitRunner } from './worktrees/git-runner'
export { createGitTaskWorkspaces, integrationBranchOf, taskBranchOf } from './worktrees/git-task-workspaces'
export type { CreateGitTaskWorkspacesOptions } from './worktrees/git-task-workspaces'
