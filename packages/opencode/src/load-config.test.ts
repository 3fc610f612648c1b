import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { loadConfig } from './load-config'

let base: string
let project: string
let env: Record<string, string>

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'orchestrator-load-config-'))
  project = join(base, 'project')
  await mkdir(join(project, '.opencode'), { recursive: true })
  env = { XDG_CONFIG_HOME: join(base, 'config-home') }
})

afterEach(async () => {
  await rm(base, { recursive: true, force: true })
})

async function loadError(): Promise<OrchestratorError> {
  try {
    await loadConfig({ directory: project, env })
  } catch (error) {
    if (OrchestratorError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected loadConfig to fail')
}

describe('loadConfig: where the config is bad, the error names the file', () => {
  it('a config path that is a directory', async () => {
    const path = join(project, '.opencode', 'orchestrator.json')
    await mkdir(path)
    const error = await loadError()
    expect(error.code).toBe('config-invalid')
    expect(error.message).toContain(path)
    expect(error.message).toContain('found a directory')
  })

  it('a config that is a symbolic link to a missing file is not silently ignored', async () => {
    const path = join(project, '.opencode', 'orchestrator.json')
    await symlink(join(base, 'gone.json'), path)
    const error = await loadError()
    expect(error.code).toBe('config-invalid')
    expect(error.message).toContain(path)
    expect(error.message).toContain(join(base, 'gone.json'))
    expect(error.message).toContain('does not exist')
  })

  it('an agents override that lifts a role guarantee names the file and the field', async () => {
    const path = join(project, '.opencode', 'orchestrator.json')
    await writeFile(path, JSON.stringify({ agents: { worker: { permission: { task: 'allow' } } } }))
    const error = await loadError()
    expect(error.code).toBe('config-invalid')
    expect(error.message).toContain(`${path}: agents.worker.permission.task: "allow" is refused`)
    expect(error.details).toMatchObject({ source: path, field: 'agents.worker.permission.task' })
  })

  it('an override refused in the plugin options names them', async () => {
    try {
      await loadConfig({ directory: project, env, pluginOptions: { agents: { planner: { permission: { edit: 'allow' } } } } })
      throw new Error('expected loadConfig to fail')
    } catch (error) {
      expect(OrchestratorError.hasCode(error, 'config-invalid')).toBe(true)
      expect((error as Error).message).toContain('opencode.json plugin options: agents.planner.permission.edit')
    }
  })

  it('still loads a valid config through a symbolic link', async () => {
    await writeFile(join(base, 'real.json'), JSON.stringify({ budgets: { maxIterations: 7 } }))
    await symlink(join(base, 'real.json'), join(project, '.opencode', 'orchestrator.json'))
    const { config } = await loadConfig({ directory: project, env })
    expect(config.budgets.maxIterations).toBe(7)
  })
})
