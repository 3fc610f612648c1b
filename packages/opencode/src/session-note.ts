import type { PluginInput } from '@opencode-ai/plugin'

/** Adds a visible line to a session without starting a turn (`noReply`: no model call). */
export async function addSessionNote(options: { client: PluginInput['client']; directory: string; sessionId: string; text: string; agent?: string }): Promise<void> {
  const { client, directory, sessionId, text, agent } = options
  const result = await client.session.promptAsync({
    path: { id: sessionId },
    body: { noReply: true, parts: [{ type: 'text', text }], ...(agent ? { agent } : {}) },
    query: { directory },
  })
  if (result.error !== undefined) throw new Error(`OpenCode did not take the note for session ${sessionId}: ${JSON.stringify(result.error).slice(0, 300)}`)
}
