/**
 * The contract every host implements (OpenCode today, anything else tomorrow).
 *
 * This file is the spec package of the project: change it with the same care
 * as a public API. Additive changes keep `HOST_PORT_VERSION`; anything that
 * changes the meaning of an existing member bumps it and gets a new `HostV2`.
 */

/** Version of the host port implemented by {@link HostV1}. */
export const HOST_PORT_VERSION = 1 as const

/** A model as the host names it. */
export interface ModelRef {
  /** Provider id as the host knows it, e.g. `anthropic` or `fake`. */
  providerId: string
  /** Model id within the provider, e.g. `claude-sonnet-4`. */
  modelId: string
}

/** One permission rule in the host's own permission language (OpenCode: `edit`, `bash`, `webfetch`, `task`, …). */
export interface PermissionRule {
  /** Permission name, e.g. `bash`. */
  permission: string
  /** Glob-like pattern the rule applies to; `*` for all. */
  pattern: string
  /** What the host should do when the permission is requested. */
  action: 'allow' | 'deny' | 'ask'
}

/** A session as the orchestrator sees it. */
export interface HostSession {
  id: string
  /** Parent session id for child sessions; absent for root sessions. */
  parentId?: string
  title: string
  /** Project directory the session belongs to, when the host has one. */
  directory?: string
}

export interface CreateSessionOptions {
  /** Creates a child of this session; the host links it for its own UI and audit trail. */
  parentId?: string
  /** Always pass a title: without one OpenCode spends a model call generating it. */
  title: string
  /** Agent the session runs as (e.g. `worker`). */
  agent?: string
  /** Extra permission rules for this session only. */
  permission?: PermissionRule[]
  /**
   * Absolute folder the session runs in as its project folder (its file tools and shell work
   * there), e.g. a Worker's git worktree. Absent: the host's own project folder. A host remembers
   * it for every later call on that session (prompt, abort, messages, status, delete, …), so
   * callers pass it once, here.
   */
  directory?: string
}

export interface PromptOptions {
  sessionId: string
  /** Text of the synthetic user message. */
  text: string
  /** Agent to answer as; defaults to the session's agent. */
  agent?: string
  /** Model override for this prompt only. */
  model?: ModelRef
}

/**
 * An error exactly as the host reports it. For OpenCode that is
 * `{ name: "APIError", data: { message, statusCode, isRetryable, responseHeaders, responseBody } }`
 * and friends: the text lives in `data.message`, never rely on a top-level `message`.
 */
export interface HostError {
  name: string
  data?: Readonly<Record<string, unknown>>
}

/** Session status as the host reports it. `retry` means the host itself is retrying a failed model call. */
export type HostSessionStatus =
  | { type: 'idle' }
  | { type: 'busy' }
  | {
      type: 'retry'
      /** 1-based attempt number of the host's own retry loop. */
      attempt: number
      message: string
      /** Epoch ms of the next attempt. */
      nextAt: number
    }

/** Token usage of one assistant message. */
export interface TokenUsage {
  input: number
  output: number
  reasoning: number
  cacheRead: number
  cacheWrite: number
}

/** One tool call made by an assistant message. */
export interface HostToolCall {
  callId: string
  tool: string
  status: 'pending' | 'running' | 'completed' | 'error'
  input?: Readonly<Record<string, unknown>>
  /** Output text for completed calls, error text for failed ones. */
  output?: string
  startedAt?: number
  endedAt?: number
}

export interface HostMessage {
  id: string
  sessionId: string
  role: 'user' | 'assistant'
  /** Agent the message was written by (assistant) or addressed to (user). */
  agent?: string
  createdAt: number
  /** Set when an assistant message is complete. */
  completedAt?: number
  /**
   * Why the model stopped: `stop` ends the turn, `tool-calls` means the agent loop
   * continues with another step. A message with `tool-calls` is not a finished turn.
   */
  finish?: string
  error?: HostError
  model?: ModelRef
  tokens?: TokenUsage
  /** Cost in USD as reported by the host. */
  cost?: number
  /** Concatenated text parts. */
  text: string
  toolCalls: HostToolCall[]
}

