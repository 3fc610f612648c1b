import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLogger, OrchestratorError, type LogLevel } from '@opencode-orchestrator/core'
import { resolveOpencodeBinary } from '@opencode-orchestrator/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { opencodeOnPath, selectOpencode, supportedOpencodeRange } from './opencode-selection'

const from = import.meta.url
const directories: string[] = []

/** A directory with an executable `opencode` that prints `version` (or fails), to put on PATH. */
function fakeOpencode(output: string, exitCode = 0): string {
  const directory = mkdtempSync(join(tmpdir(), 'opencode-path-'))
  directories.push(directory)
  const script = join(directory, 'opencode')
  writeFileSync(script, `#!/bin/sh\necho '${output}'\nexit ${exitCode}\n`)
  chmodSync(script, 0o755)
  return directory
}

function logs() {
  const entries: Array<{ level: LogLevel; message: string; fields: Record<string, unknown> }> = []
  return { entries, logger: createLogger((entry) => entries.push(entry)) }
}

afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

describe('selectOpencode', () => {
  it("reads the supported range from the plugin's engines.opencode", () => {
    expect(supportedOpencodeRange(from)).toBe('~1.18.33')
  })

  it('uses an OpenCode on PATH whose version the plugin supports', () => {
    const directory = fakeOpencode('1.18.40')
    const selected = selectOpencode({ env: { PATH: `/nonexistent:${directory}` }, from, logger: logs().logger })
    expect(selected).toEqual({ path: join(directory, 'opencode'), version: '1.18.40', source: 'path' })
  })

  it('falls back to the bundled OpenCode when the one on PATH is unsupported or broken, and logs why', () => {
    const old = fakeOpencode('1.17.2')
    const broken = fakeOpencode('boom', 3)
    const { entries, logger } = logs()
    const selected = selectOpencode({ env: { PATH: `${broken}:${old}` }, from, logger })
    expect(selected).toEqual({ path: resolveOpencodeBinary().path, version: '1.18.33', source: 'bundled' })
    const skipped = entries.find((entry) => entry.message === 'OpenCode on PATH not used')?.fields['skipped']
    expect(skipped).toEqual([`${join(broken, 'opencode')} (exited with 3: )`, `${join(old, 'opencode')} (1.17.2, not ~1.18.33)`])
  })

  it('uses the bundled OpenCode when PATH has none', () => {
    expect(selectOpencode({ env: { PATH: '' }, from, logger: logs().logger }).source).toBe('bundled')
  })

  it('names every candidate and the fix when none is supported', () => {
    const old = fakeOpencode('opencode 2.0.1')
    let error: unknown
    try {
      // No bundled binary exists for this platform, as after `npm install --omit=optional`.
      selectOpencode({ env: { PATH: old }, from, logger: logs().logger, platform: 'aix' })
    } catch (caught) {
      error = caught
    }
    expect(OrchestratorError.isInstance(error)).toBe(true)
    const message = (error as Error).message
    expect(message).toContain('No supported OpenCode (~1.18.33) found')
    expect(message).toContain(`${join(old, 'opencode')} (2.0.1, not ~1.18.33)`)
    expect(message).toContain('npm install -g opencode-ai@1.18.33')
  })

  it('lists executables on PATH in order, once each', () => {
    const a = fakeOpencode('1.18.33')
    expect(opencodeOnPath({ PATH: `${a}::${a}:/nonexistent` })).toEqual([join(a, 'opencode')])
  })
})
