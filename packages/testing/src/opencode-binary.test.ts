import { accessSync, constants } from 'node:fs'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { describe, expect, it } from 'vitest'
import { opencodePlatformPackages, resolveOpencodeBinary } from './opencode-binary'

describe('opencodePlatformPackages', () => {
  it('tries the baseline and musl builds after the regular one', () => {
    expect(opencodePlatformPackages('linux', 'x64')).toEqual([
      'opencode-linux-x64',
      'opencode-linux-x64-baseline',
      'opencode-linux-x64-musl',
      'opencode-linux-x64-baseline-musl',
    ])
    expect(opencodePlatformPackages('linux', 'arm64')).toEqual(['opencode-linux-arm64', 'opencode-linux-arm64-musl'])
    expect(opencodePlatformPackages('darwin', 'x64')).toEqual(['opencode-darwin-x64', 'opencode-darwin-x64-baseline'])
    expect(opencodePlatformPackages('win32', 'x64')).toEqual(['opencode-windows-x64', 'opencode-windows-x64-baseline'])
  })
})

describe('resolveOpencodeBinary', () => {
  it('finds the installed platform binary next to opencode-ai', () => {
    const binary = resolveOpencodeBinary()
    expect(binary.path).toMatch(/opencode-[a-z0-9-]+[/\\]bin[/\\]opencode(\.exe)?$/)
    expect(binary.version).toMatch(/^\d+\.\d+\.\d+/)
    expect(() => accessSync(binary.path, constants.X_OK)).not.toThrow()
  })

  it('names every package it tried when none is installed', () => {
    let error: unknown
    try {
      resolveOpencodeBinary({ platform: 'aix', arch: 'ppc64' })
    } catch (caught) {
      error = caught
    }
    expect(OrchestratorError.hasCode(error, 'host-failed')).toBe(true)
    expect((error as Error).message).toContain('opencode-aix-ppc64 (not installed)')
  })
})
