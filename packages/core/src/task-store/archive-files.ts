/**
 * The task archive on disk: size-rotated JSON-lines files `tasks-NNNNNN.jsonl` in one directory,
 * their listing, retention (oldest files removed beyond `maxFiles`), and the search for a task's
 * newest archived version. The store (task-store.ts) runs every call on its one operation chain.
 */
import { errorMessage } from '../orchestrator-error'
import type { Logger, Storage } from '../ports'
import type { Task } from '../task'

const FILE_PATTERN = /^tasks-(\d+)\.jsonl$/

export function fileName(index: number): string {
  return `tasks-${String(index).padStart(6, '0')}.jsonl`
}

/** UTF-8 size of a string without encoding it. */
export function utf8Length(text: string): number {
  let bytes = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x80) bytes += 1
    else if (code < 0x800) bytes += 2
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const low = text.charCodeAt(index + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        bytes += 4
        index++
      } else bytes += 3
    } else bytes += 3
  }
  return bytes
}

export interface ArchiveFiles {
  pathOf(name: string): string
  /** The archive's files, oldest first. */
  archiveFiles(): Promise<Array<{ name: string; index: number }>>
  /** Removes the oldest files beyond `maxFiles` (0 = keep all). */
  applyRetention(): Promise<void>
  /** The newest archived version of a task, searching newest files first. */
  find(id: string): Promise<Task | undefined>
}

export function createArchiveFiles(options: { storage: Storage; logger: Logger; directory: string; maxFiles: number }): ArchiveFiles {
  const { storage, logger, directory, maxFiles } = options
  const pathOf = (name: string) => (directory === '' ? name : `${directory}/${name}`)

  const archiveFiles = async (): Promise<Array<{ name: string; index: number }>> => {
    const files: Array<{ name: string; index: number }> = []
    for (const name of await storage.list(directory)) {
      const match = FILE_PATTERN.exec(name)
      if (match) files.push({ name, index: Number(match[1]) })
    }
    return files.sort((a, b) => a.index - b.index)
  }

  const applyRetention = async () => {
    if (maxFiles === 0) return
    const files = await archiveFiles()
    for (const file of files.slice(0, Math.max(0, files.length - maxFiles))) {
      try {
        await storage.remove(pathOf(file.name))
        logger.log('info', 'task archive file removed by retention', { file: pathOf(file.name), maxFiles })
      } catch (error) {
        // The tasks in it are still archived; retention tries again at the next rotation.
        logger.log('error', 'task archive retention could not remove a file', { file: pathOf(file.name), error: errorMessage(error) })
      }
    }
  }

  const find = async (id: string): Promise<Task | undefined> => {
    const needle = `"id":${JSON.stringify(id)}`
    const files = await archiveFiles()
    for (let fileIndex = files.length - 1; fileIndex >= 0; fileIndex--) {
      const path = pathOf(files[fileIndex]!.name)
      const content = await storage.read(path)
      if (content === undefined || !content.includes(needle)) continue
      const lines = content.split('\n')
      for (let lineIndex = lines.length - 1; lineIndex >= 0; lineIndex--) {
        const line = lines[lineIndex]!
        if (!line.includes(needle)) continue
        try {
          const task = JSON.parse(line) as Task
          if (task.id === id) return task
        } catch (error) {
          logger.log('warn', 'skipping an unreadable task archive line', { file: path, line: lineIndex + 1, error: errorMessage(error) })
        }
      }
    }
    return undefined
  }

  return { pathOf, archiveFiles, applyRetention, find }
}
