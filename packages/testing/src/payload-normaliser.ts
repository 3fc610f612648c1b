/** Options for {@link createPayloadNormaliser}. */
export interface PayloadNormaliserOptions {
  /** Epoch every time field becomes. */
  epoch: number
  /** Keys whose numeric values are times, e.g. `/^(created|completed)$/`. */
  timeKeys: RegExp
  /** Replacements per key for string values, e.g. `{ date: 'Thu, 01 Jan 2026 00:00:00 GMT', slug: 'SLUG' }` (keys compared lower-case). */
  fixedStrings?: Readonly<Record<string, string>>
  /** Further rewrites of every string, applied after ids and ports, e.g. temp paths. */
  rewrite?: (text: string) => string
}

const ID_PATTERN = /\b(?:ses|msg|prt|call|per|que|tool)_[0-9A-Za-z]{8,}\b/g
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * Rewrites what differs between two runs of the same scenario on a real OpenCode
 * server — ids (`ses_…` → `ses_1` in order of appearance), 127.0.0.1 ports,
 * times — so captured fixtures are byte-stable and `--check` can diff them.
 * One normaliser per capture: ids are numbered across everything it walks.
 */
export function createPayloadNormaliser(options: PayloadNormaliserOptions): { walk(value: unknown): unknown; stableId(id: string): string } {
  const ids = new Map<string, string>()
  const counters = new Map<string, number>()
  const stableId = (id: string) => {
    let stable = ids.get(id)
    if (stable === undefined) {
      const prefix = id.slice(0, id.indexOf('_'))
      const next = (counters.get(prefix) ?? 0) + 1
      counters.set(prefix, next)
      stable = `${prefix}_${next}`
      ids.set(id, stable)
    }
    return stable
  }
  const text = (value: string) => {
    const rewritten = value.replace(ID_PATTERN, stableId).replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    return options.rewrite ? options.rewrite(rewritten) : rewritten
  }
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return options.fixedStrings?.[key?.toLowerCase() ?? ''] ?? text(value)
    if (typeof value === 'number' && key !== undefined && options.timeKeys.test(key)) return options.epoch
    if (Array.isArray(value)) return value.map((item) => walk(item))
    if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([entryKey, entry]) => [entryKey, walk(entry, entryKey)]))
    return value
  }
  return { walk: (value) => walk(value), stableId }
}
