import { OrchestratorError, TODO_STATUSES } from '@opencode-orchestrator/core'
import { z } from 'zod'
import { MISSION_TIMELINE_VERSION, type MissionTimeline } from './mission-timeline'

/** Built on first use: constructing zod schemas costs milliseconds at import, and only `orchestrator report` parses timelines. */
function buildTimelineSchema() {
  const missionState = z.enum(['planning', 'dispatching', 'waiting', 'reviewing', 'sealed', 'stopped', 'failed'])
  const time = z.number()

  const timelineSchema = z.object({
    version: z.literal(MISSION_TIMELINE_VERSION),
    generatedAt: time,
    start: time,
    end: time,
    mission: z.object({
      id: z.string().min(1),
      goal: z.string(),
      state: missionState,
      rootSessionId: z.string(),
      createdAt: time,
      endedAt: time.optional(),
      endReason: z.string().optional(),
      endBudget: z.enum(['iterations', 'wallTime', 'childSessions', 'depth', 'breadth', 'tokens', 'cost']).optional(),
      iterations: z.number(),
      tokens: z.number(),
      costUsd: z.number(),
      childSessions: z.number(),
    }),
    todos: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        status: z.enum(TODO_STATUSES),
        dependsOn: z.array(z.string()),
        assigneeAgent: z.string().optional(),
        evidence: z.object({ summary: z.string(), reviewerSessionId: z.string().optional(), recordedAt: time }).optional(),
        note: z.string().optional(),
      }),
    ),
    tasks: z.array(
      z.object({
        id: z.string(),
        agent: z.string(),
        title: z.string(),
        status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']),
        todoIds: z.array(z.string()),
        sessionId: z.string().optional(),
        createdAt: time,
        startedAt: time.optional(),
        endedAt: time.optional(),
        error: z.string().optional(),
        result: z.string().optional(),
      }),
    ),
    lanes: z.array(
      z.object({
        sessionId: z.string(),
        agent: z.string(),
        label: z.string(),
        depth: z.number().int().min(0),
        parentSessionId: z.string().optional(),
        taskId: z.string().optional(),
        source: z.enum(['messages', 'task', 'mission']),
        spans: z.array(
          z.object({
            kind: z.enum(['turn', 'tool', 'session']),
            start: time,
            end: time,
            label: z.string(),
            status: z.enum(['ok', 'error', 'open', 'cancelled']),
            detail: z.string().optional(),
          }),
        ),
        turns: z.number(),
        toolCalls: z.number(),
        errors: z.number(),
        tokens: z.number(),
        costUsd: z.number(),
      }),
    ),
    markers: z.array(
      z.object({
        kind: z.enum(['recovery-start', 'recovery-end', 'mission-continue', 'mission-wake', 'mission-seal', 'mission-stop', 'mission-fail']),
        at: time,
        sessionId: z.string().optional(),
        label: z.string(),
        detail: z.string().optional(),
      }),
    ),
    phases: z.array(z.object({ state: missionState, start: time, end: time })),
    notes: z.array(z.string()),
    worktrees: z
      .object({
        landing: z.string().optional(),
        fallback: z.string().optional(),
        left: z.array(z.object({ branch: z.string(), path: z.string().optional(), taskId: z.string().optional(), reason: z.string() })),
      })
      .optional(),
  })
  return timelineSchema
}

let timelineSchema: ReturnType<typeof buildTimelineSchema> | undefined

/**
 * Reads a saved `timeline.json` (written by the plugin at the end of a
 * mission) so a report can be rendered again without the server.
 *
 * @param source Name used in error messages, e.g. the file's path.
 * @throws OrchestratorError `journal-corrupt` naming the first bad field, or
 *   `journal-version` when the file was written by a newer orchestrator.
 */
export function parseMissionTimeline(text: string, source = 'timeline.json'): MissionTimeline {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new OrchestratorError({
      code: 'journal-corrupt',
      message: `${source} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Regenerate it from the mission journal, or delete it.`,
      cause: error,
      details: { source },
    })
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as { version?: unknown }).version : undefined
  if (typeof version === 'number' && version > MISSION_TIMELINE_VERSION) {
    throw new OrchestratorError({
      code: 'journal-version',
      message: `${source} has timeline version ${version}, but this orchestrator reads version ${MISSION_TIMELINE_VERSION}. Upgrade opencode-orchestrator to render it.`,
      details: { source, version },
    })
  }
  const parsed = (timelineSchema ??= buildTimelineSchema()).safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const field = issue?.path.join('.') || '(root)'
    throw new OrchestratorError({
      code: 'journal-corrupt',
      message: `${source} is not a mission timeline: field "${field}": ${issue?.message ?? 'invalid'}. Regenerate it from the mission journal.`,
      cause: parsed.error,
      details: { source, field },
    })
  }
  return parsed.data as MissionTimeline
}
