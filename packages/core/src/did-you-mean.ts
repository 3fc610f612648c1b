/** Levenshtein distance: insertions, deletions and substitutions needed to turn `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The candidate a mistyped word was most likely meant to be, for "did you
 * mean …?": the same word in another case, else the closest within
 * `maxDistance` edits (default 2, compared case-insensitively; the first
 * candidate wins a tie). Undefined when nothing is close.
 */
export function didYouMean<Candidate extends string>(word: string, candidates: readonly Candidate[], { maxDistance = 2 }: { maxDistance?: number } = {}): Candidate | undefined {
  const lower = word.trim().toLowerCase()
  // A word longer than every candidate by more than maxDistance is no typo of one (and a 1 MB argument must not cost seconds).
  if (lower.length > Math.max(0, ...candidates.map((candidate) => candidate.length)) + maxDistance) return undefined
  const sameLetters = candidates.find((candidate) => candidate.toLowerCase() === lower)
  if (sameLetters !== undefined) return sameLetters
  let best: { candidate: Candidate; distance: number } | undefined
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase())
    if (distance <= maxDistance && (best === undefined || distance < best.distance)) best = { candidate, distance }
  }
  return best?.candidate
}
