import { randomUUID } from 'node:crypto'
import { constants, existsSync } from 'node:fs'
import { lstat, mkdir, open, readdir, readlink, rename, unlink } from 'node:fs/promises'
import { basename, dirname, isAbsolute, relative, resolve, sep } from 'node:path'
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
  /**
   * Folder the root lies in (the project). No folder between it and the root may be a symbolic
   * link either: a repository that ships `.opencode` as a link must not move the state out.
   * Default: the root itself.
   */
  boundary?: string
}

/** Node reports a no-follow open of a link as ELOOP (Linux, macOS) or EMLINK (FreeBSD). */
const LINK_OPEN_CODES = ['ELOOP', 'EMLINK']
/** Linux's per-process descriptor folder, the stand-in for `openat` (see `openForAppend`). */
const procFdAvailable = process.platform === 'linux' && existsSync('/proc/self/fd')

/**
 * {@link Storage} on the local disk. Writes are atomic (temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory), and the
 * mutations of one path run in call order, so the last call wins just as with
 * the in-memory storage. Readers in other processes see the old or the new file,
 * never a mix.
 */
export function createFileStorage({ root, logger, boundary = root }: CreateFileStorageOptions): Storage {
  if (typeof root !== 'string' || !isAbsolute(root)) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `File storage root ${JSON.stringify(root)} must be an absolute directory path (resolve it against the project directory first).`,
      details: { field: 'root', root },
    })
  }
  const fromBoundary = relative(boundary, root)
  if (!isAbsolute(boundary) || fromBoundary.startsWith(`..${sep}`) || fromBoundary === '..' || isAbsolute(fromBoundary)) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `File storage boundary ${JSON.stringify(boundary)} must be an absolute directory that contains the root ${JSON.stringify(root)}.`,
      details: { field: 'boundary', boundary, root },
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

  const linkError = async (path: string, link: string, cause?: unknown): Promise<OrchestratorError> => {
    const target = await readlink(link).catch(() => undefined)
    const shown = relative(boundary, link) || link
    const error = new OrchestratorError({
      code: 'storage-failed',
      message:
        `Storage refused ${JSON.stringify(path)}: ${shown} is a symbolic link${target === undefined ? '' : ` to ${target}`}. ` +
        'The orchestrator never follows links in its state folder, so nothing is read or written outside the project. ' +
        `Fix: remove the link (a plain folder or file of that name is fine).`,
      ...(cause === undefined ? {} : { cause }),
      details: { path, link, ...(target === undefined ? {} : { target }), root },
    })
    log.log('error', error.message, { path, link })
    return error
  }

  /**
   * Throws when a folder below the boundary, down to `directory` (included), is a symbolic link.
   * The boundary itself may be one (a project opened through a link). Folders that do not exist
   * yet are fine: `mkdir` creates plain ones.
   */
  const assertNoLinkedFolder = async (path: string, directory: string) => {
    const steps = relative(boundary, directory).split(sep).filter((segment) => segment !== '')
    let current = boundary
    for (const step of steps) {
      current = resolve(current, step)
      let stats
      try {
        stats = await lstat(current)
      } catch (error) {
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return
        throw error
      }
      if (stats.isSymbolicLink()) throw await linkError(path, current)
    }
  }

  /** `open` that never follows a link in the last component; an earlier folder is checked first. */
  const openNoFollow = async (path: string, file: string, flags: number) => {
    try {
      return await open(file, flags | constants.O_NOFOLLOW, 0o666)
    } catch (error) {
      if (hasErrorCode(error, LINK_OPEN_CODES)) throw await linkError(path, file, error)
      throw error
    }
  }

  /**
   * Opens `file` for appending through folder handles taken without following links, so a folder swapped for a
   * link between a check and the open is never followed. Node has no `openat`; on Linux `/proc/self/fd/<fd>/<name>`
   * stands in for it (the folder handle, not its path, is resolved). Elsewhere: check, then open.
   */
  const openForAppend = async (path: string, file: string) => {
    const flags = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT
    if (!procFdAvailable) {
      await assertNoLinkedFolder(path, dirname(file))
      await mkdir(dirname(file), { recursive: true })
      return openNoFollow(path, file, flags)
    }
    const folderFlags = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
    await mkdir(boundary, { recursive: true })
    let folder = await open(boundary, constants.O_RDONLY | constants.O_DIRECTORY)
    try {
      let current = boundary
      for (const step of relative(boundary, dirname(file)).split(sep).filter((segment) => segment !== '')) {
        current = resolve(current, step)
        const via = `/proc/self/fd/${folder.fd}/${step}`
        let next
        try {
          next = await open(via, folderFlags)
        } catch (error) {
          if (hasErrorCode(error, ['ENOENT'])) {
            await mkdir(via).catch((mkdirError: unknown) => {
              if (!hasErrorCode(mkdirError, ['EEXIST'])) throw mkdirError
            })
            next = await open(via, folderFlags).catch(async (again: unknown) => {
              throw hasErrorCode(again, [...LINK_OPEN_CODES, 'ENOTDIR']) ? await linkError(path, current, again) : again
            })
          } else if (hasErrorCode(error, [...LINK_OPEN_CODES, 'ENOTDIR'])) {
            throw await linkError(path, current, error)
          } else throw error
        }
        await folder.close()
        folder = next
      }
      try {
        return await open(`/proc/self/fd/${folder.fd}/${basename(file)}`, flags | constants.O_NOFOLLOW, 0o666)
      } catch (error) {
        if (hasErrorCode(error, LINK_OPEN_CODES)) throw await linkError(path, file, error)
        throw error
      }
    } finally {
      await folder.close()
    }
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

  const writeAtomically = async (path: string, target: string, content: string) => {
    const directory = dirname(target)
    await mkdir(directory, { recursive: true })
    // The rename below would replace a link rather than follow it; refuse it anyway, so a planted link is reported.
    const existing = await lstat(target).catch(() => undefined)
    if (existing?.isSymbolicLink()) throw await linkError(path, target)
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
        await assertNoLinkedFolder(path, dirname(file))
        const handle = await openNoFollow(path, file, constants.O_RDONLY)
        try {
          return await handle.readFile('utf8')
        } finally {
          await handle.close()
        }
      } catch (error) {
        if (OrchestratorError.isInstance(error)) throw error
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return undefined
        throw failure('read', path, error)
      }
    },

    async write(path, content) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          await assertNoLinkedFolder(path, dirname(file))
          await writeAtomically(path, file, content)
        } catch (error) {
          if (OrchestratorError.isInstance(error)) throw error
          throw failure('write', path, error)
        }
      })
    },

    async append(path, content) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          const handle = await openForAppend(path, file)
          try {
            await handle.writeFile(content, 'utf8')
          } finally {
            await handle.close()
          }
        } catch (error) {
          if (OrchestratorError.isInstance(error)) throw error
          throw failure('append', path, error)
        }
      })
    },

    async list(directory) {
      const folder = resolveStoragePath({ root, path: directory, field: 'directory', allowRoot: true })
      try {
        await assertNoLinkedFolder(directory, folder)
        const entries = await readdir(folder, { withFileTypes: true })
        return entries
          .filter((entry) => entry.isFile() && !entry.name.startsWith(TEMPORARY_FILE_PREFIX))
          .map((entry) => entry.name)
          .sort()
      } catch (error) {
        if (OrchestratorError.isInstance(error)) throw error
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return []
        throw failure('list', directory, error)
      }
    },

    async size(path) {
      const file = locate(path, 'path')
      try {
        await assertNoLinkedFolder(path, dirname(file))
        const stats = await lstat(file)
        if (stats.isSymbolicLink()) throw await linkError(path, file)
        return stats.isFile() ? stats.size : undefined
      } catch (error) {
        if (OrchestratorError.isInstance(error)) throw error
        if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) return undefined
        throw failure('size', path, error)
      }
    },

    async rename(from, to) {
      const source = locate(from, 'from')
      const target = locate(to, 'to')
      await queue.run([source, target], async () => {
        try {
          // rename acts on a link itself, never on its target; the folders around it are what could lead out.
          await assertNoLinkedFolder(from, dirname(source))
          await assertNoLinkedFolder(to, dirname(target))
          await mkdir(dirname(target), { recursive: true })
          await rename(source, target)
          await syncDirectory(dirname(target))
          if (dirname(source) !== dirname(target)) await syncDirectory(dirname(source))
        } catch (error) {
          if (OrchestratorError.isInstance(error)) throw error
          throw failure('rename', `${from} -> ${to}`, error)
        }
      })
    },

    async remove(path) {
      const file = locate(path, 'path')
      await queue.run([file], async () => {
        try {
          await assertNoLinkedFolder(path, dirname(file))
          await unlink(file)
        } catch (error) {
          if (OrchestratorError.isInstance(error)) throw error
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
