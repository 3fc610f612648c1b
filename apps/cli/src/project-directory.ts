import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

/** The project folder of `--dir` (default: `cwd`), which must exist; `invalid-argument` names it otherwise. */
export async function projectDirectory(cwd: string, directory: string | undefined): Promise<string> {
  const path = resolve(cwd, directory ?? '.')
  let isDirectory = false
  try {
    isDirectory = (await stat(path)).isDirectory()
  } catch {
    isDirectory = false
  }
  if (!isDirectory) {
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `--dir ${directory ?? '.'}: ${path} is not a directory. Pass the project's folder (it must exist).`,
      details: { field: 'dir', value: directory },
    })
  }
  return path
}
