import { randomUUID } from 'node:crypto'
import { appendFile, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import { dirname, isAbsolute } from 'node:path'
import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'
import type { Logger, Storage } from '@opencode-orchestrator/core'
import { errorCode, hasErrorCode } from './error-code'
import { resolveStoragePath } from './storage-path'

/**
 * Name prefix of the temporary files of in-flight atomic writes. `list` hides
 * them, so a write that crashed half-way leaves nothing a reader would pick up.
 */
export const TEMPORARY_FILE_PREFIX = '.orchestrator-tmp-'

/** Options for {@link createFileStorage}. */
export interface CreateFileStorageOptions {
  /** Absolute directory every storage path is relative to. Created on the first write. */
  root: string
  /** Receives write failures and fsync fallbacks. */
  logger: Logger
}

/**
 * {@link Storage} on the local disk. Writes are atomic (temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory), and the
 * mutations of one path run in call order, so the last call wins just as with
 * the in-memory storage. Readers in other processes see the old or the new file,
 * never a mix.
 */
export function createFileStorage({ root, logger }: CreateFileStorageOptions): Storage {
  if (typeof root !== 'string' || !isAbsolute(root)) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `File storage root ${JSON.stringify(root)} must be an absolute directory path (resolve it against the project directory first).`,
      details: { field: 'root', root },
    })
  }
  const log = logger.child({ component: 'file-storage' })
  const queue = createPathQueue()
  let temporaryCounter = 0

  const locate = (path: string, field: string) => resolveStoragePath({ root, path, field })

  const failure = (operation: string, path: string, cause: unknown): OrchestratorError => {
    const error = new OrchestratorError({
      code: 'storage-failed',
      message: `Storage ${operation} of ${JSON.stringify(path)} failed: ${errorMessage(cause)}`,
      cause,
      details: { operation, path, root },
    })
    log.log('error', error.message, { operation, path })
    return error
  }

  /** Makes a rename or file creation in `directory` durable; not every platform can. */
  const syncDirectory = async (directory: string) => {
    let handle
    try {
      handle = await open(directory, 'r')
      await handle.sync()
    } catch (error) {
      if (!hasErrorCode(error, ['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP', 'EBADF', 'EACCES'])) throw error
      log.log('debug', 'directory fsync is not supported here; the rename is atomic but may not survive a power loss', {
        directory,
        code: errorCode(error),
      })
    } finally {
      await handle?.close()
    }
  }

  const writeAtomically = async (target: string, content: string) => {
    const directory = dirname(target)
    await mkdir(directory, { recursive: true })
    temporaryCounter += 1
    const temporary = `${directory}/${TEMPORARY_FILE_PREFIX}${process.pid}-${temporaryCounter}-${randomUUID().slice(0, 8)}`
    try {
      const handle = await open(temporary, 'wx')
      try {
        await handle.writeFile(content, 'utf8')
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temporary, target)
    } catch (error) {
      await unlink(temporary).catch((cleanupError: unknown) => {
        if (!hasErrorCode(cleanupError, ['ENOENT'])) {
          log.log('warn', 'could not remove the temporary file of a failed write', { temporary, error: errorMessage(cleanupError) })
        }
      })
      throw error
    }
    await syncDirectory(directory)
  }

  return {
    async read(path) {
      const file = locate(path, 'path')
      try {
        return await readFile(file, 'utf8')
      } catch (error) {
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return undefined
        throw failure('read', path, error)
      }
    },

    async write(path, content) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          await writeAtomically(file, content)
        } catch (error) {
          throw failure('write', path, error)
        }
      })
    },

    async append(path, content) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          await mkdir(dirname(file), { recursive: true })
          await appendFile(file, content, 'utf8')
        } catch (error) {
          throw failure('append', path, error)
        }
      })
    },

    async list(directory) {
      const folder = resolveStoragePath({ root, path: directory, field: 'directory', allowRoot: true })
      try {
        const entries = await readdir(folder, { withFileTypes: true })
        return entries
          .filter((entry) => entry.isFile() && !entry.name.startsWith(TEMPORARY_FILE_PREFIX))
          .map((entry) => entry.name)
          .sort()
      } catch (error) {
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return []
        throw failure('list', directory, error)
      }
    },

    async size(path) {
      const file = locate(path, 'path')
      try {
        const stats = await stat(file)
        return stats.isFile() ? stats.size : undefined
      } catch (error) {
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return undefined
        throw failure('size', path, error)
      }
    },

    async rename(from, to) {
      const source = locate(from, 'from')
      const target = locate(to, 'to')
      await queue.run([source, target], async () => {
        try {
          await mkdir(dirname(target), { recursive: true })
          await rename(source, target)
          await syncDirectory(dirname(target))
          if (dirname(source) !== dirname(target)) await syncDirectory(dirname(source))
        } catch (error) {
          throw failure('rename', `${from} -> ${to}`, error)
        }
      })
    },

    async remove(path) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          await unlink(file)
        } catch (error) {
          if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return
          throw failure('remove', path, error)
        }
      })
    },
  }
}

/**
 * Runs operations on the same file one after another, in call order. Operations
 * on several files (rename) wait for each file in sorted order, which rules out
 * two renames waiting on each other.
 */
function createPathQueue() {
  const tails = new Map<string, Promise<unknown>>()
  const runOne = <T>(key: string, operation: () => Promise<T>): Promise<T> => {
    const previous = tails.get(key) ?? Promise.resolve()
    const result = previous.then(operation)
    // The chain must not reject, or the next operation on the path would see this one's error.
    const tail = result.then(
      () => undefined,
      () => undefined,
    )
    tails.set(key, tail)
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key)
    })
    return result
  }
  return {
    run<T>(keys: string[], operation: () => Promise<T>): Promise<T> {
      const unique = [...new Set(keys)].sort()
      const nest = (index: number): Promise<T> => {
        const key = unique[index]
        if (key === undefined) return operation()
        return runOne(key, () => nest(index + 1))
      }
      return nest(0)
    },
  }
}
