/** One tool result sent back to the model (an OpenAI `role: "tool"` message). */
export interface ChatToolResult {
  toolCallId: string
  content: string
}

/** One tool call the model made earlier in the conversation (from an assistant message). */
export interface ChatToolCallRecord {
  id: string
  name: string
  /** Raw JSON argument string as the client echoed it back. */
  arguments: string
}

/** What a scripted model rule sees of a `/v1/chat/completions` request. */
export interface ChatRequestSummary {
  model: string
  stream: boolean
  /** Text of every system message, joined with a blank line. */
  system: string
  /** Text of the last `role: "user"` message (empty when there is none). */
  lastUserMessage: string
  /** Role of the last message: `user` for a fresh turn, `tool` when the client answers tool calls. */
  lastRole: string
  /** Names of the tools offered to the model. */
  toolNames: string[]
  /** Tool results after the last assistant message, i.e. the answers to the model's previous tool calls. */
  toolResults: ChatToolResult[]
  /** Every tool call the model made so far in this conversation. */
  previousToolCalls: ChatToolCallRecord[]
  /** Number of messages in the request. */
  messageCount: number
  /** The raw JSON body, for anything the summary does not cover. */
  body: Record<string, unknown>
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** Text of an OpenAI message `content`: a string or an array of `{ type: "text", text }` parts. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : ''))
    .filter((text) => text.length > 0)
    .join('\n')
}

/** Summarises a parsed chat-completions request body for matching and logging. */
export function summarizeChatRequest(body: Record<string, unknown>): ChatRequestSummary {
  const messages = Array.isArray(body.messages) ? body.messages.filter(isRecord) : []
  const system: string[] = []
  let lastUserMessage = ''
  let lastAssistantIndex = -1
  const previousToolCalls: ChatToolCallRecord[] = []
  messages.forEach((message, index) => {
    if (message.role === 'system') system.push(contentText(message.content))
    if (message.role === 'user') lastUserMessage = contentText(message.content)
    if (message.role === 'assistant') {
      lastAssistantIndex = index
      const calls = Array.isArray(message.tool_calls) ? message.tool_calls.filter(isRecord) : []
      for (const call of calls) {
        const fn = isRecord(call.function) ? call.function : {}
        previousToolCalls.push({
          id: typeof call.id === 'string' ? call.id : '',
          name: typeof fn.name === 'string' ? fn.name : '',
          arguments: typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {}),
        })
      }
    }
  })
  const toolResults = messages
    .slice(lastAssistantIndex + 1)
    .filter((message) => message.role === 'tool')
    .map((message) => ({
      toolCallId: typeof message.tool_call_id === 'string' ? message.tool_call_id : '',
      content: contentText(message.content),
    }))
  const tools = Array.isArray(body.tools) ? body.tools.filter(isRecord) : []
  const toolNames = tools
    .map((tool) => (isRecord(tool.function) && typeof tool.function.name === 'string' ? tool.function.name : ''))
    .filter((name) => name.length > 0)
  const last = messages[messages.length - 1]
  return {
    model: typeof body.model === 'string' ? body.model : '',
    stream: body.stream === true,
    system: system.join('\n\n'),
    lastUserMessage,
    lastRole: last !== undefined && typeof last.role === 'string' ? last.role : '',
    toolNames,
    toolResults,
    previousToolCalls,
    messageCount: messages.length,
    body,
  }
}
