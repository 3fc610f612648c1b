import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { copyFile, cp, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { OrchestratorError } from '@opencode-orchestrator/core'

export interface PrepareOpencodeConfigSeedOptions {
  /** Version of `@opencode-ai/plugin` to install: must be the server's own version. */
  version: string
  /** Cache root. Default: `node_modules/.cache/opencode-orchestrator` of the testing package. */
  cacheDirectory?: string
  /** Upper bound for `npm install`. Default 180 s. */
  installTimeoutMs?: number
}

export interface OpencodeConfigSeed {
  /** Directory holding `package.json` and `node_modules/@opencode-ai/plugin`. */
  directory: string
  version: string
  /** True when this call ran `npm install` (first use of this version on this machine). */
  installed: boolean
  /** Time spent preparing, in ms. */
  durationMs: number
}

/** Default cache root, next to the testing package's own dependencies. */
export function defaultSeedCacheDirectory(): string {
  return fileURLToPath(new URL('../node_modules/.cache/opencode-orchestrator/', import.meta.url))
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { output: `${stdout}\n${stderr}` }))
      else resolve(`${stdout}\n${stderr}`)
    })
  })
}

/**
 * Installs `@opencode-ai/plugin` once per version into a cache directory. OpenCode installs it into
 * its config dir on first use of a plugin (≈9 s on this machine, ≈70 s offline); copying a
 * pre-installed tree into each isolated config dir takes ≈0.2 s.
 *
 * Safe when several test processes call it at once: each installs into its own temporary
 * directory and the first atomic rename wins.
 */
export async function prepareOpencodeConfigSeed(options: PrepareOpencodeConfigSeedOptions): Promise<OpencodeConfigSeed> {
  const started = Date.now()
  const cacheDirectory = options.cacheDirectory ?? defaultSeedCacheDirectory()
  const directory = join(cacheDirectory, `opencode-config-${options.version}`)
  const marker = join(directory, 'node_modules', '@opencode-ai', 'plugin', 'package.json')
  if (existsSync(marker)) return { directory, version: options.version, installed: false, durationMs: Date.now() - started }

  const staging = `${directory}.staging-${process.pid}-${Date.now()}`
  await mkdir(staging, { recursive: true })
  try {
    await writeFile(
      join(staging, 'package.json'),
      `${JSON.stringify({ dependencies: { '@opencode-ai/plugin': options.version } }, null, 2)}\n`,
    )
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'], staging, options.installTimeoutMs ?? 180_000)
    } catch (error) {
      throw new OrchestratorError({
        code: 'host-failed',
        message: `npm install of @opencode-ai/plugin@${options.version} into ${staging} failed. Is the npm registry reachable? Output: ${String((error as { output?: string }).output ?? error).slice(-2_000)}`,
        cause: error,
      })
    }
    const installed = JSON.parse(await readFile(join(staging, 'node_modules', '@opencode-ai', 'plugin', 'package.json'), 'utf8')) as { version: string }
    if (installed.version !== options.version) {
      throw new OrchestratorError({
        code: 'host-failed',
        message: `npm installed @opencode-ai/plugin@${installed.version}, expected ${options.version}.`,
      })
    }
    try {
      await rename(staging, directory)
    } catch (error) {
      // Another process won the race; its tree is as good as ours.
      if (!existsSync(marker)) throw error
    }
    return { directory, version: options.version, installed: true, durationMs: Date.now() - started }
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
}

/**
 * Puts a seed into an isolated OpenCode config directory (`$XDG_CONFIG_HOME/opencode`).
 *
 * `link` (default) hard-links the ≈3,600 files of `node_modules` (0.2–0.3 s on a loaded 2-core box,
 * against 2–3 s for `cp -R` and ≈4 s for `fs.cp`) and copies the top-level files, which OpenCode
 * rewrites. OpenCode leaves an up-to-date `node_modules` alone, and package managers replace files
 * rather than edit them in place, so the shared cache stays intact. It falls back to a copy when
 * linking fails (e.g. the temp dir is on another file system).
 */
export async function copyOpencodeConfigSeed(
  seed: OpencodeConfigSeed,
  configDirectory: string,
  options: { mode?: 'link' | 'copy' } = {},
): Promise<void> {
  await mkdir(configDirectory, { recursive: true })
  for (const file of ['package.json', 'package-lock.json']) {
    if (existsSync(join(seed.directory, file))) await copyFile(join(seed.directory, file), join(configDirectory, file))
  }
  const modules = join(seed.directory, 'node_modules')
  if (process.platform !== 'win32' && options.mode !== 'copy') {
    try {
      await run('cp', ['-al', modules, configDirectory], seed.directory, 60_000)
      return
    } catch {
      // Cross-device or no hard-link support: copy instead.
      await rm(join(configDirectory, 'node_modules'), { recursive: true, force: true })
    }
  }
  if (process.platform === 'win32') {
    await cp(modules, join(configDirectory, 'node_modules'), { recursive: true })
    return
  }
  await run('cp', ['-R', modules, configDirectory], seed.directory, 120_000)
}
