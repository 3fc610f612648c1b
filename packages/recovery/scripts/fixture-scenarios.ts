import type { ScriptedResponse } from '@opencode-orchestrator/testing'

/** Servers the scenarios run on: OpenCode's defaults, or with automatic compaction switched off. */
export type ScenarioServer = 'default' | 'compaction-off'

/** One failure to provoke in a real OpenCode and record. */
export interface FixtureScenario {
  /** File name (without `.json`) and marker in the prompt. */
  name: string
  description: string
  server: ScenarioServer
  /** What the scripted model answers, request after request; the last answer repeats. */
  responses: ScriptedResponse[]
  /** Abort the session once the model request is in flight (the model never answers). */
  abortInFlight?: boolean
}

/** Marker put into the prompt (and the scripted summary) so each scenario's requests meet its own script. */
export const scenarioMarker = (name: string) => `[scenario:${name}]`

const openAiError = (message: string, type: string, code?: string) => ({ error: { message, type, ...(code === undefined ? {} : { code }) } })
const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } })

/**
 * `retry-after-ms: 20` keeps OpenCode's own five retries short, so a "gave up" payload
 * takes well under a second instead of OpenCode's default 2 s → 4 s → … ≈ 70 s.
 */
const FAST_RETRY = { 'retry-after-ms': '20' }

export const FIXTURE_SCENARIOS: readonly FixtureScenario[] = [
  {
    name: 'rate-limit-retry-after-ms',
    description: '429 with retry-after-ms on every request: OpenCode retries 5 times honouring the header, then reports session.error.',
    server: 'default',
    responses: [{ error: { status: 429, body: openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'), headers: FAST_RETRY } }],
  },
  {
    name: 'rate-limit-retry-after-seconds',
    description: '429 with retry-after: 1 (seconds) on every request: 5 retries one second apart, then session.error.',
    server: 'default',
    responses: [{ error: { status: 429, body: openAiError('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'), headers: { 'retry-after': '1' } } }],
  },
  {
    name: 'rate-limit-recovers',
    description: '429 without retry-after twice, then an answer: OpenCode retries on its own backoff (2 s, 4 s) and the turn succeeds.',
    server: 'default',
    responses: [
      { error: { status: 429, body: openAiError('Too Many Requests', 'requests', 'rate_limit_exceeded') } },
      { error: { status: 429, body: openAiError('Too Many Requests', 'requests', 'rate_limit_exceeded') } },
      { text: 'Recovered answer.' },
    ],
  },
  {
    name: 'server-error-500',
    description: '500 on every request: retried by OpenCode, then session.error.',
    server: 'default',
    responses: [{ error: { status: 500, body: openAiError('Internal server error', 'server_error'), headers: FAST_RETRY } }],
  },
  {
    name: 'service-unavailable-503',
    description: '503 on every request: retried by OpenCode, then session.error.',
    server: 'default',
    responses: [{ error: { status: 503, body: openAiError('Service Unavailable', 'server_error'), headers: FAST_RETRY } }],
  },
  {
    name: 'overloaded-529',
    description: 'Anthropic-style 529 overloaded_error body on every request: retried by OpenCode, then session.error.',
    server: 'default',
    responses: [{ error: { status: 529, body: anthropicError('overloaded_error', 'Overloaded'), headers: FAST_RETRY } }],
  },
  {
    name: 'context-overflow-openai',
    description:
      'OpenAI-style 400 context_length_exceeded: OpenCode reports ContextOverflowError, compacts the session by itself (session.compacted) and carries on.',
    server: 'default',
    responses: [
      {
        error: {
          status: 400,
          body: openAiError(
            "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
            'invalid_request_error',
            'context_length_exceeded',
          ),
        },
      },
      { text: `Summary ${scenarioMarker('context-overflow-openai')}: the user asked for an answer; nothing was done yet.` },
      { text: 'Carried on after compaction.' },
    ],
  },
  {
    name: 'context-overflow-anthropic-compaction-off',
    description: 'Anthropic-style 400 "prompt is too long" with compaction.auto = false: OpenCode reports ContextOverflowError and goes idle.',
    server: 'compaction-off',
    responses: [{ error: { status: 400, body: anthropicError('invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum') } }],
  },
  {
    name: 'context-overflow-compaction-fails',
    description: "Every request overflows, including OpenCode's own compaction request: two ContextOverflowErrors, no session.compacted, idle.",
    server: 'default',
    responses: [{ error: { status: 400, body: anthropicError('invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum') } }],
  },
  {
    name: 'output-length',
    description: 'The answer stops with finish_reason "length": OpenCode ends the turn normally (finish "length"), with no session.error.',
    server: 'default',
    responses: [{ text: 'The first half of a long answ', finishReason: 'length' }],
  },
  {
    name: 'auth-401',
    description: '401 invalid_api_key: OpenCode fails fast (no retries) with an APIError.',
    server: 'default',
    responses: [{ error: { status: 401, body: openAiError('Incorrect API key provided: sk-test. You can find your API key at https://example.invalid.', 'invalid_request_error', 'invalid_api_key') } }],
  },
  {
    name: 'tool-history-400',
    description: 'Anthropic-style 400 about a tool_use without its tool_result: fails fast.',
    server: 'default',
    responses: [
      {
        error: {
          status: 400,
          body: anthropicError(
            'invalid_request_error',
            'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
          ),
        },
      },
    ],
  },
  {
    name: 'aborted',
    description: 'The session is aborted while the model request is in flight: MessageAbortedError.',
    server: 'default',
    responses: [{ hang: true }],
    abortInFlight: true,
  },
]
