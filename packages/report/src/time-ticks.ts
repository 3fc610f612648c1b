/** Steps a time axis may use, in ms: each reads well as a label (`30s`, `2m`, `1h`). */
const STEPS = [
  100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000,
]

/**
 * Tick offsets (ms from the axis start) for an axis `durationMs` long, using
 * the smallest readable step that gives at most `maxTicks` intervals.
 */
export function timeTicks(durationMs: number, maxTicks: number): number[] {
  const duration = Math.max(1, durationMs)
  const step = STEPS.find((candidate) => duration / candidate <= maxTicks) ?? Math.ceil(duration / maxTicks / 86_400_000) * 86_400_000
  const ticks: number[] = []
  for (let offset = 0; offset <= duration + 1e-9; offset += step) ticks.push(offset)
  return ticks
}
