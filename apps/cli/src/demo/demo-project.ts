import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { OrchestratorError, errorMessage, type Logger } from '@opencode-orchestrator/core'
import { baseOpencodeConfig, copyOpencodeConfigSeed, deepMerge, prepareOpencodeConfigSeed, startScriptedModel, type ScriptedModel } from '@opencode-orchestrator/testing'
import { demoEnvironment, isolatedXdgDirectories } from '../launch-environment'
import { createDemoTeamRules } from './demo-team'

export interface PrepareDemoOptions {
  /** The runner's environment (PATH etc.); OpenCode and XDG variables are not passed on. */
  env: Record<string, string | undefined>
  /** Where the temporary repository and home are created (the OS temp dir). */
  temporaryDirectory: string
  /** The plugin bundle as a `file://` URL. */
  pluginUrl: string
  /** Version of the OpenCode binary: `@opencode-ai/plugin` of the same version is pre-installed for it. */
  opencodeVersion: string
  /** Cache of the pre-installed `@opencode-ai/plugin` (one `npm install` per version and machine). */
  seedCacheDirectory: string
  logger: Logger
  /** Pause before each Worker writes, so the parallel work can be watched. */
  workerDelayMs?: number
}

export interface DemoProject {
  /** The fresh git repository the mission works in (kept after the run, so the files can be looked at). */
  directory: string
  /** The isolated OpenCode home (removed by `dispose`). */
  home: string
  /** Environment for the OpenCode server. */
  env: Record<string, string>
  /** The built-in scripted model playing every agent. */
  model: ScriptedModel
  /** Closes the model and removes the isolated home; the project stays. */
  dispose(): Promise<void>
}

const README = `# slugify demo

Created by \`orchestrator run --demo\`: a scripted team (no API key) planned,
wrote and verified the files in \`src/\`. The mission's journal, plan and report
are in \`.opencode/orchestrator/missions/\`.
`

function git(args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd }, (error, _stdout, stderr) =>
      error
        ? reject(new OrchestratorError({ code: 'host-failed', message: `git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || error.message}. The demo needs git on PATH.`, cause: error }))
        : resolve(),
    )
  })
}

/**
 * Everything the demo needs besides the server: a fresh git repository (OpenCode
 * stops walking up at a git root, so nothing is written outside it), an isolated
 * OpenCode home pre-seeded with `@opencode-ai/plugin` (so OpenCode installs
 * nothing at start), and the scripted model with the demo team's rules.
 */
export async function prepareDemoProject(options: PrepareDemoOptions): Promise<DemoProject> {
  const root = await mkdtemp(join(options.temporaryDirectory, 'orchestrator-demo-'))
  const directory = join(root, 'slugify-demo')
  const home = join(root, 'opencode-home')
  let model: ScriptedModel | undefined
  try {
    await mkdir(directory, { recursive: true })
    await Promise.all(Object.values(isolatedXdgDirectories(home)).map((path) => mkdir(path, { recursive: true })))
    await git(['init', '-q'], directory)
    await writeFile(join(directory, 'README.md'), README)

    const seedStarted = Date.now()
    const seed = await prepareOpencodeConfigSeed({ version: options.opencodeVersion, cacheDirectory: options.seedCacheDirectory })
    await copyOpencodeConfigSeed(seed, join(isolatedXdgDirectories(home).XDG_CONFIG_HOME, 'opencode'))
    options.logger.log('debug', 'demo config seeded', { installed: seed.installed, ms: Date.now() - seedStarted })

    model = await startScriptedModel({ rules: createDemoTeamRules({ projectDirectory: directory, ...(options.workerDelayMs !== undefined ? { workerDelayMs: options.workerDelayMs } : {}) }) })
    const config = deepMerge(baseOpencodeConfig({ modelBaseURL: model.baseURL, plugins: [options.pluginUrl] }), {
      // The demo's agents write files and run `node --test` without asking: nobody is there to answer.
      permission: { edit: 'allow', bash: 'allow' },
    })
    const running = model
    return {
      directory,
      home,
      env: demoEnvironment(options.env, { home, config }),
      model: running,
      async dispose() {
        await running.close()
        await rm(home, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await model?.close().catch((closeError: unknown) => options.logger.log('error', 'could not close the scripted model', { error: errorMessage(closeError) }))
    await rm(root, { recursive: true, force: true })
    throw error
  }
}
