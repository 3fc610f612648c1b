import { readFileSync } from 'node:fs'

/**
 * True while `pid` is a live process. A zombie counts as dead: on this kind of
 * machine PID 1 does not reap orphans, so a killed grandchild can stay a zombie
 * forever although it has ended.
 */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as { code?: string }).code === 'ESRCH') return false
    throw error
  }
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return false // reaped between the two checks
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3)
  return state !== 'Z' && state !== 'X'
}
