import { contentText, type ChatRequestSummary, type OpencodeServer, type ScriptedModel, type ScriptedResponse, type ScriptedToolCall } from '@opencode-orchestrator/testing'
import { diagnostics, readJournals } from './scripted-team'

/*
 * Building blocks for mission-lifecycle tests on a real OpenCode server: a
 * Commander whose every turn is scripted by what kind of message started it
 * (the /task text, a wake, a continuation, a resume), small role scripts for
 * Planner, Worker and Reviewer, and journal/toast helpers keyed by the root
 * session so several missions can run at once in one server.
 */

/** What started a Commander turn, read from the message the engine (or the user) sent. */
export type CommanderTurnKind = 'task' | 'wake' | 'continuation' | 'resume' | 'recovery'

/** Results of `orchestrator_delegate` calls: the call waits for its task and returns `<task id> · <agent> · <status> …`. */
const DELEGATION_RESULT = /^(task_\S+ · \w+ · (completed|failed|cancelled)|Interrupted: )/

/**
 * True when the tool results the model is answering include a delegation that returned with its
 * task's result: what a wake prompt used to carry before delegations waited (docs/decisions/040).
 * The same message may hold other calls (refused writes, reads) whose results come back beside it.
 */
export function isDelegationReturn(request: Pick<ChatRequestSummary, 'lastRole' | 'toolResults'>): boolean {
  return request.lastRole === 'tool' && request.toolResults.some((result) => DELEGATION_RESULT.test(result.content))
}

/**
 * The latest user message that asks the Commander for something. The plugin's "Mission resumed after a
 * restart" line is a note for the person; it can land after the resume or wake prompt it follows.
 */
function lastPromptText(request: Pick<ChatRequestSummary, 'lastUserMessage' | 'body'>): string {
  const messages = Array.isArray(request.body['messages']) ? (request.body['messages'] as Array<{ role?: unknown; content?: unknown }>) : []
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]
    if (message?.role !== 'user') continue
    const text = contentText(message.content)
    if (!text.startsWith('[orchestrator] Mission resumed after a restart')) return text
  }
  return request.lastUserMessage
}

export function commanderTurnKind(request: Pick<ChatRequestSummary, 'lastUserMessage' | 'body'>): CommanderTurnKind {
  const text = lastPromptText(request)
  if (text.startsWith('[orchestrator] Recovery:')) return 'recovery'
  if (text.startsWith('[orchestrator] The mission continues')) return 'continuation'
  if (/^\[orchestrator\] \d+ delegated tasks? ended/.test(text)) return 'wake'
  if (text.startsWith('[orchestrator] Your work was interrupted')) return 'resume'
  return 'task'
}

/** The same response, answered after `delayMs` (a model that takes its time). */
export function delayed(response: ScriptedResponse, delayMs: number): ScriptedResponse {
  if (delayMs <= 0 || response.hang || response.error) return response
  return { ...response, delays: { ...response.delays, beforeFirstChunkMs: delayMs } }
}

export const delegateCall = (agent: string, title: string, prompt: string, todoIds?: string[]): ScriptedToolCall => ({
  name: 'orchestrator_delegate',
  arguments: { agent, title, prompt, ...(todoIds ? { todoIds } : {}) },
})

export interface CommanderScriptOptions {
  marker: string
  delayMs?: number
  /**
   * The response to a fresh turn. `count` numbers the turns of that kind from 0.
   * Delegations returning with their tasks' results count as a `wake` (the results a wake prompt
   * used to bring); other tool results are answered with a short text, which ends the turn.
   */
  turn: (kind: CommanderTurnKind, count: number, request: ChatRequestSummary) => ScriptedResponse
}

export interface CommanderScript {
  /** Fresh turns seen so far, by kind, in arrival order. */
  readonly turns: CommanderTurnKind[]
}

export function scriptCommander(model: ScriptedModel, { marker, delayMs = 0, turn }: CommanderScriptOptions): CommanderScript {
  const turns: CommanderTurnKind[] = []
  model.addRule({
    name: `commander:${marker}`,
    match: { system: 'You are the Commander', marker },
    respond: (request) => {
      if (request.lastRole === 'tool' && !isDelegationReturn(request)) return delayed({ text: 'Done with the tools for this turn.' }, delayMs)
      const kind = request.lastRole === 'tool' ? 'wake' : commanderTurnKind(request)
      const count = turns.filter((seen) => seen === kind).length
      turns.push(kind)
      return delayed(turn(kind, count, request), delayMs)
    },
  })
  return { turns }
}

export interface PlannedTodo {
  id: string
  title: string
  dependsOn?: string[]
}

