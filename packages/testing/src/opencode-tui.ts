import { execFile } from 'node:child_process'
import { OrchestratorError } from '@opencode-orchestrator/core'
import { resolveOpencodeBinary } from './opencode-binary'
import type { OpencodeServer } from './opencode-server'

/*
 * OpenCode's real terminal UI, driven like a person would: `opencode attach <url>`
 * onto a harness server, inside a tmux server of its own (`-L <socket>`, fixed
 * size), keys through `send-keys`, the screen read with `capture-pane -p`.
 */

export interface StartOpencodeTuiOptions {
  /** The server to attach to (its env — isolated HOME/XDG — is reused for the TUI). */
  server: OpencodeServer
  /** Session to open at start (`--session`). Default: the TUI's home screen. */
  sessionId?: string
  /** Terminal size. Default 120×40. */
  columns?: number
  rows?: number
  /** Time allowed until the TUI draws its first screen. Default 30 s. */
  startTimeoutMs?: number
  /** Path of the OpenCode executable. Default: resolved from `opencode-ai`. */
  binary?: string
}

export interface WaitForScreenOptions {
  /** Default 15 s. */
  timeoutMs?: number
  /** Poll interval. Default 100 ms. */
  intervalMs?: number
}

export interface OpencodeTui {
  /** The tmux socket name (`tmux -L <socket>`). */
  readonly socket: string
  /** The whole visible screen, as plain text (trailing spaces trimmed per line). */
  screen(): Promise<string>
  /** Sends tmux key names (`Enter`, `Escape`, `C-x`, `Tab`, …) one after the other. */
  keys(...keys: string[]): Promise<void>
  /** Types literal text (no key-name lookup). */
  type(text: string): Promise<void>
  /** Types `text`, then presses Enter. */
  submit(text: string): Promise<void>
  /** Polls the screen until `expected` appears; fails with the last screen. Returns that screen. */
  waitFor(expected: string | RegExp, options?: WaitForScreenOptions): Promise<string>
  /** Polls the screen until `unexpected` is gone; fails with the last screen. */
  waitForGone(unexpected: string | RegExp, options?: WaitForScreenOptions): Promise<string>
  /** Kills the tmux server (and with it the TUI). Safe to call twice. */
  dispose(): Promise<void>
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(file, args, { maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new OrchestratorError({ code: 'host-failed', message: `${file} ${args.join(' ')} failed: ${stderr || error.message}`, cause: error }))
      else resolvePromise(stdout)
    })
  })
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`
}

const matches = (screen: string, pattern: string | RegExp) => (typeof pattern === 'string' ? screen.includes(pattern) : pattern.test(screen))

let socketCounter = 0
const liveSockets = new Set<string>()
let exitGuardInstalled = false

function installExitGuard() {
  if (exitGuardInstalled) return
  exitGuardInstalled = true
  process.once('exit', () => {
    for (const socket of liveSockets) {
      try {
        execFile('tmux', ['-L', socket, 'kill-server'])
      } catch {
        // Gone already.
      }
    }
  })
}

/**
 * Starts the real OpenCode TUI attached to `server`, in a tmux server of its
 * own. Requires `tmux` on PATH. Call `dispose()` in `afterAll`.
 *
 * @example
 * const tui = await startOpencodeTui({ server })
 * await tui.submit('/task "add a slugify module"')
 * await tui.waitFor('Mission sealed')
 */
export async function startOpencodeTui(options: StartOpencodeTuiOptions): Promise<OpencodeTui> {
  installExitGuard()
  const binary = options.binary ?? resolveOpencodeBinary().path
  const socket = `oc-tui-${process.pid}-${++socketCounter}`
  const columns = options.columns ?? 120
  const rows = options.rows ?? 40
  const env = Object.entries(options.server.env)
    // The TUI only needs its isolated home and the OpenCode switches; the config is on the server.
    .filter(([name]) => name === 'HOME' || name.startsWith('XDG_') || name.startsWith('OPENCODE_DISABLE') || name === 'PATH')
    .map(([name, value]) => `${name}=${shellQuote(value)}`)
  const command = [
    'env',
    ...env,
    'TERM=xterm-256color',
    'COLORTERM=truecolor',
    shellQuote(binary),
    'attach',
    shellQuote(options.server.url),
    '--dir',
    shellQuote(options.server.directory),
    ...(options.sessionId ? ['--session', shellQuote(options.sessionId)] : []),
  ].join(' ')
  try {
    await run('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', String(columns), '-y', String(rows), '-c', options.server.directory, command])
  } catch (error) {
    throw new OrchestratorError({
      code: 'host-failed',
      message: 'Cannot start the OpenCode TUI in tmux. Is tmux installed (apt-get install tmux)?',
      cause: error,
    })
  }
  liveSockets.add(socket)
  // The pane must stay after the TUI exits, so a crash leaves its last screen readable.
  await run('tmux', ['-L', socket, 'set-option', '-g', 'remain-on-exit', 'on']).catch(() => undefined)

  let disposed = false
  const screen = async () => {
    const text = await run('tmux', ['-L', socket, 'capture-pane', '-p', '-t', '0'])
    return text
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
  }
  const waitUntil = async (want: boolean, pattern: string | RegExp, waitOptions: WaitForScreenOptions = {}) => {
    const timeoutMs = waitOptions.timeoutMs ?? 15_000
    const intervalMs = waitOptions.intervalMs ?? 100
    const deadline = Date.now() + timeoutMs
    let last = ''
    for (;;) {
      last = await screen()
      if (matches(last, pattern) === want) return last
      if (Date.now() > deadline) {
        throw new OrchestratorError({
          code: 'host-failed',
          message: `TUI: ${want ? 'waited for' : 'waited for the end of'} ${String(pattern)} for ${timeoutMs} ms. Last screen:\n${last}`,
        })
      }
      await new Promise((resolveWait) => setTimeout(resolveWait, intervalMs))
    }
  }
  const tui: OpencodeTui = {
    socket,
    screen,
    async keys(...keys) {
      for (const key of keys) await run('tmux', ['-L', socket, 'send-keys', '-t', '0', key])
    },
    async type(text) {
      await run('tmux', ['-L', socket, 'send-keys', '-t', '0', '-l', text])
    },
    async submit(text) {
      // Keys typed while the TUI switches screens can be lost: type until the text is in the input.
      const visible = text.slice(0, Math.max(1, columns - 20))
      for (let attempt = 1; ; attempt++) {
        await tui.type(text)
        try {
          await tui.waitFor(visible, { timeoutMs: 3_000, intervalMs: 50 })
          break
        } catch (error) {
          if (attempt === 3) throw error
          // Clear whatever part of it arrived before typing again.
          await tui.keys('C-u')
        }
      }
      await tui.keys('Enter')
    },
    waitFor: (expected, waitOptions) => waitUntil(true, expected, waitOptions),
    waitForGone: (unexpected, waitOptions) => waitUntil(false, unexpected, waitOptions),
    async dispose() {
      if (disposed) return
      disposed = true
      liveSockets.delete(socket)
      await run('tmux', ['-L', socket, 'kill-server']).catch(() => undefined)
    },
  }
  try {
    await tui.waitFor(/\S/, { timeoutMs: options.startTimeoutMs ?? 30_000 })
  } catch (error) {
    await tui.dispose()
    throw error
  }
  return tui
}
