/**
 * The mission engine's public contract: its options, the options of its commands and the
 * {@link MissionEngine} interface. Re-exported by `mission-engine.ts` and the package index.
 */
import type { ContinuationPolicy } from '../continuation'
import type { EventBus } from '../event-bus'
import type { BudgetName, MissionState, OrchestratorEvents } from '../events'
import type { HostV1, ModelRef } from '../host'
import type { MissionBudgets, MissionSession, MissionSnapshot } from '../mission'
import type { JournalProblem, MissionJournal } from '../mission-journal'
import type { MissionPrompts } from '../mission-prompts'
import type { Clock, IdGenerator, Logger } from '../ports'
import type { Task } from '../task'
import type { IsolationMode, SealLanding, TaskWorkspaces } from '../task-workspaces'
import type { TaskDispatcher } from '../task-dispatcher'
import type { Todo } from '../todo'

/** Loop settings of the mission engine. */
export interface ContinuationSettings {
  /** Idle turns in a row without todo progress before the mission stops. Default 3. */
  stagnationTurns: number
  /** Minimum ms between two continuations. Default 2000. */
  cooldownMs: number
  /** Longest a wake waits for a busy parent before it is sent anyway (the host queues it). Default 60 000. */
  wakeMaxWaitMs: number
}

export interface CreateMissionEngineOptions {
  host: HostV1
  bus: EventBus<OrchestratorEvents>
  clock: Clock
  ids: IdGenerator
  journal: MissionJournal
  logger: Logger
  /** Decides what happens when the root session ends a turn (todo-engine's `decideContinuation`). */
  policy: ContinuationPolicy
  /** Default budgets of new missions. */
  budgets: MissionBudgets
  continuation: ContinuationSettings
  /** Grants child-session slots (the scheduler). Default: unlimited. */
  dispatcher?: TaskDispatcher
  prompts?: MissionPrompts
  /** Background commands still running for a mission (they hold the loop like running tasks). */
  backgroundCount?: (missionId: string) => number
  /** Agent of the root session. Default `commander`. */
  rootAgent?: string
  /** Ended missions kept in memory for status queries. Default 20. */
  retainEndedMissions?: number
  /** Receives the tasks of an ended mission when it leaves memory (e.g. the task store's archive). */
  onTaskArchive?: (task: Task) => void
  /**
   * Workspaces of writing tasks (a git worktree each). Absent: every task runs in the project
   * folder, as with isolation `none`.
   */
  workspaces?: TaskWorkspaces
  /** Default isolation of writing tasks (config `isolation`). Default `worktree` (used only with `workspaces`). */
  isolation?: IsolationMode
  /** Where a sealed mission's result goes (config `onSeal`). Default `branch`. */
  onSeal?: SealLanding
  /**
   * Worktrees made (and the host's instance for each booted) when a mission starts, while the
   * Planner plans, so the first Workers do not wait for them: the Worker concurrency. Default 0.
   */
  warmWorktrees?: number
  /**
   * Stops what a task left running in its worktree (the plugin: its session's background commands)
   * before the worktree is committed, merged and reused. Errors are logged; the settle goes on.
   */
  stopTaskWork?: (task: Readonly<Task>) => Promise<void>
}

export interface StartMissionOptions {
  rootSessionId: string
  goal: string
  /** Model the user pinned; recovery never replaces it. */
  pinnedModel?: ModelRef
  /** Overrides of the default budgets for this mission. */
  budgets?: Partial<MissionBudgets>
  /** Text to send to the root session now. Omit when the host already sends the first prompt (a `/task` command). */
  kickoff?: string
  /** The host is about to deliver a user message that starts the mission (the command text): do not treat it as the user steering. */
  expectUserMessage?: boolean
}

export interface DelegateOptions {
  /** Session that delegates (the Commander's, or a child's). */
  sessionId: string
  agent: string
  title: string
  prompt: string
  todoIds?: string[]
  priority?: number
  model?: ModelRef
  /** Wake the parent with the result when the task ends. Default true; false when the caller waits for it. */
  notifyParent?: boolean
  /** Overrides the engine's isolation for this task (writing roles only; read-only roles never get a worktree). */
  isolation?: IsolationMode
}

