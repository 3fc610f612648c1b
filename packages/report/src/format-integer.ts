/** `1234567` → `1,234,567`, the same on every machine (no locale data needed). */
export function formatInteger(value: number): string {
  if (!Number.isFinite(value)) return '0'
  const sign = value < 0 ? '-' : ''
  return `${sign}${Math.abs(Math.round(value))
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`
}
