import { accessSync, constants, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

export interface ResolveOpencodeBinaryOptions {
  /** Default `process.platform`. */
  platform?: NodeJS.Platform
  /** Default `process.arch`. */
  arch?: string
  /** Where to resolve `opencode-ai` from. Default: this package. */
  from?: string
}

export interface OpencodeBinary {
  /** Absolute path of the executable. */
  path: string
  /** Platform package it came from, e.g. `opencode-linux-x64`. */
  packageName: string
  /** Version of `opencode-ai` (the binary packages share it). */
  version: string
}

/** Platform packages to try, best first. The baseline builds run on CPUs without AVX2. */
export function opencodePlatformPackages(platform: NodeJS.Platform, arch: string): string[] {
  const os = platform === 'win32' ? 'windows' : platform
  const base = `opencode-${os}-${arch}`
  if (os === 'linux' && arch === 'x64') return [base, `${base}-baseline`, `${base}-musl`, `${base}-baseline-musl`]
  if (os === 'linux') return [base, `${base}-musl`]
  if (arch === 'x64') return [base, `${base}-baseline`]
  return [base]
}

/**
 * Finds the real OpenCode executable shipped by `opencode-ai`. Its own `bin/opencode.exe`
 * is a stub until its postinstall runs (pnpm skips it), and pnpm does not hoist optional
 * dependencies, so the platform package is resolved from `opencode-ai`'s own location.
 */
export function resolveOpencodeBinary(options: ResolveOpencodeBinaryOptions = {}): OpencodeBinary {
  const platform = options.platform ?? process.platform
  const arch = options.arch ?? process.arch
  const requireHere = createRequire(options.from ?? import.meta.url)
  let opencodeAiJson: string
  try {
    opencodeAiJson = requireHere.resolve('opencode-ai/package.json')
  } catch (error) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: 'Cannot find the opencode-ai package. Add "opencode-ai" to the dependencies of the package that runs the tests.',
      cause: error,
    })
  }
  const version = (JSON.parse(readFileSync(opencodeAiJson, 'utf8')) as { version: string }).version
  const requireFromOpencode = createRequire(opencodeAiJson)
  const candidates = opencodePlatformPackages(platform, arch)
  const tried: string[] = []
  for (const packageName of candidates) {
    let packageJson: string
    try {
      packageJson = requireFromOpencode.resolve(`${packageName}/package.json`)
    } catch {
      tried.push(`${packageName} (not installed)`)
      continue
    }
    const path = join(dirname(packageJson), 'bin', platform === 'win32' ? 'opencode.exe' : 'opencode')
    try {
      accessSync(path, constants.X_OK)
      return { path, packageName, version }
    } catch {
      tried.push(`${packageName} (no executable at ${path})`)
    }
  }
  throw new OrchestratorError({
    code: 'host-failed',
    message: `No OpenCode binary for ${platform}/${arch} next to opencode-ai ${version}. Tried: ${tried.join(', ')}. Reinstall with optional dependencies enabled.`,
    details: { platform, arch, tried },
  })
}
