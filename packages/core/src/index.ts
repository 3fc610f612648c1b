export { HOST_PORT_VERSION } from './host'
export type {
  CreateSessionOptions,
  HostError,
  HostEvent,
  HostEventType,
  HostMessage,
  HostPartUpdate,
  HostSession,
  HostSessionStatus,
  HostSessions,
  HostTodo,
  HostToast,
  HostToolCall,
  HostV1,
  ModelRef,
  PermissionRule,
  PromptOptions,
  TokenUsage,
  Unsubscribe,
} from './host'
export { MAX_TIMER_DELAY_MS, createLogger, createMemoryStorage, createRandomIds, createSequentialIds, systemClock } from './ports'
export type {
  Clock,
  IdGenerator,
  Logger,
  LogLevel,
  ProcessExit,
  ProcessHandle,
  ProcessRunner,
  SpawnOptions,
  Storage,
  TimerHandle,
} from './ports'
export { OrchestratorError, errorMessage } from './orchestrator-error'
export type { OrchestratorErrorCode, OrchestratorErrorOptions } from './orchestrator-error'
export { TODO_STATUSES } from './todo'
export type { Todo, TodoAssignee, TodoEvidence, TodoStatus } from './todo'
export { FINAL_TASK_STATUSES, isTaskFinal } from './task'
export { ISOLATION_MODES, SEAL_LANDINGS } from './task-workspaces'
export type {
  AdoptWorkspacesOptions,
  FileOverlap,
  FinishWorkspacesOptions,
  IntegrationTree,
  IsolationMode,
  LeftWorkspace,
  PrepareWorkspaceOptions,
  SealLanding,
  SettleWorkspaceOptions,
  TaskWorkspace,
  TaskWorkspaces,
  WorkspaceAvailability,
  WorkspacesEnd,
  WorkspaceSettlement,
} from './task-workspaces'
export type { Task, TaskStatus } from './task'
export { createEventBus } from './event-bus'
export type { CreateEventBusOptions, EventBus, EventListener, EventMapBase } from './event-bus'
export type { BudgetName, MissionState, OrchestratorEventName, OrchestratorEvents, RecoveryKind } from './events'
export type { ContinuationDecision, ContinuationInput, ContinuationPolicy } from './continuation'
export { FINAL_MISSION_STATES, MISSION_JOURNAL_VERSION, isMissionFinal } from './mission'
export type { MissionBudgets, MissionCounters, MissionEnd, MissionRecord, MissionSession, MissionSnapshot, MissionWorkspaces } from './mission'
export { createMissionJournal, parseMissionJournal } from './mission-journal'
export type { CreateMissionJournalOptions, JournalProblem, MissionJournal } from './mission-journal'
export { defaultMissionPrompts } from './mission-prompts'
export type { MissionPrompts } from './mission-prompts'
export { createUnlimitedDispatcher } from './task-dispatcher'
export type { DispatchLease, DispatchRequest, DispatchTicket, TaskDispatcher } from './task-dispatcher'
export { createMissionEngine } from './mission-engine'
export type {
  ContinuationSettings,
  CreateMissionEngineOptions,
  DelegateOptions,
  MissionEngine,
  ResumeReport,
  MissionEngineStartOptions,
  StartMissionOptions,
  StopMissionOptions,
} from './mission-engine'
export { createConcurrencyKeyResolver, normalizeKeyName } from './concurrency-key'
export type { ConcurrencyKey, ConcurrencyKeyInput, ConcurrencyKeyResolver, ConcurrencyLimits } from './concurrency-key'
export { createScheduler } from './scheduler'
export type {
  DispatchGate,
  DispatchGateDecision,
  DispatchGateRequest,
  MissionLimits,
  Scheduler,
  SchedulerKeyStats,
  SchedulerLease,
  SchedulerLimits,
  SchedulerOptions,
  SchedulerRequest,
  SchedulerStats,
  SchedulerTicket,
  SchedulerTicketStatus,
} from './scheduler'
export { createTaskStore } from './task-store'
export type { TaskArchiveOptions, TaskFilter, TaskStore, TaskStoreOptions, TaskStoreStats } from './task-store'
export { AGENT_NAMES, MAX_DURATION_MS, agentOverrideSchema, defaultConfig, mergeConfigLayers, orchestratorConfigSchema, parseConfig, resolveConfig } from './config'
export type { AgentName, AgentOverride, ConfigIssue, ConfigLayer, OrchestratorConfig, OrchestratorConfigInput, ParseConfigOptions } from './config'
export { configJsonSchema } from './config-json-schema'
export { didYouMean, editDistance } from './did-you-mean'
export { formatDuration } from './format-duration'
export type { FormatDurationOptions } from './format-duration'
export { TOAST_MESSAGE_LIMIT, truncateText } from './truncate-text'
export { missionEngineSettings } from './mission-engine-settings'
export {
  describeContinuations,
  describeEnd,
  describeReportLocation,
  describeState,
  describeTally,
  describeTaskStatus,
  endReasonText,
  tallyMission,
  tallyTasks,
  tallyTodos,
} from './words/describe-mission'
export type { MissionTally } from './words/describe-mission'
export {
  RECOVERY_ACTIONS,
  describeDelay,
  describeFatalTaskNote,
  describeRecoveryEnd,
  describeRecoveryGiveUp,
  describeRecoveryStart,
} from './words/describe-recovery'
export type { RecoveryAction, RecoveryContext } from './words/describe-recovery'
export { asSentence, plural } from './words/sentence'
export {
  describeIsolationFallback,
  describeLeftWorkspaces,
  describeMergeConflict,
  describeTaskSettlement,
  describeWorkspacesEnd,
} from './words/describe-workspaces'
export { readableReason } from './words/readable-reason'
export { MISSION_GOAL_MAX_LENGTH, normalizeMissionGoal } from './mission-goal'
export type { MissionGoalCheck } from './mission-goal'
export { MESSAGE_QUOTE_LIMIT, closestName, truncateForMessage } from './message-text'
