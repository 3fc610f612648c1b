import { readFile } from 'node:fs/promises'

/**
 * Who a process is, beyond its id: its pid plus its start time in clock ticks
 * since boot (field 22 of `/proc/<pid>/stat`). Pids are reused; the pair is not.
 * `undefined` when the process is gone (or a zombie), and on systems without
 * `/proc`, where a process cannot be told from a later one with the same id.
 */
export interface ProcessIdentity {
  pid: number
  startTicks: string
}

/** The identity of a live process, or `undefined` (gone, zombie, or no `/proc`). */
export async function readProcessIdentity(pid: number): Promise<ProcessIdentity | undefined> {
  if (!Number.isSafeInteger(pid) || pid < 1) return undefined
  let text: string
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // "pid (comm) state ppid pgrp … starttime …": comm may hold spaces and ')' — split after the last ')'.
  // Fields after it start at field 3 (state), so field 22 (starttime) is index 19.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const startTicks = fields[19]
  if (state === undefined || state === 'Z' || state === 'X' || startTicks === undefined || !/^\d+$/.test(startTicks)) return undefined
  return { pid, startTicks }
}

/** True when the process named by `identity` is still the same live process. */
export async function isSameProcessAlive(identity: ProcessIdentity): Promise<boolean> {
  const current = await readProcessIdentity(identity.pid)
  return current !== undefined && current.startTicks === identity.startTicks
}
