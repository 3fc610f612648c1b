import { describe, expect, it } from 'vitest'
import { runRandomMissions, summarizeRandomMissions } from './random-mission'

// Replay: SIMULATION_SEED=<seed> SIMULATION_MISSIONS=1 SIMULATION_TRACE=1 prints that mission's timeline.
// Every mission depends on its seed only, so a replay shows exactly what the failing run did.
const FIRST_SEED = Number(process.env['SIMULATION_SEED'] ?? 1)
const MISSIONS = Number(process.env['SIMULATION_MISSIONS'] ?? 1_000)
const TRACE = process.env['SIMULATION_TRACE'] === '1'

describe('random missions', () => {
  it(`${MISSIONS} seeded missions all end, seal only when verified, respect their caps and lose no wake`, async () => {
    const seeds = Array.from({ length: MISSIONS }, (_, index) => FIRST_SEED + index)
    const results = await runRandomMissions({ seeds, trace: TRACE })
    console.info(`random missions (seeds ${FIRST_SEED}–${FIRST_SEED + MISSIONS - 1}): ${summarizeRandomMissions(results)}`)
    if (TRACE) for (const result of results) console.info(`seed ${result.seed} (${result.profile}): ${result.state}: ${result.reason}\n${result.trace?.join('\n')}`)

    const broken = results.filter((result) => result.violations.length > 0)
    expect(
      broken.slice(0, 5).map((result) => ({ seed: result.seed, profile: result.profile, end: `${result.state}: ${result.reason}`, violations: result.violations })),
      `${broken.length} of ${results.length} missions broke an invariant; replay one with SIMULATION_SEED=<seed> SIMULATION_MISSIONS=1 SIMULATION_TRACE=1`,
    ).toEqual([])
    if (MISSIONS < 1_000) return
    // The run exercised what it claims to: every kind of ending happened.
    const categories = new Set(results.map((result) => result.category))
    for (const category of ['sealed', 'failed', 'stagnation', 'iterations', 'user-stop', 'user-esc', 'wallTime', 'childSessions', 'depth', 'breadth', 'tokens']) {
      expect(categories, category).toContain(category)
    }
    expect(results.filter((result) => result.wakes > 0).length).toBeGreaterThan(MISSIONS / 2)
  }, 120_000)
})
