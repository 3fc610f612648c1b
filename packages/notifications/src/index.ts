export { createNotifier } from './notifier'
export type { CreateNotifierOptions, Notifier, OsNotifier } from './notifier'
export { createMissionProgress } from './mission-progress'
export type { MissionProgress, ProgressCounts } from './mission-progress'
export { formatProgress } from './format-progress'
// The words live in core (one place for every text); re-exported for existing users.
export { TOAST_MESSAGE_LIMIT, describeRecoveryGiveUp, describeRecoveryStart, readableReason, truncateText } from '@opencode-orchestrator/core'
export type { RecoveryContext } from '@opencode-orchestrator/core'
