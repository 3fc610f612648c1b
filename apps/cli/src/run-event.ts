import type { MissionState, TaskStatus } from '@opencode-orchestrator/core'

/** Where a mission's files are, for the final line and the JSON output. */
export interface RunFiles {
  /** The project the mission worked in. */
  directory: string
  journal: string
  todo: string
  /** Present once the report exists on disk. */
  report?: string
}

/** Display state of a running mission: what the progress line and `progress` JSON lines show. */
export interface ProgressSnapshot {
  missionId: string | undefined
  /** `starting` until the mission's journal exists. */
  state: MissionState | 'starting'
  todos: { verified: number; total: number; failed: number }
  /** Worker tasks; other roles are in `agents`. */
  workers: { running: number; queued: number }
  /** Running tasks per agent (planner, worker, reviewer). */
  agents: Record<string, number>
  /** Delegated tasks that have ended (any outcome). */
  tasksEnded?: number
  /** Sessions waiting on a retry right now (OpenCode's own retries), and orchestrator recovery notices so far. */
  recoveries: { inProgress: number; notices: number }
  /** Tokens of every session of the mission (input + output + reasoning). */
  tokens: number
  elapsedMs: number
}

/**
 * One line of `orchestrator run --json`. Every line is one JSON object with a
 * `type` and `at` (epoch ms); consumers switch on `type` and ignore types they
 * do not know.
 */
export type RunEvent =
  | {
      type: 'mission-start'
      missionId: string
      sessionId: string
      goal: string
      directory: string
      server: { url: string; pid: number | undefined }
      demo: boolean
    }
  | ({ type: 'progress' } & ProgressSnapshot)
  | { type: 'task-start'; taskId: string; agent: string; title: string; todoIds: string[]; sessionId?: string }
  | { type: 'task-end'; taskId: string; agent: string; title: string; status: TaskStatus; error?: string; durationMs?: number }
  | {
      type: 'tool'
      /** `write` / `edit` (a file changed), `bash`, `orchestrator_bg_run` (a background command started). */
      tool: string
      sessionId: string
      /** The agent of the session, when the journal already names it. */
      agent?: string
      /** The file (relative to the project) or the command. */
      target: string
    }
  | {
      type: 'recovery'
      /** `host-retry`: OpenCode retries a model call; `orchestrator`: the plugin's recovery notice. */
      source: 'host-retry' | 'orchestrator'
      sessionId?: string
      attempt?: number
      message: string
    }
  | {
      type: 'mission-end'
      missionId: string | undefined
      state: MissionState | 'interrupted'
      reason: string
      exitCode: number
      elapsedMs: number
      todos: { verified: number; total: number; failed: number }
      tokens: number
      files?: RunFiles
    }
  | { type: 'error'; code: string; message: string; exitCode: number }

export type RunEventType = RunEvent['type']

/** One JSON Lines record: the event with its time, no newline inside (JSON.stringify escapes them). */
export function formatJsonLine(event: RunEvent, at: number): string {
  return `${JSON.stringify({ ...event, at })}\n`
}