/** A todo as the host stores it for its own todo tool (OpenCode: `todowrite`). */
export interface HostTodo {
  id: string
  content: string
  status: string
  priority?: string
}

/** A parsed part update: only the kinds the orchestrator acts upon. */
export type HostPartUpdate =
  | { kind: 'tool'; sessionId: string; messageId: string; call: HostToolCall }
  | { kind: 'step-finish'; sessionId: string; messageId: string; reason: string; tokens?: TokenUsage; cost?: number }
  /**
   * A text part, whole as far as it has been written. `partId` (when the host has one) tells the
   * parts of one message apart; an update of the same part replaces its text.
   */
  | { kind: 'text'; sessionId: string; messageId: string; text: string; partId?: string }

/** Events the host pushes into the orchestrator. Names follow the house noun-verb style. */
export type HostEvent =
  | { type: 'session-create'; session: HostSession }
  | { type: 'session-delete'; sessionId: string }
  | { type: 'session-status'; sessionId: string; status: HostSessionStatus }
  | { type: 'session-error'; sessionId?: string; error: HostError }
  | { type: 'session-compact'; sessionId: string }
  | { type: 'message-update'; message: HostMessage }
  | { type: 'part-update'; part: HostPartUpdate }
  | { type: 'todo-update'; sessionId: string; todos: HostTodo[] }
  | { type: 'command-execute'; sessionId: string; command: string; arguments: string }

export type HostEventType = HostEvent['type']

/** Notice shown to the user (OpenCode: a TUI toast). */
export interface HostToast {
  title?: string
  message: string
  variant: 'info' | 'success' | 'warning' | 'error'
  /** How long the notice stays, in ms. */
  durationMs?: number
}

/** Call to stop listening. Safe to call more than once. */
export type Unsubscribe = () => void

/** Session operations of a host. Every call is asynchronous and never blocks on the agent loop. */
export interface HostSessions {
  create(options: CreateSessionOptions): Promise<HostSession>
  get(sessionId: string): Promise<HostSession | undefined>
  /** Direct children of a session. */
  children(sessionId: string): Promise<HostSession[]>
  /** Sends a prompt and returns as soon as the host accepted it (never waits for the answer). */
  promptAsync(options: PromptOptions): Promise<void>
  /** Stops the running turn of a session, including its in-flight model call. */
  abort(sessionId: string): Promise<void>
  delete(sessionId: string): Promise<void>
  /** Messages of a session, oldest first. `limit` keeps the newest `limit` messages. */
  messages(sessionId: string, options?: { limit?: number }): Promise<HostMessage[]>
  todos(sessionId: string): Promise<HostTodo[]>
  /** Status of every non-idle session; sessions absent from the map are idle. */
  status(): Promise<Record<string, HostSessionStatus>>
  /** Compacts a session's history so it fits the model's context again. */
  summarize(sessionId: string, model?: ModelRef): Promise<void>
  /**
   * Boots the host's instance for `directory` ahead of use, so the first session created there
   * does not pay the start-up (OpenCode: about a second per new folder). Optional: a host
   * without per-folder instances leaves it out. Never throws for a folder it cannot warm; it
   * logs and returns.
   */
  warm?(directory: string): Promise<void>
  /**
   * Lets go of the host's instance for `directory` before the folder is removed, so nothing of
   * the host keeps writing there. Optional, like {@link warm}. Sessions created there must have
   * ended before.
   */
  release?(directory: string): Promise<void>
}

/**
 * Version 1 of the host port.
 *
 * @example
 * const host: HostV1 = createOpencodeHost({ client, directory })
 * const engine = createMissionEngine({ host, clock, ids, storage, logger, policy })
 */
export interface HostV1 {
  readonly version: typeof HOST_PORT_VERSION
  readonly sessions: HostSessions
  /** Listen to host events. The host delivers events in the order it observed them. */
  subscribe(listener: (event: HostEvent) => void): Unsubscribe
  /** Shows a notice to the user. */
  toast(toast: HostToast): Promise<void>
}