export function scriptPlanner(model: ScriptedModel, { marker, todos, delayMs = 0 }: { marker: string; todos: PlannedTodo[]; delayMs?: number }): void {
  model.addRule({
    name: `planner:${marker}`,
    match: { system: 'You are the Planner', marker },
    respond: (request) =>
      delayed(
        request.lastRole === 'tool'
          ? { text: `Plan written: ${todos.map((todo) => todo.id).join(', ')}.` }
          : { toolCalls: [{ name: 'orchestrator_todo_write', arguments: { todos } }] },
        delayMs,
      ),
  })
}

export function scriptWorker(
  model: ScriptedModel,
  { marker, delayMs = 0, respond }: { marker: string; delayMs?: number; respond?: (request: ChatRequestSummary) => ScriptedResponse },
): void {
  model.addRule({
    name: `worker:${marker}`,
    match: { system: 'You are a Worker', marker },
    respond: (request) => delayed(respond ? respond(request) : { text: 'Implemented it; read the file back to check.' }, delayMs),
  })
}

/** Verifies every todo id named as `Verify t1, t2` in its prompt. */
export function scriptReviewer(model: ScriptedModel, { marker, delayMs = 0 }: { marker: string; delayMs?: number }): void {
  model.addRule({
    name: `reviewer:${marker}`,
    match: { system: 'You are the Reviewer', marker },
    respond: (request) => {
      if (request.lastRole === 'tool') return delayed({ text: 'Verified.' }, delayMs)
      const ids = [...new Set(/Verify ([t\d, ]+)/.exec(request.lastUserMessage)?.[1]?.match(/t\d+/g) ?? [])]
      return delayed(
        {
          toolCalls: ids.map((id) => ({
            name: 'orchestrator_todo_update',
            arguments: { id, status: 'done', evidence: `read the change for ${id} and ran the checks: all passed` },
          })),
        },
        delayMs,
      )
    },
  })
}

/** A mission as the journal holds it (the fields these tests read). */
export interface JournalRecord {
  id: string
  rootSessionId: string
  state: string
  counters: { iterations: number; idleTurnsWithoutProgress: number; childSessions: number }
  todos: Array<{ id: string; status: string; evidence?: { summary: string } }>
  tasks: Array<{ id: string; agent: string; status: string; sessionId?: string; result?: string; error?: { code: string; message: string } }>
  sessions: Array<{ sessionId: string; agent: string; depth: number; taskId?: string }>
  end?: { reason: string; budget?: string }
}

export function journalOf(directory: string, rootSessionId: string): JournalRecord | undefined {
  return (readJournals(directory) as unknown as JournalRecord[]).find((record) => record.rootSessionId === rootSessionId)
}

/** Polls until `condition` holds; returns the epoch ms it was first seen true. Diagnostics on timeout. */
export async function until(
  context: { model: ScriptedModel; server: OpencodeServer },
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const started = Date.now()
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not reached within ${timeoutMs} ms\n${diagnostics(context.model, context.server)}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return Date.now()
}

/** Waits until the mission rooted at `rootSessionId` is sealed, stopped or failed in the journal. */
export async function waitForFinalJournal(
  context: { model: ScriptedModel; server: OpencodeServer },
  rootSessionId: string,
  timeoutMs = 60_000,
): Promise<JournalRecord> {
  await until(
    context,
    () => ['sealed', 'stopped', 'failed'].includes(journalOf(context.server.directory, rootSessionId)?.state ?? ''),
    timeoutMs,
    `mission of ${rootSessionId} ended`,
  )
  return journalOf(context.server.directory, rootSessionId)!
}

/** Starts `/task <goal>` in a fresh session; the mission goes on from events. */
export async function startTask(server: OpencodeServer, goal: string): Promise<string> {
  const created = await server.client.session.create({ title: `e2e: ${goal.slice(0, 60)}` })
  const sessionID = created.data!.id
  // The command call returns when the Commander's first turn ends: never wait on it.
  void server.client.session.command({ sessionID, command: 'task', arguments: goal })
  return sessionID
}

/** Toasts shown so far, as `{ title, message, variant }`. */
export function toasts(server: OpencodeServer): Array<{ title: string; message: string; variant: string }> {
  return server.events.all
    .filter((recorded) => recorded.event.type === 'tui.toast.show')
    .map((recorded) => {
      const properties = recorded.event.properties as { title?: string; message?: string; variant?: string }
      return { title: properties.title ?? '', message: properties.message ?? '', variant: properties.variant ?? '' }
    })
}

type Toast = ReturnType<typeof toasts>[number]

/**
 * Waits for a toast matching `predicate` and returns it. The notice travels through OpenCode's
 * event stream, so it can arrive after the journal already shows the end.
 */
export async function waitForToastMatching(
  context: { model: ScriptedModel; server: OpencodeServer },
  predicate: (toast: Toast) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Toast> {
  await until(context, () => toasts(context.server).some(predicate), timeoutMs, what)
  return toasts(context.server).find(predicate)!
}

/** Requests the scripted model received for one rule. */
export const requestsOf = (model: ScriptedModel, rule: string) => model.requests.filter((request) => request.rule === rule)
