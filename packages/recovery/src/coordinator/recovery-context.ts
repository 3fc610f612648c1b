/**
 * What every part of the recovery coordinator is created with: the ports and resolved options, the
 * {@link SessionStates}, and {@link RecoveryOps}, the functions the parts offer each other (each part
 * takes only the ones it calls, wired by `createRecoveryCoordinator`).
 */
import type { Clock, EventBus, HostV1, Logger, ModelRef, OrchestratorEvents, RecoveryKind } from '@opencode-orchestrator/core'
import type { Classification, ClassificationContext } from '../classification'
import type { CircuitBreaker } from '../circuit-breaker'
import type { RecoveryDecision, RecoveryPolicy } from '../recovery-policy'
import type { CreateRecoveryCoordinatorOptions, ManagedSession } from './coordinator-types'
import type { SessionState, SessionStates } from './session-state'

export interface RecoveryContext {
  options: CreateRecoveryCoordinatorOptions
  host: HostV1
  bus: EventBus<OrchestratorEvents>
  clock: Clock
  policy: RecoveryPolicy
  breaker: CircuitBreaker
  /** The coordinator's child logger (`component: recovery`). */
  logger: Logger
  compactionWaitMs: number
  compactionMaxWaitMs: number
  messageWindow: number
  sessions: SessionStates
  /** Clears the session's timer and its pending re-prompt. */
  cancelTimer(state: SessionState): void
}

/** The functions the parts call on each other. */
export interface RecoveryOps {
  /** episodes.ts */
  start(state: SessionState, managed: ManagedSession, classification: Classification, details: { action: string; reason: string; attempt: number; delayMs?: number }): void
  end(state: SessionState, outcome: OrchestratorEvents['recovery-end']['outcome'], reason: string, fallback?: { missionId: string; kind: RecoveryKind }): void
  hostResumed(state: SessionState, reason: string): void
  recovered(state: SessionState, reason: string): void
  /** recovery-actions.ts */
  background(state: SessionState, what: string, work: (isCurrent: () => boolean) => Promise<void>): void
  prompt(state: SessionState, managed: ManagedSession, classification: Classification, model?: ModelRef): Promise<void>
  beginOwnTurn(state: SessionState): void
  sendPrompt(state: SessionState, managed: ManagedSession, classification: Classification, model?: ModelRef): void
  apply(state: SessionState, managed: ManagedSession, classification: Classification, decision: RecoveryDecision): void
  decide(state: SessionState, managed: ManagedSession, classification: Classification, extra?: { hostCompacted?: boolean; hostRetrying?: boolean }): RecoveryDecision
  context(state: SessionState): ClassificationContext
  /** overflow-watch.ts */
  awaitCompaction(state: SessionState, managed: ManagedSession, classification: Classification): void
  compactOurselves(state: SessionState): void
  verifyResume(state: SessionState, managed: ManagedSession): void
}
