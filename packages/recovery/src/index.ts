export { classifyError, parseRetryAfter } from './classify-error'
export { classifyStatus } from './classify-status'
export { messageError } from './message-error'
export type { HostRetryStatus } from './classify-status'
export type { Classification, ClassificationContext, HostHandling } from './classification'
export { backoffDelay } from './backoff'
export type { BackoffDelayOptions } from './backoff'
export { DEFAULT_RECOVERY_CONFIG, parseModelString, validateRecoveryConfig } from './recovery-config'
export type { BackoffConfig, CircuitBreakerConfig, RecoveryConfig } from './recovery-config'
export { createCircuitBreaker } from './circuit-breaker'
export type {
  CircuitBreaker,
  CircuitState,
  CircuitTransition,
  CreateCircuitBreakerOptions,
  DispatchGate,
  DispatchGateRequest,
  DispatchGateResult,
} from './circuit-breaker'
export { authUserMessage, createRecoveryPolicy } from './recovery-policy'
export type { CreateRecoveryPolicyOptions, RecoveryAction, RecoveryDecision, RecoveryDecisionInput, RecoveryPolicy } from './recovery-policy'
export { createRecoveryCoordinator } from './recovery-coordinator'
export type { CreateRecoveryCoordinatorOptions, FatalCause, ManagedSession, RecoveryCoordinator } from './recovery-coordinator'
