/*
 * The release dry run, part of `pnpm test`: every publishable package is packed
 * with pnpm (its `prepack` builds it; `workspace:`/`catalog:` are rewritten and
 * `publishConfig` applied, exactly as `changeset publish` will do), each tarball
 * is checked (publint, @arethetypeswrong/cli, LICENSE, no source condition, no
 * workspace protocol), and then the tarballs are installed with npm in a clean
 * folder outside the workspace, where:
 *
 *  1. the embed example type-checks against the installed libraries and runs;
 *  2. OpenCode installs the packed plugin through its own path
 *     (`opencode plugin opencode-orchestrator@file:<tarball>`, Arborist into its
 *     cache, `engines.opencode` enforced) and lists the orchestrator's tools;
 *  3. the packed CLI runs the demo to a sealed mission —
 *
 * 1 and 3 on the declared Node floor and on the current LTS (fetched from npm's
 * `node` package when the machine has another version).
 *
 * Usage: node --import tsx scripts/pack-check.ts [--keep] [--nodes=22.22.2,26] [--pack-only --out=DIR]
 * (`--pack-only` packs and checks the tarballs into DIR and stops: `./run pack`.)
 */
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { publint } from 'publint'
import { formatMessage } from 'publint/utils'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string }; releaseCheck: { nodes: string[] } }

/** Every package `changeset publish` publishes, in dependency order. */
export const PUBLISHED = [
  'packages/core',
  'packages/todo-engine',
  'packages/recovery',
  'packages/agents',
  'packages/notifications',
  'packages/report',
  'packages/opencode',
  'apps/opencode-plugin',
  'apps/cli',
] as const

const args = process.argv.slice(2)
const keep = args.includes('--keep')
const nodesArgument = args.find((arg) => arg.startsWith('--nodes='))
const packOnly = args.includes('--pack-only')
const outArgument = args.find((arg) => arg.startsWith('--out='))
const nodeSpecs = nodesArgument ? nodesArgument.slice('--nodes='.length).split(',') : rootManifest.releaseCheck.nodes

const started = Date.now()
function step(text: string): void {
  console.log(`\npack-check [${((Date.now() - started) / 1000).toFixed(0)}s] ${text}`)
}

function run(command: string, commandArgs: string[], options: SpawnSyncOptions & { quiet?: boolean } = {}): string {
  const result = spawnSync(command, commandArgs, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options, stdio: ['ignore', 'pipe', 'pipe'] })
  const output = `${String(result.stdout ?? '')}${String(result.stderr ?? '')}`
  if (result.status !== 0) {
    throw new Error(`${command} ${commandArgs.join(' ')} (in ${String(options.cwd ?? process.cwd())}) failed with ${String(result.status ?? result.signal)}:\n${output.slice(-6000)}`)
  }
  if (!options.quiet && output.trim().length > 0) console.log(output.trimEnd().split('\n').slice(-15).join('\n'))
  return String(result.stdout ?? '')
}

const failures: string[] = []
function check(condition: boolean, message: string): void {
  if (!condition) failures.push(message)
}

/** A Node binary of the given npm `node` version spec, fetched once into the user's cache. */
function nodeBinary(spec: string): string {
  const wanted = spec.split('.')
  const have = process.versions.node.split('.')
  if (wanted.every((part, index) => part === have[index])) return process.execPath
  const directory = join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'opencode-orchestrator', 'node', spec)
  const binary = join(directory, 'node_modules', 'node', 'bin', 'node')
  if (!existsSync(binary)) {
    step(`fetching Node ${spec} from npm's node package into ${directory}`)
    mkdirSync(directory, { recursive: true })
    // Not `npm install --prefix`: that also moves npm's global config (and a system `cafile` in it).
    if (!existsSync(join(directory, 'package.json'))) writeFileSync(join(directory, 'package.json'), '{ "private": true }\n')
    run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `node@${spec}`], { cwd: directory, quiet: true })
  }
  return binary
}

