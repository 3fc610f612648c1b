import { OrchestratorError, type MissionState } from '@opencode-orchestrator/core'

/**
 * Exit codes of `orchestrator`. Mission outcomes are small numbers a CI script
 * can branch on; input and environment problems follow BSD `sysexits.h`, so
 * "you typed it wrong" (64) is never confused with "the mission failed" (1).
 */
export const EXIT_CODES = {
  /** `status` and `report` did their job. */
  ok: 0,
  /** The mission was sealed: every todo verified. */
  sealed: 0,
  /** The mission failed (e.g. the provider rejected the API key), or the runner itself broke. */
  failed: 1,
  /** The mission was stopped (budget, stagnation, loop breaker, `/stop` from elsewhere). */
  stopped: 2,
  /** EX_USAGE: unknown command or flag, missing mission text. */
  usage: 64,
  /** EX_DATAERR: a mission journal that cannot be read. */
  dataError: 65,
  /** EX_NOINPUT: no such mission or project directory. */
  noInput: 66,
  /** EX_UNAVAILABLE: OpenCode could not be started or stopped answering. */
  unavailable: 69,
  /** EX_IOERR: a file could not be read or written (permissions, a full disk). */
  ioError: 74,
  /** EX_SOFTWARE: an internal error (a bug in the orchestrator). */
  software: 70,
  /** EX_CONFIG: no model configured, invalid orchestrator config. */
  config: 78,
  /** 128 + SIGINT: the user pressed Ctrl-C and the mission was cancelled. */
  interrupted: 130,
} as const

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]

/** Exit code for a mission that reached a final state. */
export function exitCodeForMission(state: MissionState): ExitCode {
  switch (state) {
    case 'sealed':
      return EXIT_CODES.sealed
    case 'stopped':
      return EXIT_CODES.stopped
    case 'failed':
      return EXIT_CODES.failed
    default:
      // A live state means the runner gave up waiting: the mission did not succeed.
      return EXIT_CODES.failed
  }
}

/** Exit code for an error that ended the command before (or instead of) a mission outcome. */
export function exitCodeForError(error: unknown): ExitCode {
  if (!OrchestratorError.isInstance(error)) return EXIT_CODES.software
  switch (error.code) {
    case 'invalid-argument':
      return EXIT_CODES.usage
    case 'journal-corrupt':
    case 'journal-version':
      return EXIT_CODES.dataError
    case 'mission-not-found':
      return EXIT_CODES.noInput
    case 'config-invalid':
      return EXIT_CODES.config
    case 'host-failed':
      return EXIT_CODES.unavailable
    case 'storage-failed':
      return EXIT_CODES.ioError
    default:
      return EXIT_CODES.software
  }
}

/** True for errors whose message is the whole story: printed without a stack trace. */
export function isExpectedError(error: unknown): boolean {
  return exitCodeForError(error) !== EXIT_CODES.software
}
