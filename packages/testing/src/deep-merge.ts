/** A JSON-like object. */
export type PlainObject = Record<string, unknown>

const isPlainObject = (value: unknown): value is PlainObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype

/**
 * Merges `override` into a copy of `base`: objects merge key by key, everything else
 * (arrays included) is replaced. Neither input is modified.
 */
export function deepMerge<T extends PlainObject>(base: T, override: PlainObject | undefined): T {
  const result: PlainObject = { ...base }
  if (override === undefined) return result as T
  for (const [key, value] of Object.entries(override)) {
    const current = result[key]
    result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value
  }
  return result as T
}