export interface StopMissionOptions {
  reason: string
  /** `failed` for fatal errors; default `stopped`. */
  outcome?: 'stopped' | 'failed'
  budget?: BudgetName
  /** Who stopped it: `user` (a command, Esc; the default) or `orchestrator` (its own rule, e.g. a loop breaker). Carried on `mission-stop`. */
  by?: 'user' | 'orchestrator'
  /**
   * The session whose error ends the mission (e.g. a Worker whose provider rejected the API key):
   * its task is recorded as failed with this error, not as cancelled by the stop.
   */
  cause?: { sessionId: string; error: { code: string; message: string } }
}

export interface ResumeReport {
  adopted: string[]
  stale: string[]
  problems: JournalProblem[]
}

export interface MissionEngineStartOptions {
  /**
   * Called for each mission adopted from the journal, before the engine prompts any of its sessions
   * again: a line written here into the root session lands before the resume prompt, never inside the
   * resumed turn. A rejection is logged and the mission resumes all the same.
   */
  onAdopt?: (mission: MissionSnapshot) => Promise<void>
}

export interface MissionEngine {
  /** Subscribes to the host and adopts journaled missions. Call once. */
  start(options?: MissionEngineStartOptions): Promise<ResumeReport>
  startMission(options: StartMissionOptions): MissionSnapshot
  /** Queues a child task and returns at once; the child starts when a slot is free. */
  delegate(options: DelegateOptions): Task
  /**
   * Resolves with the tasks once all of them have ended (or the mission ended). When the mission ended
   * stopped or failed, only after the aborts of its sessions were sent: a caller waiting inside a turn
   * (the Commander's delegate call) must not get a result its turn could still answer with a model step.
   */
  waitForTasks(taskIds: readonly string[]): Promise<Task[]>
  /**
   * The caller that would have received this task's result in-process (a delegate call, `notifyParent:
   * false`) is gone, e.g. OpenCode aborted the call while the mission goes on: the task's end wakes its
   * parent session like any other. A no-op for an ended task.
   */
  wakeParentOnEnd(taskId: string): void
  cancelTask(taskId: string, reason: string): Promise<void>
  /** Ends a mission at once: queued work dropped, every descendant session aborted. */
  stopMission(missionId: string, options: StopMissionOptions): Promise<void>
  /** Clears a pause (the user wrote to the Commander, or {@link pauseMission}) and lets the loop continue. */
  resumeMission(missionId: string): void
  /**
   * The next user message in this mission's root session is the host adapter's own note (e.g. "resumed
   * after a restart"), not the user taking over: it does not pause the loop. A no-op outside a running mission.
   */
  expectOwnRootMessage(missionId: string): void
  /**
   * Holds the mission: no continuation, wake or seal until {@link resumeMission} (e.g. `/task`
   * without text), for a failure the mission cannot run through, such as a journal that cannot
   * be written. Running work finishes its turn; `missionStateOf` reports the hold so tools can
   * refuse new work. A no-op for an ended mission or one already held for the same reason.
   */
  pauseMission(missionId: string, reason: string): void
  /** Re-evaluates the loop after outside work ended (e.g. a background command); a no-op while the root is busy. */
  recheck(missionId: string): void
  /** Replaces the mission's todos (validated by the caller, e.g. todo-engine). */
  setTodos(missionId: string, todos: readonly Todo[]): MissionSnapshot
  getMission(missionId: string): MissionSnapshot | undefined
  /** The mission a session belongs to (root or any descendant). */
  missionForSession(sessionId: string): MissionSnapshot | undefined
  /** Role of a session inside its mission. */
  sessionRole(sessionId: string): MissionSession | undefined
  /**
   * The state of the mission a session belongs to, without copying the mission record:
   * for hot paths (the guard runs on every tool call) where `missionForSession` is too dear.
   */
  missionStateOf(sessionId: string): { missionId: string; state: MissionState; endReason?: string; heldReason?: string } | undefined
  listMissions(): MissionSnapshot[]
  getTask(taskId: string): Task | undefined
  /** Stops listening, clears timers and waits for the journal. Missions stay journaled for the next start. */
  dispose(): Promise<void>
}
