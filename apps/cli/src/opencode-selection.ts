import { spawnSync } from 'node:child_process'
import { accessSync, constants, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { delimiter, join } from 'node:path'
import { OrchestratorError, errorMessage, type Logger } from '@opencode-orchestrator/core'
import { resolveOpencodeBinary } from '@opencode-orchestrator/testing'
import semver from 'semver'

export interface SelectedOpencode {
  /** Absolute path of the executable. */
  path: string
  version: string
  /** `path`: the user's own OpenCode; `bundled`: the optional `opencode-ai` dependency. */
  source: 'path' | 'bundled'
}

export interface SelectOpencodeOptions {
  env: Record<string, string | undefined>
  /** Module URL the plugin and the bundled OpenCode are resolved from (the CLI's own location). */
  from: string
  logger: Logger
  /** Default `process.platform`. */
  platform?: NodeJS.Platform
}

/**
 * The OpenCode versions the plugin supports: its `engines.opencode`, the same
 * range OpenCode's own plugin installer enforces.
 */
export function supportedOpencodeRange(from: string): string {
  const manifest = createRequire(from).resolve('opencode-orchestrator/package.json')
  const range = (JSON.parse(readFileSync(manifest, 'utf8')) as { engines?: { opencode?: string } }).engines?.opencode
  if (range === undefined || semver.validRange(range) === null) {
    throw new OrchestratorError({ code: 'host-failed', message: `${manifest} has no valid engines.opencode range; reinstall @opencode-orchestrator/cli.` })
  }
  return range
}

/** Every `opencode` executable on PATH, in PATH order. */
export function opencodeOnPath(env: Record<string, string | undefined>, platform: NodeJS.Platform = process.platform): string[] {
  const names = platform === 'win32' ? ['opencode.exe', 'opencode.cmd'] : ['opencode']
  const found: string[] = []
  for (const directory of (env['PATH'] ?? '').split(delimiter)) {
    if (directory.length === 0) continue
    for (const name of names) {
      const candidate = join(directory, name)
      try {
        accessSync(candidate, constants.X_OK)
        if (!found.includes(candidate)) found.push(candidate)
      } catch {
        // not here
      }
    }
  }
  return found
}

/** `opencode --version` of an executable, or why it could not be read. */
export function opencodeVersion(path: string, env: Record<string, string | undefined>): { version: string } | { problem: string } {
  const result = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 15_000, env: { ...env, OPENCODE_DISABLE_AUTOUPDATE: '1' } })
  if (result.error !== undefined) return { problem: errorMessage(result.error) }
  if (result.status !== 0) return { problem: `exited with ${String(result.status ?? result.signal)}: ${result.stderr.trim().slice(0, 200)}` }
  const version = semver.coerce(result.stdout.trim())?.version
  return version === undefined ? { problem: `printed no version ("${result.stdout.trim().slice(0, 80)}")` } : { version }
}

/**
 * The OpenCode the runner starts: the first `opencode` on PATH whose version
 * the plugin supports, otherwise the one the optional `opencode-ai` dependency
 * installed. Each skipped candidate is logged, and when none fits the error
 * names them all and how to get a supported one.
 */
export function selectOpencode(options: SelectOpencodeOptions): SelectedOpencode {
  const range = supportedOpencodeRange(options.from)
  const skipped: string[] = []
  for (const path of opencodeOnPath(options.env, options.platform)) {
    const answer = opencodeVersion(path, options.env)
    if ('problem' in answer) {
      skipped.push(`${path} (${answer.problem})`)
      continue
    }
    if (semver.satisfies(answer.version, range)) return { path, version: answer.version, source: 'path' }
    skipped.push(`${path} (${answer.version}, not ${range})`)
  }
  if (skipped.length > 0) options.logger.log('info', 'OpenCode on PATH not used', { supported: range, skipped })
  try {
    const bundled = resolveOpencodeBinary({ from: options.from, ...(options.platform !== undefined ? { platform: options.platform } : {}) })
    if (!semver.satisfies(bundled.version, range)) {
      throw new OrchestratorError({ code: 'host-failed', message: `the installed opencode-ai is ${bundled.version}, not ${range}` })
    }
    return { path: bundled.path, version: bundled.version, source: 'bundled' }
  } catch (error) {
    const pathText = skipped.length === 0 ? 'There is no opencode on PATH' : `OpenCode on PATH: ${skipped.join('; ')}`
    throw new OrchestratorError({
      code: 'host-failed',
      message: `No supported OpenCode (${range}) found. ${pathText}; the bundled one: ${errorMessage(error)}. Install a supported OpenCode (\`npm install -g opencode-ai@${semver.minVersion(range)?.version ?? range}\`) or reinstall @opencode-orchestrator/cli with optional dependencies.`,
      cause: error,
      details: { range, skipped },
    })
  }
}
