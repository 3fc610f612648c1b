import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The built executable: e2e tests run exactly what `pnpm demo` and users run. */
export const CLI_BIN = fileURLToPath(new URL('../../dist/bin.js', import.meta.url))

export interface CliRun {
  readonly child: ChildProcess
  readonly pid: number
  /** stdout so far, split into lines. */
  readonly lines: readonly string[]
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code (128 + n for a signal). */
  readonly exited: Promise<number>
  /** Resolves with the first stdout line (so far or later) that satisfies `predicate`. */
  waitForLine(predicate: (line: string) => boolean, what: string, timeoutMs?: number): Promise<string>
}

/** Spawns `node dist/bin.js <args>` with exactly `env`; collects its output. */
export function startCli(args: readonly string[], options: { env: Record<string, string>; cwd: string }): CliRun {
  if (!existsSync(CLI_BIN)) throw new Error(`${CLI_BIN} is missing: build the CLI first (pnpm build:cli, or pnpm e2e which does it).`)
  const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: string[] = []
  let stdout = ''
  let stderr = ''
  let partial = ''
  const waiters = new Set<() => void>()
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    const parts = (partial + chunk).split('\n')
    partial = parts.pop() ?? ''
    lines.push(...parts)
    for (const waiter of [...waiters]) waiter()
  })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<number>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const waiter of [...waiters]) waiter()
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 2))
    }),
  )
  let ended = false
  void exited.then(() => {
    ended = true
    for (const waiter of [...waiters]) waiter()
  })
  return {
    child,
    pid: child.pid!,
    lines,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    waitForLine(predicate, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(predicate)
          if (found !== undefined) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(found)
          } else if (ended) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(new Error(`${what}: the CLI exited first.\nstdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr.slice(-3000)}`))
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${what}: not seen within ${timeoutMs} ms.\nstdout:\n${stdout.slice(-3000)}\nstderr:\n${stderr.slice(-3000)}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
  }
}

/** Every stdout line as JSON; throws naming the first line that is not. */
export function parseJsonLines(text: string): Array<Record<string, unknown> & { type: string; at: number }> {
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line, index) => {
      try {
        return JSON.parse(line) as Record<string, unknown> & { type: string; at: number }
      } catch (error) {
        throw new Error(`stdout line ${index + 1} is not JSON (${String(error)}): ${line}`)
      }
    })
}

/** Alive and not a zombie (a killed child of a parent that has not reaped it yet counts as gone). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
