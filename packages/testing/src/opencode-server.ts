import { execFile, spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { createOpencodeClient } from '@opencode-ai/sdk/v2'
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import { OrchestratorError, errorMessage } from '@opencode-orchestrator/core'
import { deepMerge } from './deep-merge'
import type { PlainObject } from './deep-merge'
import { copyOpencodeConfigSeed, prepareOpencodeConfigSeed } from './opencode-config-seed'
import type { OpencodeConfigSeed } from './opencode-config-seed'
import { createEventRecorder } from './opencode-event-recorder'
import type { EventRecorder } from './opencode-event-recorder'
import { resolveOpencodeBinary } from './opencode-binary'
import { createProcessLog } from './process-log'
import type { ProcessLog } from './process-log'

export interface StartOpencodeServerOptions {
  /** `baseURL` of the scripted model (`startScriptedModel().baseURL`). Becomes provider `fake`, model `fake/fake-model`. */
  modelBaseURL?: string
  /** Plugins to load, as `file://` URLs (or npm names). */
  plugins?: string[]
  /** Extra OpenCode config, deep-merged over the generated one (objects merge, arrays replace). */
  config?: PlainObject
  /** Extra environment variables for the server (applied last). */
  env?: Record<string, string>
  /** Files written into the project before the server starts, by relative path. */
  files?: Record<string, string>
  /** Tool ids that must be registered once the server is up (e.g. a plugin's tools); start fails otherwise. */
  expectTools?: string[]
  /** Bootstraps the project instance before returning (event stream, `tool.ids()`, `config.providers()`), so the first prompt is faster. Default true. */
  warmUp?: boolean
  /** Time allowed until the server prints its URL and the instance is ready. Default 60 s. */
  startTimeoutMs?: number
  /** Time allowed after SIGTERM before the process group gets SIGKILL. Default 10 s. */
  stopTimeoutMs?: number
  /** OpenCode log level written to `logs`. Default `INFO`. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR'
  /** Copy a pre-installed `@opencode-ai/plugin` into the config dir (saves ≈9 s per server). Default true. */
  seedConfig?: boolean
  /** Path of the OpenCode executable. Default: resolved from `opencode-ai`. */
  binary?: string
  /** Keep the temp directories after `dispose()` / process exit. Default: env `OPENCODE_HARNESS_KEEP=1`. */
  keepFiles?: boolean
}

/** Durations of the last start, in ms. */
export interface OpencodeServerTimings {
  /** Preparing the config seed (0 when cached; ≈7 s on its first install). */
  seedMs: number
  /** Spawn until the "opencode server listening on" line. */
  listenMs: number
  /** Listening until the event stream is connected and the warm-up call returned. */
  readyMs: number
}

export interface OpencodeServer {
  /** `http://127.0.0.1:PORT` of the current run (can change when a restart cannot get the same port back). */
  readonly url: string
  /** v2 SDK client bound to `url` and `directory`. */
  readonly client: OpencodeClient
  /** The temp project (a fresh `git init`ed directory). */
  readonly directory: string
  /** The isolated `HOME`; XDG dirs live below it. */
  readonly home: string
  /** Environment the server runs with. */
  readonly env: Readonly<Record<string, string>>
  /** The config passed through `OPENCODE_CONFIG_CONTENT`. */
  readonly config: PlainObject
  /** Every event of the project instance, across restarts. */
  readonly events: EventRecorder
  /** Server stdout/stderr plus harness notes. */
  readonly logs: ProcessLog
  /** Process id of the current run (the process group leader), or undefined when stopped. */
  readonly pid: number | undefined
  /** 1 for the first start, +1 per restart. */
  readonly generation: number
  readonly timings: OpencodeServerTimings
  readonly seed: OpencodeConfigSeed | undefined
  /** Kills the whole process group (SIGTERM, then SIGKILL after `stopTimeoutMs`) and waits for exit. Keeps the files. */
  stop(options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>
  /** Stops (if running) and starts again with the same dirs, config and env — to test resume after a kill. */
  restart(options?: { signal?: 'SIGTERM' | 'SIGKILL' }): Promise<void>
  /** Stops and removes the temp directories (unless `keepFiles`). */
  dispose(): Promise<void>
}

const DISABLE_ENV = {
  OPENCODE_DISABLE_AUTOUPDATE: '1',
  OPENCODE_DISABLE_MODELS_FETCH: '1',
  OPENCODE_DISABLE_SHARE: '1',
  OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
  OPENCODE_DISABLE_CLAUDE_CODE: '1',
}

/** Live servers, so the process-exit guard can kill them: a crashed test run must not leave servers behind. */
const liveProcesses = new Map<number, { root: string; keepFiles: boolean }>()
const createdRoots = new Map<string, boolean>()
let exitGuardInstalled = false

function installExitGuard() {
  if (exitGuardInstalled) return
  exitGuardInstalled = true
  process.once('exit', () => {
    for (const pid of liveProcesses.keys()) {
      try {
        process.kill(-pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    for (const [root, keep] of createdRoots) if (!keep) rmSync(root, { recursive: true, force: true })
  })
}

/** The config every harness server starts from. */
export function baseOpencodeConfig(options: { modelBaseURL?: string; plugins?: string[] }): PlainObject {
  return {
    $schema: 'https://opencode.ai/config.json',
    // Snapshots (a git-based undo) double prompt latency and are never needed in tests.
    snapshot: false,
    autoupdate: false,
    share: 'disabled',
    model: 'fake/fake-model',
    small_model: 'fake/fake-model',
    enabled_providers: ['fake'],
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Scripted model',
        options: { baseURL: options.modelBaseURL ?? 'http://127.0.0.1:9/v1', apiKey: 'scripted' },
        models: {
          'fake-model': { name: 'Fake model', tool_call: true, limit: { context: 100_000, output: 4_096 } },
        },
      },
    },
    plugin: options.plugins ?? [],
  }
}

function git(args: string[], cwd: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    execFile('git', args, { cwd }, (error) => (error ? reject(error) : resolvePromise()))
  })
}

/** A reset on a pooled keep-alive socket: the request never reached a live server. */
function isStaleSocketError(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code
  return error instanceof TypeError && (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET')
}

/**
 * `fetch` for the SDK client. After a restart on the same port, Node's connection pool can still
 * hold sockets of the killed server; the first request on one fails with ECONNRESET. One retry
 * on a fresh connection is safe: the dead server never processed the request.
 */
function createRestartSafeFetch(onRetry: (message: string) => void): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init)
    const spare = request.clone()
    try {
      return await fetch(request)
    } catch (error) {
      if (!isStaleSocketError(error)) throw error
      onRetry(`${request.method} ${new URL(request.url).pathname} hit a stale connection (${errorMessage((error as { cause?: unknown }).cause)}); retrying once`)
      return fetch(spare)
    }
  }
}

