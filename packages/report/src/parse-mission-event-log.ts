import { z } from 'zod'
import type { MissionEventLogEntry } from './mission-event-log-entry'
import { isMissionEventLogType } from './mission-event-log-entry'

/** A line of an event log that could not be read. The other lines are still used. */
export interface MissionEventLogProblem {
  /** 1-based line number in the file. */
  line: number
  /** What is wrong with the line, naming the field when one is at fault. */
  message: string
}

export interface ParsedMissionEventLog {
  /** Every readable line, in file order. */
  entries: MissionEventLogEntry[]
  /** One entry per skipped line. */
  problems: MissionEventLogProblem[]
}

/** Built on first use: constructing zod schemas costs milliseconds at import, and only `orchestrator report` parses event logs. */
function buildEntrySchema() {
  const missionState = z.enum(['planning', 'dispatching', 'waiting', 'reviewing', 'sealed', 'stopped', 'failed'])
  const budget = z.enum(['iterations', 'wallTime', 'childSessions', 'depth', 'breadth', 'tokens', 'cost'])
  const recoveryKind = z.enum(['rate-limit', 'overloaded', 'server', 'context-overflow', 'output-length', 'auth', 'aborted', 'tool-history', 'unknown'])
  const at = z.number()
  const task = {
    at,
    missionId: z.string(),
    taskId: z.string(),
    agent: z.string(),
    title: z.string(),
    sessionId: z.string().optional(),
  }

  // Unknown extra fields are tolerated (a newer writer may add some); missing or mistyped ones are not.
  const entrySchema = z.discriminatedUnion('type', [
    z.object({ type: z.literal('mission-start'), at, missionId: z.string(), rootSessionId: z.string(), goal: z.string() }),
    z.object({ type: z.literal('mission-transition'), at, missionId: z.string(), from: missionState, to: missionState, reason: z.string().optional() }),
    z.object({ type: z.literal('mission-continue'), at, missionId: z.string(), iteration: z.number(), reason: z.string() }),
    z.object({ type: z.literal('mission-wake'), at, missionId: z.string(), sessionId: z.string(), taskIds: z.array(z.string()) }),
    z.object({ type: z.literal('mission-seal'), at, missionId: z.string(), todoCount: z.number(), verifiedCount: z.number() }),
    z.object({ type: z.literal('mission-stop'), at, missionId: z.string(), reason: z.string(), budget: budget.optional() }),
    z.object({ type: z.literal('mission-fail'), at, missionId: z.string(), reason: z.string(), errorName: z.string().optional() }),
    z.object({ type: z.literal('task-start'), ...task }),
    z.object({
      type: z.literal('task-end'),
      ...task,
      status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
      error: z.string().optional(),
    }),
    z.object({ type: z.literal('budget-exceed'), at, missionId: z.string(), budget, limit: z.number(), value: z.number() }),
    z.object({
      type: z.literal('recovery-start'),
      at,
      missionId: z.string().optional(),
      sessionId: z.string(),
      kind: recoveryKind,
      action: z.string(),
      reason: z.string(),
      attempt: z.number(),
      delayMs: z.number().optional(),
    }),
    z.object({
      type: z.literal('recovery-end'),
      at,
      missionId: z.string().optional(),
      sessionId: z.string(),
      kind: recoveryKind,
      outcome: z.enum(['recovered', 'gave-up', 'skipped']),
      reason: z.string(),
    }),
  ])
  return entrySchema
}

let entrySchema: ReturnType<typeof buildEntrySchema> | undefined

/**
 * Reads a mission's `events.jsonl`. Lines that are not JSON, or not an event
 * the log knows, are skipped and listed in `problems` with their line number,
 * so one torn line (a crash mid-append) never costs the rest of the log.
 */
export function parseMissionEventLog(text: string): ParsedMissionEventLog {
  const entries: MissionEventLogEntry[] = []
  const problems: MissionEventLogProblem[] = []
  const lines = text.split('\n')
  for (const [index, raw] of lines.entries()) {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed.length === 0) continue
    let value: unknown
    try {
      value = JSON.parse(trimmed)
    } catch (error) {
      problems.push({ line, message: `not valid JSON (${error instanceof Error ? error.message : String(error)}); the line was probably cut off by a crash` })
      continue
    }
    const type = typeof value === 'object' && value !== null ? (value as { type?: unknown }).type : undefined
    if (typeof type !== 'string') {
      problems.push({ line, message: 'field "type" is missing; every line must be an object with a "type" such as "mission-seal"' })
      continue
    }
    if (!isMissionEventLogType(type)) {
      problems.push({ line, message: `unknown event type ${JSON.stringify(type)}; it was written by a newer orchestrator or by hand` })
      continue
    }
    const parsed = (entrySchema ??= buildEntrySchema()).safeParse(value)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.') || '(line)'
      problems.push({ line, message: `${type} event: field "${field}": ${issue?.message ?? 'invalid'}` })
      continue
    }
    entries.push(parsed.data as MissionEventLogEntry)
  }
  return { entries, problems }
}
