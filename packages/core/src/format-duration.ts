export interface FormatDurationOptions {
  /**
   * The smallest unit shown: `ms` (default: `850 ms`, `12.3 s`), `s` (`8 s`, whole
   * seconds below a minute) or `min` (`12m`, for budgets and wall time).
   */
  smallest?: 'ms' | 's' | 'min'
}

/**
 * The one human duration of the orchestrator (notices, prompts, the CLI, the
 * report): `850 ms`, `12.3 s`, `4m 05s`, `1h 02m`. Negative or non-finite input
 * reads as zero rather than something absurd.
 */
export function formatDuration(ms: number, { smallest = 'ms' }: FormatDurationOptions = {}): string {
  const value = Number.isFinite(ms) && ms > 0 ? ms : 0
  if (smallest === 'min') {
    const totalMinutes = Math.floor(value / 60_000)
    const hours = Math.floor(totalMinutes / 60)
    return hours > 0 ? `${hours}h ${String(totalMinutes % 60).padStart(2, '0')}m` : `${totalMinutes}m`
  }
  if (smallest === 'ms' && value < 1000) return `${Math.round(value)} ms`
  if (value < 59_950) return smallest === 'ms' ? `${(value / 1000).toFixed(1)} s` : `${Math.round(value / 1000)} s`
  const totalSeconds = Math.round(value / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`
  return `${minutes}m ${String(totalSeconds % 60).padStart(2, '0')}s`
}
