/** Offset from the start of the axis, for tick labels: `0`, `45s`, `2m`, `2m 30s`, `1h 05m`. */
export function formatOffset(ms: number): string {
  const value = Math.max(0, Math.round(ms))
  if (value === 0) return '0'
  if (value < 1000) return `${value}ms`
  if (value < 60_000) return `${Number.isInteger(value / 1000) ? value / 1000 : (value / 1000).toFixed(1)}s`
  const totalSeconds = Math.round(value / 1000)
  const hours = Math.floor(totalSeconds / 3600)
  const minutes = Math.floor((totalSeconds % 3600) / 60)
  const seconds = totalSeconds % 60
  if (hours > 0) return minutes === 0 ? `${hours}h` : `${hours}h ${String(minutes).padStart(2, '0')}m`
  return seconds === 0 ? `${minutes}m` : `${minutes}m ${String(seconds).padStart(2, '0')}s`
}
