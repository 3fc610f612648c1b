import type { HostError, HostSession, HostToast, HostTodo, HostV1, ModelRef, TokenUsage } from '@opencode-orchestrator/core'

/** One round of the host's own retry loop (OpenCode: `session.status {type: "retry"}`), before a step answers. */
export interface FakeRetry {
  /** Delay from the step's start (or the previous retry's end) until the retry status. Default 0. */
  afterMs?: number
  /** Time until the next attempt: `nextAt = now + delayMs`; the session turns `busy` again then. */
  delayMs: number
  /** Text of the retry status. Default `Rate limit reached`. */
  message?: string
}

/** Fields every step of a turn has. */
export interface FakeStepBase {
  /** Model time of this step: from the assistant message's creation until its output. Default 10 ms. */
  durationMs?: number
  /** Host-side retries before the step's output. */
  retries?: FakeRetry[]
  /** Token usage of the step's assistant message. Default all zeros. */
  tokens?: Partial<TokenUsage>
  /** Cost in USD of the step's assistant message. Default 0. */
  cost?: number
}

/** An intermediate step: the model calls a tool, the agent loop continues (`finish: "tool-calls"`). */
export interface FakeToolStep extends FakeStepBase {
  /** Tool name, e.g. `bash`, `todowrite`, `orchestrator_delegate`. */
  tool: string
  input?: Record<string, unknown>
  /** Output of a successful call. Default `ok`. */
  output?: string
  /** When set, the call fails with this error text instead. */
  error?: string
  /** Time the tool runs, from `running` to `completed`. Default 0. */
  toolDurationMs?: number
  /** The session's todo list after this step (emitted as `todo-update` while the tool runs, like OpenCode's `todowrite`). */
  todos?: Array<Omit<HostTodo, 'id'> & { id?: string }>
  /**
   * After this step the session reports `idle` for this long, then `busy` again and the loop goes on.
   * Real OpenCode 1.18.33 stays `busy` between steps; this exists to prove that "first idle" is not "done".
   */
  transientIdleMs?: number
}

/** What one prompt makes the fake host do. */
export interface FakeTurn extends FakeStepBase {
  /** Tool-call steps before the final answer. */
  steps?: FakeToolStep[]
  /** Final answer text (finish `stop`). Default empty. */
  reply?: string
  /** Override of the final finish reason (e.g. `length`). Default `stop`. Ignored with `error`. */
  finish?: string
  /**
   * Ends the turn with this error, in the host's real shape, e.g.
   * `{ name: 'APIError', data: { message, statusCode: 429, isRetryable: true, responseHeaders: {} } }`.
   */
  error?: HostError
  /** The final step never ends by itself: only `abort` (or `delete`) stops the turn. */
  hang?: boolean
  /**
   * Order of the end of a successful turn. `message-then-idle` (default, what OpenCode does for a
   * normal answer) or `idle-then-message` (the idle arrives before the final message update, as
   * OpenCode does for errors and aborts).
   */
  order?: 'message-then-idle' | 'idle-then-message'
}

/** What the fake knows about a prompt when picking and building a turn. */
export interface FakePromptContext {
  session: HostSession
  /** Agent of the prompt, else the session's agent. */
  agent?: string
  text: string
  model?: ModelRef
  /** `prompt` for `sessions.promptAsync`, `user` for `host.userPrompt` (a person typing). */
  source: 'prompt' | 'user'
  /** 1-based count of prompts this session received (this one included). */
  promptNumber: number
}

/** A turn, or a function of the prompt returning one. */
export type FakeBehaviour = FakeTurn | ((prompt: FakePromptContext) => FakeTurn)

/** Which prompts a rule applies to. Every given field must match; an empty matcher matches everything. */
export interface FakePromptMatcher {
  agent?: string
  sessionId?: string
  /** Prompts to any child of this session. */
  parentId?: string
  /** Substring of, or pattern on, the prompt text. */
  text?: string | RegExp
  predicate?: (prompt: FakePromptContext) => boolean
}

export interface FakeRule {
  /** Shown in errors and `host.turns`. Default `#<index>`. */
  name?: string
  match?: FakePromptMatcher
  /** One behaviour, or a sequence: each matching prompt takes the next, the last repeats unless `once`. */
  turn: FakeBehaviour | FakeBehaviour[]
  /** After the last behaviour was used, the rule stops matching. */
  once?: boolean
}

/** What `sessions.summarize` does. Without one, summarize throws `not-implemented`. */
export interface FakeSummarizeBehaviour {
  /** Time the compaction takes. Default 10 ms. */
  durationMs?: number
  /** Fails the compaction with this host error (summarize rejects with `host-failed`). */
  error?: HostError
}

type SessionMethods = Required<HostV1['sessions']>

/** One recorded call on the fake host, with its arguments. */
export type FakeHostCall =
  | {
      [Method in keyof SessionMethods]: {
        method: Method
        args: Parameters<SessionMethods[Method]>
        /** Clock time of the call. */
        at: number
      }
    }[keyof SessionMethods]
  | { method: 'toast'; args: [HostToast]; at: number }

/** Which rule answered which prompt, for assertions. */
export interface FakeTurnRecord {
  sessionId: string
  text: string
  agent?: string
  source: 'prompt' | 'user'
  rule: string
  /** Clock time the prompt arrived. */
  at: number
}
