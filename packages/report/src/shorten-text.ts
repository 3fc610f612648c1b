/**
 * Collapses whitespace and cuts `text` to at most `limit` characters with `…`,
 * so tool output and prompts never blow up a tooltip or `timeline.json`.
 */
export function shortenText(text: string, limit: number): string {
  const collapsed = text.replace(/\s+/g, ' ').trim()
  if (collapsed.length <= limit) return collapsed
  return `${collapsed.slice(0, Math.max(0, limit - 1)).trimEnd()}…`
}