/**
 * A shell loop that kills the server's process group once this Node process is gone. The `exit`
 * guard covers normal exits; this covers a test runner killed by a signal (SIGKILL included).
 */
function startWatchdog(serverPid: number, root: string | undefined): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined
  const script = [
    `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done`,
    `kill -KILL -${serverPid} 2>/dev/null`,
    ...(root === undefined ? [] : [`rm -rf '${root.replaceAll("'", "'\\''")}'`]),
  ].join('; ')
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' })
  watchdog.on('error', () => undefined)
  watchdog.unref()
  return watchdog
}

function killGroup(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pid, signal)
  } catch {
    // The group is already gone.
  }
}

/**
 * Starts a real `opencode serve` on 127.0.0.1 in an isolated home with a fresh git project,
 * pointed at a scripted model. Call `dispose()` (or at least `stop()`) in `afterAll`.
 *
 * @example
 * const model = await startScriptedModel({ rules: [{ respond: { text: 'hi' } }] })
 * const server = await startOpencodeServer({ modelBaseURL: model.baseURL })
 * const session = await server.client.session.create({ title: 'test' })
 */
export async function startOpencodeServer(options: StartOpencodeServerOptions = {}): Promise<OpencodeServer> {
  installExitGuard()
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000
  const keepFiles = options.keepFiles ?? process.env.OPENCODE_HARNESS_KEEP === '1'
  const binary = options.binary ?? resolveOpencodeBinary()
  const binaryPath = typeof binary === 'string' ? binary : binary.path
  const version = typeof binary === 'string' ? undefined : binary.version

  const root = await mkdtemp(join(tmpdir(), 'opencode-harness-'))
  createdRoots.set(root, keepFiles)
  const home = join(root, 'home')
  const directory = join(root, 'project')
  const xdg = {
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
  }
  await Promise.all([directory, ...Object.values(xdg)].map((path) => mkdir(path, { recursive: true })))
  // OpenCode walks up from the project writing into every `.opencode/` it finds; a git root stops it.
  await git(['init', '-q'], directory)
  for (const [path, content] of Object.entries(options.files ?? {})) {
    const target = resolve(directory, path)
    if (!target.startsWith(`${directory}/`)) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `startOpencodeServer: files key ${JSON.stringify(path)} leaves the project directory. Use a relative path inside the project.`,
        details: { field: 'files', value: path },
      })
    }
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, content)
  }

  let seed: OpencodeConfigSeed | undefined
  const seedStarted = Date.now()
  if (options.seedConfig !== false) {
    seed = await prepareOpencodeConfigSeed({ version: version ?? resolveOpencodeBinary().version })
    await copyOpencodeConfigSeed(seed, join(xdg.XDG_CONFIG_HOME, 'opencode'))
  }
  const seedMs = Date.now() - seedStarted

  const config = deepMerge(baseOpencodeConfig(options), options.config)
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith('OPENCODE_') && !entry[0].startsWith('XDG_'),
    ),
  )
  const env: Record<string, string> = {
    ...inherited,
    HOME: home,
    ...xdg,
    ...DISABLE_ENV,
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    ...options.env,
  }

  const logs = createProcessLog()
  let generation = 0
  const events = createEventRecorder({ onError: (message) => logs.note(message, generation) })
  let child: ChildProcess | undefined
  let exited: Promise<void> = Promise.resolve()
  let url = ''
  let client: OpencodeClient | undefined
  let port = 0
  const timings: OpencodeServerTimings = { seedMs, listenMs: 0, readyMs: 0 }

  const spawnOnce = async (portToUse: number) => {
    generation++
    const runGeneration = generation
    const spawned = Date.now()
    const serverProcess = spawn(
      binaryPath,
      ['serve', '--hostname', '127.0.0.1', '--port', String(portToUse), '--print-logs', '--log-level', options.logLevel ?? 'INFO'],
      // detached: the server leads its own process group, so stop() can kill everything it spawned.
      { cwd: directory, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    child = serverProcess
    const pid = serverProcess.pid
    const runWatchdog = pid === undefined ? undefined : startWatchdog(pid, keepFiles ? undefined : root)
    if (pid !== undefined) liveProcesses.set(pid, { root, keepFiles })
    logs.note(`spawned ${binaryPath} serve --port ${portToUse} (pid ${pid ?? 'none'})`, runGeneration)
    serverProcess.stdout?.setEncoding('utf8').on('data', (chunk: string) => logs.write('stdout', chunk, runGeneration))
    serverProcess.stderr?.setEncoding('utf8').on('data', (chunk: string) => logs.write('stderr', chunk, runGeneration))
    exited = new Promise((resolveExit) => {
      serverProcess.once('exit', (code, signal) => {
        logs.flush(runGeneration)
        logs.note(`exited with ${code === null ? `signal ${signal}` : `code ${code}`}`, runGeneration)
        if (pid !== undefined) {
          // Whatever the server left running in its group goes with it; the group id cannot have
          // been reused while members remain.
          killGroup(pid, 'SIGKILL')
          liveProcesses.delete(pid)
        }
        // The watchdog must not outlive its server: it would later kill whatever reuses the group id.
        runWatchdog?.kill('SIGKILL')
        if (child === serverProcess) child = undefined
        resolveExit()
      })
    })
    const spawnError = new Promise<never>((_, reject) =>
      serverProcess.once('error', (error) => reject(new OrchestratorError({ code: 'host-failed', message: `Cannot run ${binaryPath}: ${error.message}`, cause: error }))),
    )
    const earlyExit = exited.then(() => {
      throw new OrchestratorError({
        code: 'host-failed',
        message: `OpenCode exited during start-up. Last log lines:\n${logs.tail()}`,
      })
    })
    // Both only matter while starting; later they would surface as unhandled rejections.
    earlyExit.catch(() => undefined)
    spawnError.catch(() => undefined)
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new OrchestratorError({
              code: 'host-failed',
              message: `OpenCode did not print "opencode server listening on" within ${startTimeoutMs} ms. Last log lines:\n${logs.tail()}`,
            }),
          ),
        startTimeoutMs,
      )
    })
    try {
      // Never poll /global/health during start-up: it can hang. The stdout line is the signal.
      const line = await Promise.race([logs.waitFor(/opencode server listening on http:\/\/\S+/, startTimeoutMs + 1_000, { generation: runGeneration }), spawnError, earlyExit, timeout])
      const match = /opencode server listening on (http:\/\/\S+)/.exec(line.text)
      url = match?.[1]?.replace(/\/$/, '') ?? ''
      port = Number(new URL(url).port)
      client = createOpencodeClient({
        baseUrl: url,
        directory,
        fetch: createRestartSafeFetch((message) => logs.note(message, runGeneration)),
      })
      timings.listenMs = Date.now() - spawned
      const readyStarted = Date.now()
      await Promise.race([events.connect({ url, directory, generation: runGeneration, timeoutMs: startTimeoutMs }), earlyExit, timeout])
      if (options.warmUp !== false || options.expectTools !== undefined) {
        const ids = await Promise.race([client.tool.ids(), earlyExit, timeout])
        if (ids.error !== undefined || ids.data === undefined) {
          throw new OrchestratorError({
            code: 'host-failed',
            message: `OpenCode tool.ids() failed: ${JSON.stringify(ids.error)}. Last log lines:\n${logs.tail()}`,
          })
        }
        if (options.warmUp !== false) {
          // Initialises the providers (≈1 s) now rather than inside the first prompt.
          await Promise.race([client.config.providers(), earlyExit, timeout])
        }
        const missing = (options.expectTools ?? []).filter((tool) => !ids.data.includes(tool))
        if (missing.length > 0) {
          throw new OrchestratorError({
            code: 'host-failed',
            message: `OpenCode started without the expected tools ${missing.join(', ')} (a plugin failed to load?). Registered: ${ids.data.join(', ')}. Last log lines:\n${logs.tail()}`,
          })
        }
      }
      timings.readyMs = Date.now() - readyStarted
      logs.note(`ready at ${url} (listen ${timings.listenMs} ms, ready ${timings.readyMs} ms)`, runGeneration)
    } catch (error) {
      await stop({ signal: 'SIGKILL' })
      throw error
    } finally {
      clearTimeout(timer)
    }
  }

  const stop = async (stopOptions: { signal?: 'SIGTERM' | 'SIGKILL' } = {}) => {
    events.disconnect()
    const running = child
    if (running?.pid === undefined) return
    const pid = running.pid
    killGroup(pid, stopOptions.signal ?? 'SIGTERM')
    let timer: ReturnType<typeof setTimeout> | undefined
    const forced = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolveTimeout) => {
        timer = setTimeout(() => resolveTimeout(true), stopTimeoutMs)
      }),
    ])
    clearTimeout(timer)
    if (forced) {
      logs.note(`no exit ${stopTimeoutMs} ms after ${stopOptions.signal ?? 'SIGTERM'}: SIGKILL to the process group`, generation)
      killGroup(pid, 'SIGKILL')
      await exited
    }
    // Children that left the leader behind (tool processes) share its group.
    killGroup(pid, 'SIGKILL')
    liveProcesses.delete(pid)
  }

  try {
    await spawnOnce(0)
  } catch (error) {
    if (!keepFiles) {
      rmSync(root, { recursive: true, force: true })
      createdRoots.delete(root)
    }
    throw error
  }

  return {
    get url() {
      return url
    },
    get client() {
      if (client === undefined) throw new OrchestratorError({ code: 'host-failed', message: 'OpenCode server is not running' })
      return client
    },
    directory,
    home,
    env,
    config,
    events,
    logs,
    get pid() {
      return child?.pid
    },
    get generation() {
      return generation
    },
    timings,
    seed,
    stop,
    async restart(restartOptions) {
      await stop(restartOptions)
      try {
        // Same port first, so `url` and clients made from it stay valid.
        await spawnOnce(port)
      } catch (error) {
        logs.note(`restart on port ${port} failed (${errorMessage(error).split('\n')[0]}; cause: ${errorMessage((error as { cause?: unknown }).cause)}); retrying on a free port`, generation)
        await spawnOnce(0)
      }
    },
    async dispose() {
      await stop()
      if (!keepFiles) {
        rmSync(root, { recursive: true, force: true })
        createdRoots.delete(root)
      }
    },
  }
}
