import { mkdir, open, readFile, rm } from 'node:fs/promises'
import { dirname } from 'node:path'
import { errorMessage } from '@opencode-orchestrator/core'
import { isSameProcessAlive, type ProcessIdentity } from './process-identity'

/** Who holds a project's orchestrator: the process and the plugin instance inside it. */
export interface InstanceLockOwner {
  instance: string
  process: ProcessIdentity
  acquiredAt: number
}

export type InstanceLockResult =
  | { acquired: true; release: () => Promise<void> }
  | { acquired: false; holder: InstanceLockOwner }

export interface AcquireInstanceLockOptions {
  /** The lock file, inside the project's mission folder. */
  path: string
  instance: string
  /** This process; `undefined` where it cannot be identified (no `/proc`): the lock is then not taken and the plugin runs. */
  process: ProcessIdentity | undefined
  now: () => number
  /** Liveness of a holder; default: the same pid with the same start time is still running. */
  isAlive?: (owner: InstanceLockOwner) => Promise<boolean>
}

/**
 * One orchestrator per project directory, whatever loads it: the CLI's plugin and an `opencode.json`
 * entry both loaded into one server, or two servers on one project, would otherwise run two engines
 * over one mission folder (two missions for one `/task`, journals resumed twice). The lock is a file
 * in the mission folder created exclusively; its holder is named by process identity and plugin
 * instance. A holder that is gone (a killed OpenCode) leaves a stale file, which is taken over.
 * A live holder — another process, or another instance in this very process — wins; the caller
 * stays inactive and says so (docs/decisions/046).
 */
export async function acquireInstanceLock(options: AcquireInstanceLockOptions): Promise<InstanceLockResult> {
  const isAlive = options.isAlive ?? ((owner: InstanceLockOwner) => isSameProcessAlive(owner.process))
  if (options.process === undefined) return { acquired: true, release: async () => undefined }
  const owner: InstanceLockOwner = { instance: options.instance, process: options.process, acquiredAt: options.now() }
  await mkdir(dirname(options.path), { recursive: true })
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(options.path, 'wx')
      try {
        await handle.writeFile(`${JSON.stringify(owner)}\n`)
      } finally {
        await handle.close()
      }
      return {
        acquired: true,
        release: async () => {
          // Only our own lock: a successor may have taken over a lock it judged stale.
          const current = await readOwner(options.path)
          if (current?.instance === owner.instance) await rm(options.path, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`Cannot create the orchestrator lock ${options.path}: ${errorMessage(error)}`, { cause: error })
    }
    const holder = await readOwner(options.path)
    if (holder && (await isAlive(holder))) return { acquired: false, holder }
    // Stale (its process is gone) or unreadable (a crash mid-write): remove it and try again.
    await rm(options.path, { force: true })
  }
  throw new Error(`Cannot take the orchestrator lock ${options.path}: it keeps reappearing. Another OpenCode may be starting on this project; restart this one.`)
}

async function readOwner(path: string): Promise<InstanceLockOwner | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<InstanceLockOwner>
    if (typeof parsed.instance !== 'string' || typeof parsed.process?.pid !== 'number' || typeof parsed.process.startTicks !== 'string') return undefined
    return { instance: parsed.instance, process: parsed.process, acquiredAt: Number(parsed.acquiredAt) }
  } catch {
    return undefined
  }
}
