import { readdir, readFile } from 'node:fs/promises'
import { hasErrorCode } from './error-code'

/** Signals the runner sends. */
export type GroupSignal = 'SIGTERM' | 'SIGKILL'

/**
 * Sends `signal` to every process of the group led by `pgid`. Returns false when
 * the group no longer exists. Refuses ids below 2: `kill(-0)` and `kill(-1)`
 * would hit our own group or every process we may signal.
 */
export function signalProcessGroup(pgid: number, signal: GroupSignal): boolean {
  if (!Number.isSafeInteger(pgid) || pgid < 2) throw new RangeError(`Refusing to signal process group ${pgid}`)
  try {
    process.kill(-pgid, signal)
    return true
  } catch (error) {
    if (hasErrorCode(error, ['ESRCH'])) return false
    throw error
  }
}

/**
 * True while the group led by `pgid` has a member that is not a zombie. A zombie
 * is dead but still counts for `kill(-pgid, 0)` until its parent (or init) reaps
 * it; some containers run an init that never reaps, so on Linux the members'
 * states are checked in /proc before calling the group alive.
 */
export async function isProcessGroupAlive(pgid: number): Promise<boolean> {
  if (!Number.isSafeInteger(pgid) || pgid < 2) return false
  try {
    process.kill(-pgid, 0)
  } catch (error) {
    // EPERM: the group exists but is not ours to signal, so it is alive.
    return !hasErrorCode(error, ['ESRCH'])
  }
  if (process.platform !== 'linux') return true
  let entries: string[]
  try {
    entries = await readdir('/proc')
  } catch {
    return true // no /proc to look into: trust kill(0)
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readProcessStat(entry)
    if (stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') return true
  }
  return false
}

/** State and process group from /proc/<pid>/stat, or undefined when it vanished meanwhile. */
async function readProcessStat(pid: string): Promise<{ state: string; pgrp: number } | undefined> {
  let text: string
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined // the process ended between readdir and this read
  }
  // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const pgrp = Number(fields[2])
  return state === undefined || !Number.isSafeInteger(pgrp) ? undefined : { state, pgrp }
}
