import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { copyOpencodeConfigSeed, prepareOpencodeConfigSeed, resolveOpencodeBinary } from '@opencode-orchestrator/testing'

export interface UserSetup {
  /** The "user's" project: a git repository. */
  project: string
  home: string
  /** The environment the CLI runs with, as a user's shell would give it. */
  env: Record<string, string>
  dispose(): void
}

/**
 * A stand-in for a user's machine: a home whose OpenCode config
 * (`~/.config/opencode/opencode.json`) is `userConfig` — or absent — and a git
 * project. The CLI gets it as its ordinary environment: a normal `run` must
 * use the user's own config and model, so that is what it is tested with.
 */
export async function createUserSetup(options: { userConfig?: Record<string, unknown>; files?: Record<string, string> } = {}): Promise<UserSetup> {
  const root = mkdtempSync(join(tmpdir(), 'cli-e2e-'))
  const home = join(root, 'home')
  const project = join(root, 'project')
  const configHome = join(home, '.config')
  mkdirSync(project, { recursive: true })
  execFileSync('git', ['init', '-q'], { cwd: project })
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(project, path)), { recursive: true })
    writeFileSync(join(project, path), content)
  }
  // OpenCode installs @opencode-ai/plugin into the config dir on first plugin use; a seed saves ≈9 s per run.
  const seed = await prepareOpencodeConfigSeed({ version: resolveOpencodeBinary().version })
  await copyOpencodeConfigSeed(seed, join(configHome, 'opencode'))
  if (options.userConfig !== undefined) writeFileSync(join(configHome, 'opencode', 'opencode.json'), JSON.stringify(options.userConfig, null, 2))
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('OPENCODE_') && !entry[0].startsWith('XDG_')),
  )
  const env = {
    ...inherited,
    HOME: home,
    XDG_CONFIG_HOME: configHome,
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    // Offline machine: no models.dev fetch, no LSP downloads, no Claude Code files.
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_SHARE: '1',
    NO_COLOR: '1',
  }
  return {
    project,
    home,
    env,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  }
}
