/** A tool call the scripted model makes. */
export interface ScriptedToolCall {
  /** Tool name as offered in the request's `tools`. */
  name: string
  /** Arguments: an object (sent as JSON) or a raw string (sent as is, e.g. to test broken JSON). */
  arguments?: Record<string, unknown> | string
  /** Call id. Default: `call_<request>_<index>`. */
  id?: string
}

/** Token usage reported in the usage frame. */
export interface ScriptedUsage {
  promptTokens: number
  completionTokens: number
}

/** A successful model answer. */
export interface ScriptedReply {
  /** Assistant text. An array is sent as one content delta per element (to exercise streaming). */
  text?: string | string[]
  /** Tool calls, all in one assistant message (OpenCode runs them in parallel). */
  toolCalls?: ScriptedToolCall[]
  /** Default: `tool_calls` when there are tool calls, else `stop`. Use `length` to simulate output truncation. */
  finishReason?: string
  /** Default: 10 prompt + 5 completion tokens. */
  usage?: ScriptedUsage
}

export interface ChatFrameContext {
  /** Completion id (`chatcmpl-…`). */
  id: string
  model: string
  /** Epoch seconds. */
  created: number
  /** Used to name tool calls that have no explicit id. */
  requestNumber: number
}

const DEFAULT_USAGE: ScriptedUsage = { promptTokens: 10, completionTokens: 5 }

function toolCallId(call: ScriptedToolCall, index: number, context: ChatFrameContext): string {
  return call.id ?? `call_${context.requestNumber}_${index}`
}

function toolArguments(call: ScriptedToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {})
}

function finishReasonOf(reply: ScriptedReply): string {
  return reply.finishReason ?? ((reply.toolCalls?.length ?? 0) > 0 ? 'tool_calls' : 'stop')
}

function usageJson(usage: ScriptedUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  }
}

/**
 * The JSON payloads of a streamed answer, in order: role frame, content deltas, one frame per
 * tool call, a finish frame, a usage frame. The caller writes each as `data: …` and ends with `[DONE]`.
 */
export function streamFrames(reply: ScriptedReply, context: ChatFrameContext): Array<Record<string, unknown>> {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id: context.id,
    object: 'chat.completion.chunk',
    created: context.created,
    model: context.model,
    choices,
    ...extra,
  })
  const frames: Array<Record<string, unknown>> = [
    chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  ]
  const texts = reply.text === undefined ? [] : Array.isArray(reply.text) ? reply.text : [reply.text]
  for (const text of texts) frames.push(chunk([{ index: 0, delta: { content: text }, finish_reason: null }]))
  ;(reply.toolCalls ?? []).forEach((call, index) => {
    frames.push(
      chunk([
        {
          index: 0,
          delta: {
            tool_calls: [
              {
                index,
                id: toolCallId(call, index, context),
                type: 'function',
                function: { name: call.name, arguments: toolArguments(call) },
              },
            ],
          },
          finish_reason: null,
        },
      ]),
    )
  })
  frames.push(chunk([{ index: 0, delta: {}, finish_reason: finishReasonOf(reply) }]))
  frames.push(chunk([], { usage: usageJson(reply.usage ?? DEFAULT_USAGE) }))
  return frames
}

/** The body of a non-streamed answer (`object: "chat.completion"`). */
export function completionBody(reply: ScriptedReply, context: ChatFrameContext): Record<string, unknown> {
  const texts = reply.text === undefined ? [] : Array.isArray(reply.text) ? reply.text : [reply.text]
  const toolCalls = (reply.toolCalls ?? []).map((call, index) => ({
    id: toolCallId(call, index, context),
    type: 'function',
    function: { name: call.name, arguments: toolArguments(call) },
  }))
  return {
    id: context.id,
    object: 'chat.completion',
    created: context.created,
    model: context.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: texts.length > 0 ? texts.join('') : null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: finishReasonOf(reply),
      },
    ],
    usage: usageJson(reply.usage ?? DEFAULT_USAGE),
  }
}
