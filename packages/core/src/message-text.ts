import { editDistance } from './did-you-mean'

/** Longest piece of a caller's value an error message quotes. */
export const MESSAGE_QUOTE_LIMIT = 120

/**
 * Cuts a value quoted in an error message to at most `limit` characters, saying
 * how long the whole was, so a 1 MB argument never comes back as a 1 MB error.
 */
export function truncateForMessage(text: string, limit: number = MESSAGE_QUOTE_LIMIT): string {
  if (text.length <= limit) return text
  return `${text.slice(0, Math.max(0, limit - 1))}… (${text.length} characters)`
}

/**
 * The candidate a mistyped name most likely meant: the same letters ignoring case,
 * `_`/`-`, or at most two edits away. `depends_on` → `dependsOn`.
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  // A name far longer than every candidate is no typo of one (and a 1 MB key must not cost seconds).
  if (name.length > Math.max(0, ...candidates.map((candidate) => candidate.length)) + 4) return undefined
  const normalize = (value: string) => value.toLowerCase().replace(/[_-]/g, '')
  const wanted = normalize(name)
  let best: { candidate: string; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(wanted, normalize(candidate))
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}
