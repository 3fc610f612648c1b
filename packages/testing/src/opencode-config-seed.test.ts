import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { copyOpencodeConfigSeed, prepareOpencodeConfigSeed } from './opencode-config-seed'

let root: string

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'seed-test-'))
})

afterEach(async () => {
  await rm(root, { recursive: true, force: true })
})

/** A cache that already holds an installed seed, so no npm call happens. */
async function fakeCache(version: string) {
  const directory = join(root, 'cache', `opencode-config-${version}`)
  const pluginDirectory = join(directory, 'node_modules', '@opencode-ai', 'plugin')
  await mkdir(pluginDirectory, { recursive: true })
  await writeFile(join(pluginDirectory, 'package.json'), JSON.stringify({ name: '@opencode-ai/plugin', version }))
  await writeFile(join(directory, 'package.json'), JSON.stringify({ dependencies: { '@opencode-ai/plugin': version } }))
  return join(root, 'cache')
}

describe('prepareOpencodeConfigSeed', () => {
  it('reuses an installed seed of the same version without installing', async () => {
    const cacheDirectory = await fakeCache('9.9.9')
    const seed = await prepareOpencodeConfigSeed({ version: '9.9.9', cacheDirectory })
    expect(seed).toMatchObject({ version: '9.9.9', installed: false, directory: join(cacheDirectory, 'opencode-config-9.9.9') })
  })
})

describe('copyOpencodeConfigSeed', () => {
  it.each(['link', 'copy'] as const)('puts package.json and node_modules into the config dir (%s)', async (mode) => {
    const cacheDirectory = await fakeCache('1.0.0')
    const seed = await prepareOpencodeConfigSeed({ version: '1.0.0', cacheDirectory })
    const target = join(root, 'home', '.config', 'opencode')
    await copyOpencodeConfigSeed(seed, target, { mode })
    const pluginJson = join(target, 'node_modules', '@opencode-ai', 'plugin', 'package.json')
    expect(JSON.parse(await readFile(pluginJson, 'utf8'))).toMatchObject({ version: '1.0.0' })
    expect(existsSync(join(target, 'package.json'))).toBe(true)
    // Top-level files are always real copies: OpenCode rewrites them.
    expect(statSync(join(target, 'package.json')).nlink).toBe(1)
    expect(statSync(pluginJson).nlink).toBe(mode === 'link' ? 2 : 1)
  })
})
