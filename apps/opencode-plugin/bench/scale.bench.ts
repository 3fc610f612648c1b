/**
 * How cost grows with N (`pnpm bench scale`; opt-in: it takes minutes on a
 * 2-core machine, so a plain `pnpm bench` skips it).
 *
 * - fan-out at N=50 and N=100 (ours with the global cap and the breadth
 *   budget raised to 100), beside OpenCode's blocking `task` and background
 *   subagents: wall, dispatch p50 and last child, and the server's RSS (peak
 *   during the fan-out, sampled every 100 ms, and before it);
 * - 10 missions at once in one server, 10 children each (OpenCode: 10 parent
 *   sessions at once, 10 `task` calls each): wall from the first call's end to
 *   the last parent having every result, dispatch p50 over all 100 children,
 *   and server RSS.
 *
 * Sides alternate in a rotating order; each figure is one round per side
 * (`BENCH_SCALE_ROUNDS` for more). `BENCH_SCALE_N=50,100` picks the sizes.
 * bench-results/latest.json keeps every round.
 */
import { loadAverage, median, rssMb, watchRss, type Raw, type Report } from './bench-support'
import { FAN_OUT_DELAY_MS, SIDES, SIDE_NAMES, fanOut, printTimelines, reportFanOut, startFanOutServers, type FanOutRound, type FanOutServers, type Side } from './fan-out.bench'

const MISSIONS = 10
const CHILDREN_PER_MISSION = 10

function numbersFromEnv(name: string, fallback: number[]): number[] {
  const value = process.env[name]
  if (value === undefined || value.trim() === '') return fallback
  const numbers = value.split(',').map((item) => Number(item.trim()))
  if (numbers.some((item) => !Number.isInteger(item) || item <= 0)) throw new Error(`bench: ${name}=${value} must be positive integers separated by commas, e.g. 50,100`)
  return numbers
}

interface RssSample {
  side: Side
  label: string
  round: number
  beforeMb: number
  peakMb: number
}

interface ConcurrentRound {
  side: Side
  round: number
  wallMs: number
  dispatchP50Ms: number
  missions: Array<{ wallMs: number; dispatchMs: number[] }>
}

async function concurrentMissions(servers: FanOutServers, side: Side, round: number): Promise<ConcurrentRound> {
  const results = await Promise.all(
    Array.from({ length: MISSIONS }, (_, mission) => fanOut(servers, side, CHILDREN_PER_MISSION, `${side}-many-${round}-${mission}`)),
  )
  const start = Math.min(...results.map((result) => result.callEndedAt))
  const end = Math.max(...results.map((result) => result.completeAt))
  const dispatch = results.flatMap((result) => result.children.map((child) => child.model + result.callEndedAt - start))
  return {
    side,
    round,
    wallMs: end - start,
    dispatchP50Ms: median(dispatch),
    missions: results.map((result) => ({ wallMs: result.wallMs, dispatchMs: result.children.map((child) => child.model) })),
  }
}

export default async (report: Report, raw: Raw): Promise<void> => {
  const counts = numbersFromEnv('BENCH_SCALE_N', [50, 100])
  const [roundCount] = numbersFromEnv('BENCH_SCALE_ROUNDS', [1])
  const largest = Math.max(...counts, MISSIONS * CHILDREN_PER_MISSION)
  const servers = await startFanOutServers({
    // The default global cap (50) and breadth budget (50) would queue the rest: raised so every child runs at once, as OpenCode's do.
    pluginOptions: { concurrency: { global: largest }, budgets: { maxBreadth: largest, maxChildSessions: largest * 4 } },
  })
  const loadBefore = loadAverage()
  const rounds: FanOutRound[] = []
  const rss: RssSample[] = []
  const concurrent: ConcurrentRound[] = []
  const measured = async <T>(side: Side, label: string, round: number, work: () => Promise<T>): Promise<T> => {
    const pid = servers[side].pid
    const beforeMb = rssMb(pid)
    const watch = watchRss(pid)
    try {
      return await work()
    } finally {
      rss.push({ side, label, round, beforeMb, peakMb: watch.stop() })
    }
  }
  try {
    for (const side of SIDES) await fanOut(servers, side, 2, `${side}-warm-up`, 0)
    for (const count of counts) {
      for (let round = 0; round < roundCount!; round++) {
        const order = SIDES.map((_, index) => SIDES[(index + round + count) % SIDES.length]!)
        for (const side of order) {
          const result = await measured(side, `fan-out N=${count}`, round, () => fanOut(servers, side, count, `${side}-scale-${count}-${round}`))
          rounds.push({ side, count, round, wallMs: result.wallMs, children: result.children })
        }
      }
      reportFanOut(report, rounds, count, `scale: fan-out N=${count}`)
      for (const side of SIDES) {
        const samples = rss.filter((sample) => sample.side === side && sample.label === `fan-out N=${count}`)
        report(`scale: fan-out N=${count}: server RSS peak during the fan-out, ${SIDE_NAMES[side]}`, median(samples.map((sample) => sample.peakMb)), 'MB')
        report(`scale: fan-out N=${count}: server RSS peak − RSS before, ${SIDE_NAMES[side]}`, median(samples.map((sample) => sample.peakMb - sample.beforeMb)), 'MB')
      }
    }
    for (let round = 0; round < roundCount!; round++) {
      const order = SIDES.map((_, index) => SIDES[(index + round) % SIDES.length]!)
      for (const side of order) concurrent.push(await measured(side, 'missions at once', round, () => concurrentMissions(servers, side, round)))
    }
    const label = `scale: ${MISSIONS} missions at once × ${CHILDREN_PER_MISSION} children, ${FAN_OUT_DELAY_MS} ms/child`
    for (const side of SIDES) {
      const of = concurrent.filter((item) => item.side === side)
      report(`${label}: wall (first call ended → last parent has every result), ${SIDE_NAMES[side]}`, median(of.map((item) => item.wallMs)), 'ms')
      report(`${label}: dispatch p50 over all ${MISSIONS * CHILDREN_PER_MISSION} children, ${SIDE_NAMES[side]}`, median(of.map((item) => item.dispatchP50Ms)), 'ms')
      const samples = rss.filter((sample) => sample.side === side && sample.label === 'missions at once')
      report(`${label}: server RSS peak, ${SIDE_NAMES[side]}`, median(samples.map((sample) => sample.peakMb)), 'MB')
    }
    const wallOf = (side: Side) => median(concurrent.filter((item) => item.side === side).map((item) => item.wallMs))
    report(`${label}: wall, ours ÷ OpenCode task`, wallOf('ours') / wallOf('task'), '×')
    report(`${label}: wall, ours ÷ OpenCode background subagents`, wallOf('ours') / wallOf('background'), '×')
    printTimelines(rounds)
  } finally {
    await servers.dispose()
  }
  report('machine load average (1 min) before the scale runs', loadBefore, 'load')
  report('machine load average (1 min) after the scale runs', loadAverage(), 'load')
  raw('scale rounds', { delayMs: FAN_OUT_DELAY_MS, fanOut: rounds, rss, concurrent })
}
