import type { ProgressCounts } from './mission-progress'

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

/**
 * The one-line progress text, e.g. `3/7 todos · 4 workers running · 2 queued · 1 retrying`.
 * Parts with a zero count are left out so the line stays short.
 */
export function formatProgress(counts: ProgressCounts): string {
  const parts: string[] = []
  if (counts.todosTotal > 0) parts.push(`${counts.todosDone}/${counts.todosTotal} todos`)
  else parts.push(counts.state === undefined || counts.state === 'planning' ? 'planning' : counts.state)
  if (counts.todosFailed > 0) parts.push(`${counts.todosFailed} failed`)
  // Workers first: they are the fan-out the user watches; other roles follow by name.
  const agents = Object.keys(counts.running).sort((a, b) => (a === 'worker' ? -1 : b === 'worker' ? 1 : a.localeCompare(b)))
  for (const agent of agents) {
    const count = counts.running[agent] ?? 0
    if (count > 0) parts.push(`${plural(count, agent)} running`)
  }
  if (counts.queued > 0) parts.push(`${counts.queued} queued`)
  if (counts.retrying > 0) parts.push(`${counts.retrying} retrying`)
  return parts.join(' · ')
}
