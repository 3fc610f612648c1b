import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

export interface StartRedisServerOptions {
  /** Path of `redis-server`. Default `/usr/bin/redis-server` (Debian's package), else `redis-server` on PATH. */
  binary?: string
  /** Until Redis says it is ready. Default 10 s. */
  startTimeoutMs?: number
}

export interface RedisServer {
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string
  readonly port: number
  readonly pid: number
  /** The last lines Redis printed (for error messages). */
  logTail(): string
  /** SIGTERM, SIGKILL after 3 s; removes the temporary directory. Idempotent. */
  stop(): Promise<void>
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

/**
 * Starts a throw-away `redis-server` on a free 127.0.0.1 port, with its own
 * temporary directory and no persistence, for tests and benchmarks. Stop it
 * with `stop()`; it also dies with the test process (it is a child, not a daemon).
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  const binary = options.binary ?? '/usr/bin/redis-server'
  const directory = await mkdtemp(join(tmpdir(), 'orchestrator-redis-'))
  const port = await freePort()
  const child = spawn(
    binary,
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no', '--loglevel', 'notice'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const lines: string[] = []
  let ready: () => void = () => undefined
  const readyPromise = new Promise<void>((resolve) => {
    ready = resolve
  })
  const collect = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue
      lines.push(line)
      if (lines.length > 100) lines.shift()
      if (line.includes('Ready to accept connections')) ready()
    }
  }
  child.stdout.on('data', collect)
  child.stderr.on('data', collect)
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }))
    child.once('error', () => resolve({ code: -1, signal: null }))
  })
  const timeoutMs = options.startTimeoutMs ?? 10_000
  let timer: ReturnType<typeof setTimeout> | undefined
  const outcome = await Promise.race([
    readyPromise.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs)
    }),
  ])
  clearTimeout(timer)
  let stopped: Promise<void> | undefined
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const killTimer = setTimeout(() => child.kill('SIGKILL'), 3_000)
        await exited
        clearTimeout(killTimer)
      }
      await rm(directory, { recursive: true, force: true })
    })()
    return stopped
  }
  if (outcome !== 'ready') {
    await stop()
    throw new OrchestratorError({
      code: 'host-failed',
      message: `redis-server (${binary}) did not start on 127.0.0.1:${port} (${outcome}). Install Debian's redis-server (apt-get install redis-server). Its output:\n${lines.join('\n')}`,
    })
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    logTail: () => lines.join('\n'),
    stop,
  }
}
