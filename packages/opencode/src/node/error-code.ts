/** The `code` of a Node.js system error (`ENOENT`, `ESRCH`, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** True when `error` is a Node.js system error with one of `codes`. */
export function hasErrorCode(error: unknown, codes: readonly string[]): boolean {
  const code = errorCode(error)
  return code !== undefined && codes.includes(code)
}
