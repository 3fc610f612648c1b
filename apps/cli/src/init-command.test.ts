import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { loadConfig, parseJsonc } from '@opencode-orchestrator/opencode'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { afterEach, describe, expect, it } from 'vitest'
import { CONFIG_FILE, SCHEMA_FILE, initCommand } from './init-command'

const directories: string[] = []
function project(): string {
  const directory = mkdtempSync(join(tmpdir(), 'orchestrator-init-'))
  directories.push(directory)
  return directory
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

async function init(cwd: string): Promise<string> {
  let out = ''
  const code = await initCommand({ command: { name: 'init', directory: undefined }, cwd, stdout: { write: (text: string) => ((out += text), true) } })
  expect(code).toBe(0)
  return out
}

/** The file's `$schema`, resolved the way an editor resolves it: relative to the file. */
function schemaOf(configPath: string): Record<string, unknown> {
  const config = parseJsonc(readFileSync(configPath, 'utf8'), configPath) as { $schema: string }
  const schemaPath = resolve(dirname(configPath), config.$schema)
  expect(existsSync(schemaPath)).toBe(true)
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>
}

describe('orchestrator init', () => {
  it('writes a commented config whose $schema resolves, and which the schema (ajv) and the plugin accept', async () => {
    const directory = project()
    const out = await init(directory)
    expect(out).toBe(`wrote: .opencode/${SCHEMA_FILE}\nwrote: .opencode/${CONFIG_FILE} (every option commented out, with its default)\n`)
    const configPath = join(directory, '.opencode', CONFIG_FILE)
    const text = readFileSync(configPath, 'utf8')
    expect(text).toContain('  // Progress and result notices.\n  // "notifications": {"progressIntervalMs":3000},')
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schemaOf(configPath))
    expect(validate(parseJsonc(text, configPath)), JSON.stringify(validate.errors)).toBe(true)

    // Uncommenting every option (the defaults) is still valid for the schema and for the plugin's loader.
    const uncommented = text.replace(/^ {2}\/\/ ("[\w$]+": .*)$/gm, '  $1')
    expect(uncommented).not.toBe(text)
    writeFileSync(configPath, uncommented)
    expect(validate(parseJsonc(uncommented, configPath)), JSON.stringify(validate.errors)).toBe(true)
    const { config } = await loadConfig({ directory, env: { HOME: directory } })
    expect(config.notifications.progressIntervalMs).toBe(3000)
  })

  it('gives editors the real constraints: a wrong value and an unknown key fail the schema', async () => {
    const directory = project()
    await init(directory)
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schemaOf(join(directory, '.opencode', CONFIG_FILE)))
    expect(validate({ concurrency: { global: -1 } })).toBe(false)
    expect(validate({ notifications: { os: true } })).toBe(false)
    expect(validate({ budgets: { maxIterations: 5 } })).toBe(true)
  })

  it('keeps an existing config and refreshes a stale schema', async () => {
    const directory = project()
    await init(directory)
    const configPath = join(directory, '.opencode', CONFIG_FILE)
    writeFileSync(configPath, '{ "budgets": { "maxIterations": 5 } }\n')
    writeFileSync(join(directory, '.opencode', SCHEMA_FILE), '{}\n')
    const out = await init(directory)
    expect(out).toContain(`refreshed: .opencode/${SCHEMA_FILE}`)
    expect(out).toContain(`kept: .opencode/${CONFIG_FILE}`)
    expect(readFileSync(configPath, 'utf8')).toBe('{ "budgets": { "maxIterations": 5 } }\n')
    expect(await init(directory)).toContain(`up to date: .opencode/${SCHEMA_FILE}`)
  })
})