function directorySize(path: string): number {
  let total = 0
  const stat = statSync(path, { throwIfNoEntry: false })
  if (!stat) return 0
  if (!stat.isDirectory()) return stat.size
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name)
    if (entry.isSymbolicLink()) continue
    total += entry.isDirectory() ? directorySize(child) : statSync(child).size
  }
  return total
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`

async function checkTarball(directory: string, tarball: string): Promise<void> {
  const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], { quiet: true })) as Record<string, unknown>
  const files = run('tar', ['-tzf', tarball], { quiet: true }).split('\n').filter(Boolean)
  const text = JSON.stringify(manifest)
  const name = String(manifest['name'])
  check(!/"(workspace|catalog):/.test(text), `${name}: the packed package.json still has a workspace:/catalog: range`)
  const entryPoints = JSON.stringify([manifest['exports'], manifest['main'], manifest['types'], manifest['module']])
  check(!entryPoints.includes('@opencode-orchestrator/source') && !entryPoints.includes('/src/'), `${name}: the packed exports still name the source condition or src/`)
  check(files.includes('package/LICENSE'), `${name}: LICENSE is not in the tarball`)
  check(files.includes('package/README.md'), `${name}: README.md is not in the tarball`)
  check(!files.some((file) => file.startsWith('package/src/')), `${name}: src/ is in the tarball`)
  check(!files.some((file) => /\.test\.[cm]?[jt]s/.test(file)), `${name}: a test file is in the tarball`)
  check(readFileSync(join(root, directory, 'LICENSE'), 'utf8') === readFileSync(join(root, 'LICENSE'), 'utf8'), `${directory}/LICENSE differs from the root LICENSE`)
  for (const field of ['repository', 'homepage', 'bugs', 'engines']) check(manifest[field] !== undefined, `${name}: no "${field}"`)
  const { messages, pkg } = await publint({ pack: { tarball: readFileSync(tarball).buffer }, level: 'suggestion', strict: true })
  for (const message of messages) {
    const line = `${name}: publint ${message.type}: ${formatMessage(message, pkg) ?? message.code}`
    if (message.type === 'suggestion') console.log(line)
    else failures.push(line)
  }
  if (manifest['types'] !== undefined) {
    const attw = spawnSync(join(root, 'node_modules', '.bin', 'attw'), [tarball, '--profile', 'esm-only', '--format', 'ascii'], { encoding: 'utf8' })
    if (attw.status !== 0) failures.push(`${name}: @arethetypeswrong/cli:\n${attw.stdout}${attw.stderr}`)
  }
}

/** Starts `opencode serve`, waits for its URL, returns it with a stop function. */
async function startOpencode(binary: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ url: string; stop: () => void; output: () => string }> {
  const child = spawn(binary, ['serve', '--hostname', '127.0.0.1', '--port', '0'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let output = ''
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`opencode serve did not start in 120 s:\n${output.slice(-4000)}`)), 120_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /opencode server listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolveUrl(match[1])
      }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`opencode serve exited with ${String(code)}:\n${output.slice(-4000)}`))
    })
  })
  return {
    url,
    output: () => output,
    stop: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    },
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'orchestrator-pack-check-'))
  const tarballs = outArgument ? resolve(outArgument.slice('--out='.length)) : join(work, 'tarballs')
  rmSync(tarballs, { recursive: true, force: true })
  mkdirSync(tarballs, { recursive: true })
  console.log(`pack-check: working in ${work}`)
  try {
    step('turbo build of every published package (their prepack runs the same turbo task, then from its cache)')
    run(join(root, 'node_modules', '.bin', 'turbo'), ['run', 'build', '--output-logs=errors-only', ...PUBLISHED.map((directory) => `--filter=./${directory}`)], { cwd: root, quiet: true })
    const packed = new Map<string, string>()
    for (const directory of PUBLISHED) {
      step(`pnpm pack ${directory} (prepack builds it)`)
      const before = new Set(readdirSync(tarballs))
      run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(root, directory), quiet: true })
      const created = readdirSync(tarballs).filter((file) => !before.has(file))
      if (created.length !== 1) throw new Error(`pnpm pack in ${directory} made ${created.length} tarballs`)
      const tarball = join(tarballs, created[0]!)
      packed.set(directory, tarball)
      console.log(`  ${created[0]} ${megabytes(statSync(tarball).size)}`)
      await checkTarball(directory, tarball)
    }

    if (packOnly) {
      if (failures.length === 0) step(`packed into ${tarballs}`)
      return
    }

    step('npm install of every tarball in a clean folder outside the workspace')
    const consumer = join(work, 'consumer')
    mkdirSync(consumer)
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2))
    const typescriptVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')) as { version: string }).version
    const typesNodeVersion = (JSON.parse(readFileSync(join(root, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version
    const tsxVersion = (JSON.parse(readFileSync(join(root, 'node_modules', 'tsx', 'package.json'), 'utf8')) as { version: string }).version
    run('npm', ['install', '--no-audit', '--no-fund', ...packed.values(), `typescript@${typescriptVersion}`, `@types/node@${typesNodeVersion}`, `tsx@${tsxVersion}`], { cwd: consumer })

    step('the embed example type-checks against the packed libraries (no source condition, no workspace)')
    const example = join(consumer, 'embed')
    mkdirSync(example)
    for (const file of readdirSync(join(root, 'examples', 'embed-core', 'src')).filter((file) => !file.includes('.test.'))) {
      cpSync(join(root, 'examples', 'embed-core', 'src', file), join(example, file))
    }
    writeFileSync(
      join(example, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['*.ts'] }, null, 2),
    )
    run(join(consumer, 'node_modules', '.bin', 'tsc'), ['-p', join(example, 'tsconfig.json')], { cwd: consumer })

    // The `opencode` a user gets from the CLI's optional opencode-ai dependency.
    const opencodeBinary = join(consumer, 'node_modules', '.bin', 'opencode')

    step("OpenCode installs the packed plugin through its own path and lists the orchestrator's tools")
    const home = join(work, 'opencode-home')
    const project = join(work, 'plugin-project')
    mkdirSync(project)
    run('git', ['init', '-q'], { cwd: project, quiet: true })
    const opencodeEnv: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: home,
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_STATE_HOME: join(home, 'state'),
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_CLAUDE_CODE: '1',
    }
    const pluginSpec = `opencode-orchestrator@file:${packed.get('apps/opencode-plugin')!}`
    run(opencodeBinary, ['plugin', pluginSpec], { cwd: project, env: opencodeEnv })
    const server = await startOpencode(opencodeBinary, project, opencodeEnv)
    try {
      const deadline = Date.now() + 120_000
      let ids: string[] = []
      while (Date.now() < deadline) {
        const answer = await fetch(`${server.url}/experimental/tool/ids?directory=${encodeURIComponent(project)}`)
        if (answer.ok) {
          ids = (await answer.json()) as string[]
          if (ids.includes('orchestrator_delegate')) break
        }
        await new Promise((wait) => setTimeout(wait, 500))
      }
      const orchestratorTools = ids.filter((id) => id.startsWith('orchestrator_'))
      console.log(`  tools listed by OpenCode: ${orchestratorTools.join(', ') || '(none)'}`)
      check(orchestratorTools.includes('orchestrator_delegate'), `OpenCode did not list the packed plugin's tools (got ${ids.join(', ')}):\n${server.output().slice(-3000)}`)
    } finally {
      server.stop()
    }

    for (const spec of nodeSpecs) {
      const node = nodeBinary(spec)
      const version = run(node, ['--version'], { quiet: true }).trim()
      step(`Node ${version}: the embed example runs on the packed libraries`)
      run(node, ['--import', 'tsx', join(example, 'main.ts')], { cwd: consumer })
      step(`Node ${version}: the packed CLI runs the demo`)
      const demoStarted = Date.now()
      const demo = run(node, [join(consumer, 'node_modules', '@opencode-orchestrator', 'cli', 'dist', 'bin.js'), 'run', '--demo', '--json'], {
        cwd: consumer,
        env: { ...process.env, XDG_CACHE_HOME: join(work, 'cli-cache') },
        quiet: true,
      })
      const sealed = demo
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { type?: string; state?: string })
        .some((event) => event.type === 'mission-end' && event.state === 'sealed')
      check(sealed, `Node ${version}: the packed CLI's demo did not seal:\n${demo.slice(-3000)}`)
      console.log(`  demo ${sealed ? 'sealed' : 'DID NOT SEAL'} in ${((Date.now() - demoStarted) / 1000).toFixed(1)} s`)
    }

    step('the packed CLI installed without optional dependencies (no bundled OpenCode) runs the demo with the OpenCode on PATH')
    const lean = join(work, 'lean')
    mkdirSync(lean)
    writeFileSync(join(lean, 'package.json'), JSON.stringify({ name: 'lean', private: true }, null, 2))
    run('npm', ['install', '--no-audit', '--no-fund', '--omit=optional', packed.get('apps/cli')!, packed.get('apps/opencode-plugin')!], { cwd: lean, quiet: true })
    check(!existsSync(join(lean, 'node_modules', 'opencode-ai')), 'npm --omit=optional still installed opencode-ai for the CLI')
    // Measured before the demo, which caches OpenCode's plugin package under the CLI's node_modules/.cache.
    const leanSize = directorySize(join(lean, 'node_modules'))
    const leanDemo = spawnSync(process.execPath, [join(lean, 'node_modules', '@opencode-orchestrator', 'cli', 'dist', 'bin.js'), 'run', '--demo', '--json', '--verbose'], {
      cwd: lean,
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(opencodeBinary)}:${process.env['PATH'] ?? ''}`, XDG_CACHE_HOME: join(work, 'cli-cache') },
      maxBuffer: 64 * 1024 * 1024,
    })
    check(leanDemo.status === 0, `the lean CLI's demo exited with ${String(leanDemo.status)}:\n${leanDemo.stderr.slice(-3000)}`)
    check(/"message":"resolved".*"source":"path"/.test(leanDemo.stderr), `the lean CLI did not start the OpenCode on PATH:\n${leanDemo.stderr.slice(-3000)}`)

    step('install sizes (npm, this platform)')
    console.log(`  everything installed above (all nine packages, their OpenCode, tsx, @types/node; without typescript): ${megabytes(directorySize(join(consumer, 'node_modules')) - directorySize(join(consumer, 'node_modules', 'typescript')))}`)
    console.log(`  @opencode-orchestrator/cli --omit=optional (uses the OpenCode on PATH): ${megabytes(leanSize)}`)
  } finally {
    if (keep) console.log(`pack-check: kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
}

await main()
if (failures.length > 0) {
  console.error(`\npack-check: ${failures.length} problem(s):\n- ${failures.join('\n- ')}`)
  process.exit(1)
}
step(packOnly ? 'every tarball passed its checks' : 'every packed package is publishable and works from its tarball')
