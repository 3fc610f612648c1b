import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process'
import { readFileSync, readdirSync } from 'node:fs'
import { OrchestratorError, errorMessage, type Clock, type Logger } from '@opencode-orchestrator/core'

export interface StartOpencodeProcessOptions {
  /** Path of the OpenCode executable (see `resolveOpencodeBinary`). */
  binary: string
  /** The project: the server's working directory. */
  directory: string
  /** The server's whole environment (nothing is inherited implicitly). */
  env: Record<string, string>
  clock: Clock
  logger: Logger
  /** Until the "opencode server listening on" line. Default 60 s (a first start may npm-install `@opencode-ai/plugin`). */
  startTimeoutMs?: number
  /** Aborting kills the process group while it starts (Ctrl-C during start-up). */
  signal?: AbortSignal
  /** Process spawner; tests pass a fake. Default `node:child_process` `spawn`. */
  spawn?: typeof nodeSpawn
  /** The runner's own pid, watched by the orphan guard. Default `process.pid`. */
  parentPid?: number
}

export interface OpencodeProcess {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string
  /** Leader of the server's own process group. */
  readonly pid: number
  /** Resolves when the server process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** The last lines the server printed (for error messages). */
  logTail(lines?: number): string
  /**
   * Stops the server and everything it started: SIGTERM to its process group,
   * SIGKILL after `graceMs`, then SIGKILL to every descendant seen before the stop
   * that is still alive (background jobs run in process groups of their own).
   */
  stop(options?: { graceMs?: number }): Promise<void>
}

const LOG_LINES = 200
const LISTENING = /opencode server listening on (https?:\/\/\S+)/

/** Pids of every live descendant of `pid` (Linux `/proc`; empty elsewhere). */
export function listDescendants(pid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return []
  }
  const children = new Map<number, number[]>()
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses, so split after the last `)`.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const parent = Number(fields[1])
    const list = children.get(parent) ?? []
    list.push(Number(entry))
    children.set(parent, list)
  }
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const next = queue.shift()!
    for (const child of children.get(next) ?? []) {
      found.push(child)
      queue.push(child)
    }
  }
  return found
}

/** Alive and not a zombie (a killed process whose parent has not reaped it yet is gone for our purposes). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    // No /proc (macOS): signal 0 said it exists.
    return true
  }
}

function kill(target: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(target, signal)
    return true
  } catch {
    // Already gone.
    return false
  }
}

/**
 * A shell loop that kills the server's group if the runner dies without cleaning
 * up (SIGKILL, a crash): a headless run must never leave a server behind.
 */
function startOrphanGuard(parentPid: number, serverPid: number, spawn: typeof nodeSpawn): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined
  const guard = spawn('sh', ['-c', `while kill -0 ${parentPid} 2>/dev/null; do sleep 1; done; kill -KILL -${serverPid} 2>/dev/null`], {
    detached: true,
    stdio: 'ignore',
  })
  guard.on('error', () => undefined)
  guard.unref()
  return guard
}

/**
 * Starts `opencode serve` on 127.0.0.1 (a free port) in its own process group,
 * the way the SDK's `createOpencodeServer` does (it reads the URL from the
 * "opencode server listening on" line) — but with the binary resolved from the
 * `opencode-ai` dependency, and a group we can kill as a whole.
 */
