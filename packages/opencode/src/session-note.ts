import type { PluginInput } from '@opencode-ai/plugin'

/**
 * Adds a visible line to a session without starting a turn (`noReply`: no model call). With `stored`,
 * returns only once OpenCode has stored the line (`prompt` instead of `promptAsync`, which answers
 * before the message is stored), so a prompt sent next lands after it (docs/decisions/049).
 */
export async function addSessionNote(options: { client: PluginInput['client']; directory: string; sessionId: string; text: string; agent?: string; stored?: boolean }): Promise<void> {
  const { client, directory, sessionId, text, agent } = options
  const request = {
    path: { id: sessionId },
    body: { noReply: true, parts: [{ type: 'text' as const, text }], ...(agent ? { agent } : {}) },
    query: { directory },
  }
  // Called on the session object: the client's methods read `this`.
  const result = options.stored ? await client.session.prompt(request) : await client.session.promptAsync(request)
  if (result.error !== undefined) throw new Error(`OpenCode did not take the note for session ${sessionId}: ${JSON.stringify(result.error).slice(0, 300)}`)
}
