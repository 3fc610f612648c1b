/** A deterministic source of randomness: the same seed always gives the same sequence. */
export interface SeededRandom {
  /** The seed this generator started from (print it to replay a failing run). */
  readonly seed: number
  /** A float in [0, 1). */
  next(): number
  /** An integer in [min, max], both ends included. */
  int(min: number, max: number): number
  /** True with probability `probability`. */
  chance(probability: number): boolean
  /** One element of a non-empty list. */
  pick<Item>(items: readonly Item[]): Item
  /** A key of `weights`, chosen in proportion to its weight. */
  weighted<Key extends string>(weights: Readonly<Record<Key, number>>): Key
}

/**
 * mulberry32: a tiny 32-bit generator, plenty for picking scenarios (not for cryptography).
 * Written here rather than using `Math.random` so a failing simulation replays from its seed.
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let value = state
    value = Math.imul(value ^ (value >>> 15), value | 1)
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61)
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296
  }
  const random: SeededRandom = {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (probability) => next() < probability,
    pick(items) {
      if (items.length === 0) throw new RangeError('SeededRandom.pick: the list is empty; give at least one item.')
      return items[Math.floor(next() * items.length)]!
    },
    weighted(weights) {
      const entries = Object.entries(weights) as Array<[keyof typeof weights, number]>
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
      let roll = next() * total
      for (const [key, weight] of entries) {
        roll -= weight
        if (roll < 0) return key
      }
      const last = entries[entries.length - 1]
      if (last === undefined) throw new RangeError('SeededRandom.weighted: no weights given.')
      return last[0]
    },
  }
  return random
}
