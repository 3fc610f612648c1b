import { watch, type FSWatcher } from 'node:fs'
import { errorMessage, type Clock, type Logger } from '@opencode-orchestrator/core'

export interface DirectoryWatcher {
  close(): void
}

export interface WatchDirectoryOptions {
  /** Folder to watch; it may not exist yet (the plugin creates it on the first mission). */
  directory: string
  /** Called on every change and every poll; calls are coalesced by the caller. */
  onChange: () => void
  clock: Clock
  logger: Logger
  /** A poll as a safety net: `fs.watch` can miss events (network file systems, some containers). Default 1000 ms. */
  pollMs?: number
}

/**
 * Watches a folder for changed files (the mission journals are replaced by an
 * atomic rename, which `fs.watch` reports on the folder), with a slow poll
 * behind it so a missed event only delays an update.
 */
export function watchDirectory({ directory, onChange, clock, logger, pollMs = 1_000 }: WatchDirectoryOptions): DirectoryWatcher {
  let watcher: FSWatcher | undefined
  let closed = false
  let timer: ReturnType<Clock['setTimeout']> | undefined

  const attach = () => {
    if (watcher !== undefined || closed) return
    try {
      watcher = watch(directory, { persistent: false }, () => onChange())
      watcher.on('error', (error) => {
        logger.log('debug', 'directory watch failed; polling only', { directory, error: errorMessage(error) })
        watcher?.close()
        watcher = undefined
      })
    } catch (error) {
      // Not there yet: the next poll tries again.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') logger.log('debug', 'cannot watch directory; polling only', { directory, error: errorMessage(error) })
    }
  }

  const poll = () => {
    if (closed) return
    attach()
    onChange()
    timer = clock.setTimeout(poll, pollMs)
  }

  attach()
  timer = clock.setTimeout(poll, pollMs)
  return {
    close() {
      closed = true
      watcher?.close()
      watcher = undefined
      if (timer !== undefined) clock.clearTimeout(timer)
    },
  }
}