export async function startOpencodeProcess(options: StartOpencodeProcessOptions): Promise<OpencodeProcess> {
  const { binary, directory, env, clock, logger } = options
  const spawn = options.spawn ?? nodeSpawn
  const startTimeoutMs = options.startTimeoutMs ?? 60_000
  if (options.signal?.aborted) throw new OrchestratorError({ code: 'task-cancelled', message: 'Interrupted before OpenCode started.' })

  const lines: string[] = []
  let partial = ''
  const collect = (chunk: string) => {
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    for (const line of parts) {
      lines.push(line)
      if (lines.length > LOG_LINES) lines.shift()
    }
  }
  const logTail = (count = 30) => [...lines, ...(partial ? [partial] : [])].slice(-count).join('\n')

  const args = ['serve', '--hostname', '127.0.0.1', '--port', '0', '--print-logs', '--log-level', 'WARN']
  logger.log('debug', 'starting OpenCode', { binary, args, directory })
  const child = spawn(binary, args, { cwd: directory, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new OrchestratorError({ code: 'host-failed', message: `Cannot run OpenCode (${binary}): ${error.message}. Reinstall @opencode-orchestrator/cli with its optional dependencies.`, cause: error })),
    ),
  )
  spawnFailed.catch(() => undefined)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
  const pid = child.pid
  if (pid === undefined) {
    await spawnFailed
    throw new OrchestratorError({ code: 'host-failed', message: `Cannot run OpenCode (${binary}): no process id.` })
  }
  const guard = startOrphanGuard(options.parentPid ?? process.pid, pid, spawn)
  // A runner that exits in the middle (an uncaught error) still takes the server with it.
  const onExit = () => kill(-pid, 'SIGKILL')
  process.once('exit', onExit)

  let seenDescendants: number[] = []
  let stopping: Promise<void> | undefined
  const stop = (stopOptions: { graceMs?: number } = {}): Promise<void> => {
    stopping ??= (async () => {
      const graceMs = stopOptions.graceMs ?? 5_000
      seenDescendants = listDescendants(pid)
      logger.log('debug', 'stopping OpenCode', { pid, descendants: seenDescendants })
      kill(-pid, 'SIGTERM')
      let timer: ReturnType<Clock['setTimeout']> | undefined
      const forced = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((resolve) => {
          timer = clock.setTimeout(() => resolve(true), graceMs)
        }),
      ])
      if (timer !== undefined) clock.clearTimeout(timer)
      if (forced) logger.log('warn', 'OpenCode ignored SIGTERM; killing its process group', { pid, graceMs })
      kill(-pid, 'SIGKILL')
      await exited
      // Processes that left the group (background jobs lead groups of their own) are still its descendants' pids.
      const leftovers = seenDescendants.filter((descendant) => kill(descendant, 'SIGKILL'))
      guard?.kill('SIGKILL')
      // A kill is delivered asynchronously: wait (briefly) until they are really gone before saying so.
      for (let attempt = 0; attempt < 50 && leftovers.some(isRunning); attempt++) {
        await new Promise<void>((resolve) => clock.setTimeout(resolve, 20))
      }
      process.removeListener('exit', onExit)
    })()
    return stopping
  }

  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8').on('data', collect)

  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = clock.setTimeout(
        () => reject(new OrchestratorError({ code: 'host-failed', message: `OpenCode did not start within ${startTimeoutMs} ms. Last output:\n${logTail()}` })),
        startTimeoutMs,
      )
      const onAbort = () => reject(new OrchestratorError({ code: 'task-cancelled', message: 'Interrupted while OpenCode was starting.' }))
      options.signal?.addEventListener('abort', onAbort, { once: true })
      const onData = (chunk: string) => {
        collect(chunk)
        const match = LISTENING.exec(logTail(LOG_LINES))
        if (!match?.[1]) return
        clock.clearTimeout(timer)
        options.signal?.removeEventListener('abort', onAbort)
        resolve(match[1].replace(/\/$/, ''))
      }
      child.stdout?.on('data', onData)
      void exited.then(({ code, signal }) => {
        clock.clearTimeout(timer)
        reject(new OrchestratorError({ code: 'host-failed', message: `OpenCode exited during start-up (${code === null ? `signal ${signal}` : `code ${code}`}). Last output:\n${logTail()}` }))
      })
      spawnFailed.catch((error: unknown) => {
        clock.clearTimeout(timer)
        reject(error)
      })
    })
    // Keep collecting after start so errors later can quote the server.
    child.stdout?.removeAllListeners('data')
    child.stdout?.on('data', collect)
    logger.log('info', 'OpenCode listening', { url, pid })
    return { url, pid, exited, logTail, stop }
  } catch (error) {
    await stop({ graceMs: 1_000 }).catch((stopError: unknown) => logger.log('error', 'could not stop OpenCode after a failed start', { error: errorMessage(stopError) }))
    throw error
  }
}
