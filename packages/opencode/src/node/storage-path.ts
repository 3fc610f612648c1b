import { isAbsolute, relative, resolve, sep } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

/** Options for {@link resolveStoragePath}. */
export interface ResolveStoragePathOptions {
  /** Absolute storage root the path must stay inside. */
  root: string
  /** Relative, `/`-separated path as the {@link Storage} port receives it. */
  path: string
  /** Which argument the path came from (`path`, `from`, `to`, `directory`), for the error message. */
  field: string
  /** True for directories: the empty path (or `.`) then names the root itself. */
  allowRoot?: boolean
}

/**
 * Turns a storage path into an absolute file-system path inside `root`, or throws
 * an `invalid-argument` error naming the path. Rejects absolute paths, `..`
 * segments, backslashes (a separator on Windows, so a way out on that host) and
 * NUL bytes, then checks the resolved result once more so no spelling can escape.
 */
export function resolveStoragePath({ root, path, field, allowRoot = false }: ResolveStoragePathOptions): string {
  const reject = (reason: string): never => {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `Storage ${field} ${JSON.stringify(path)} is not allowed: ${reason}. Use a relative, '/'-separated path inside the storage root.`,
      details: { field, path, root },
    })
  }
  if (typeof path !== 'string') return reject('it is not a string')
  if (path.includes('\0')) reject('it contains a NUL byte')
  if (path.includes('\\')) reject('it contains a backslash')
  if (path.startsWith('/') || isAbsolute(path) || /^[a-zA-Z]:/.test(path)) reject('it is absolute')
  // Empty and `.` segments (`a//b`, `./a`, trailing `/`) are harmless spellings; `..` is the way out.
  const segments = path.split('/').filter((segment) => segment !== '' && segment !== '.')
  if (segments.includes('..')) reject("it contains a '..' segment")
  if (segments.length === 0 && !allowRoot) reject('it names no file')
  const absolute = resolve(root, ...segments)
  const inside = relative(root, absolute)
  if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) reject('it resolves outside the storage root')
  return absolute
}
