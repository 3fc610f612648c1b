/** The recovery coordinator's public contract: its options and what it is told about sessions. */
import type { Clock, EventBus, HostV1, Logger, ModelRef, OrchestratorEvents, RecoveryKind } from '@opencode-orchestrator/core'
import type { CircuitBreaker } from '../circuit-breaker'
import type { RecoveryPolicy } from '../recovery-policy'

/** What the coordinator needs to know about a session that belongs to a mission. */
export interface ManagedSession {
  missionId: string
  /** Agent role of the session (`commander`, `planner`, `worker`, `reviewer`); re-prompts run as this agent. */
  role: string
  /** Text that restates the session's role and plan; sent whenever recovery re-prompts the session. */
  resumePrompt(): string
  /** Model the user pinned for this role: a fallback never replaces it. */
  pinnedModel?: ModelRef
}

/** Where a fatal error happened. */
export interface FatalCause {
  sessionId: string
  /** The classified error, e.g. `auth`. */
  kind: RecoveryKind
  /** The host's error text, when it had one. */
  message?: string
}

export interface CreateRecoveryCoordinatorOptions {
  host: HostV1
  /** Receives `recovery-start` / `recovery-end`. */
  bus: EventBus<OrchestratorEvents>
  /** All delays run on this clock. */
  clock: Clock
  policy: RecoveryPolicy
  /** Fed with every provider failure and success seen on managed sessions. */
  breaker: CircuitBreaker
  logger: Logger
  /** Returns the mission role of a session, or `undefined` for sessions outside a mission (never touched). */
  isManaged: (sessionId: string) => ManagedSession | undefined
  /**
   * Whether the host compacts an overflowing session by itself (OpenCode's `compaction.auto`, default
   * true). When false, recovery does not announce the host's compaction: it compacts at the idle.
   */
  hostCompacts?: () => boolean
  /**
   * Called once when a mission must stop (auth errors); `userMessage` says what the user has to fix,
   * `cause` names the session whose error it was (so its task can be marked failed and its parent told).
   */
  onFatal: (missionId: string, userMessage: string, cause: FatalCause) => void
  /**
   * After a context overflow, how long to wait for the host's own compaction before checking
   * whether it will come at all, in ms (default 30 000). While the session is still busy the
   * wait is extended, up to `compactionMaxWaitMs`.
   */
  compactionWaitMs?: number
  /** Longest total wait for the host's compaction before recovery gives up, in ms (default 600 000). */
  compactionMaxWaitMs?: number
  /** Messages read to check whether work resumed after a compaction (default 20). */
  messageWindow?: number
}

export interface RecoveryCoordinator {
  /** Stops listening, cancels pending re-prompts and closes open recoveries as `skipped`. */
  dispose(): void
}
