import { spawn as spawnChild } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { isAbsolute } from 'node:path'
import { OrchestratorError, errorMessage, systemClock } from '@opencode-orchestrator/core'
import type { Clock, Logger, ProcessExit, ProcessHandle, ProcessRunner, SpawnOptions } from '@opencode-orchestrator/core'
import { hasErrorCode } from './error-code'
import { createOutputRingBuffer } from './output-ring-buffer'
import { isProcessGroupAlive, signalProcessGroup } from './process-group'
import type { GroupSignal } from './process-group'

/** Default size of each process's output ring buffer: 1 MiB, as `background.outputLimitBytes`. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1_048_576
/** Default wait between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000

/** Options for {@link createProcessRunner}. */
export interface CreateProcessRunnerOptions {
  /** Receives spawns, exits, escalations and spawn failures. */
  logger: Logger
  /** Shell that runs each command line as `<shell> -c <command>`. Default `/bin/sh`. */
  shell?: string
  /** Ring-buffer size for processes spawned without `outputLimitBytes`. Default {@link DEFAULT_MAX_OUTPUT_BYTES}. */
  maxOutputBytes?: number
  /** How long `kill()` waits after SIGTERM before it sends SIGKILL to the group. Default {@link DEFAULT_KILL_GRACE_MS}. */
  killGraceMs?: number
  /**
   * How long `exited` waits, after the process exited, for its output pipes to
   * close, so the last output is in the buffer when `exited` settles. A process
   * left running in the background by the command keeps the pipes open; this
   * bounds the wait for it. Default 100.
   */
  outputDrainMs?: number
  /**
   * How often a process group that outlived its leader (a command that left a
   * daemon behind) is checked for having ended, so the runner stops tracking it
   * before its id can be reused. Default 5000.
   */
  lingerCheckMs?: number
  /** Timers for the grace period and the checks. Default the system clock. */
  clock?: Clock
}

/** The Node process runner: the {@link ProcessRunner} port plus shutdown. */
export interface NodeProcessRunner extends ProcessRunner {
  /**
   * Kills every process group this runner started that may still be alive, and
   * refuses new spawns. The signals go out before this returns, so it also works
   * in a `process.on('exit')` handler (pass `SIGKILL` there: nothing runs later
   * to escalate). Resolves when every group has ended or the grace ran out.
   */
  disposeAll(options?: { signal?: GroupSignal }): Promise<void>
  /** Processes (or groups left behind by them) the runner still tracks. */
  readonly activeCount: number
}

/** How often `kill()` checks whether the group has ended. */
const POLL_MS = 20

interface ActiveProcess {
  kill(signal: GroupSignal): Promise<ProcessExit>
}

/**
 * Creates the Node {@link ProcessRunner}. Every command runs in its own process
 * group (`detached`), with stdin closed and stdout+stderr captured into one
 * bounded ring buffer; `kill()` signals the whole group, so what the command
 * started in the background dies with it. The runner only ever signals groups it
 * created.
 */
export function createProcessRunner(options: CreateProcessRunnerOptions): NodeProcessRunner {
  const {
    logger,
    shell = '/bin/sh',
    maxOutputBytes = DEFAULT_MAX_OUTPUT_BYTES,
    killGraceMs = DEFAULT_KILL_GRACE_MS,
    outputDrainMs = 100,
    lingerCheckMs = 5000,
    clock = systemClock,
  } = options
  for (const [field, value] of [
    ['killGraceMs', killGraceMs],
    ['outputDrainMs', outputDrainMs],
    ['lingerCheckMs', lingerCheckMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Process runner option ${field} ${String(value)} must be a number of milliseconds, 0 or more.`,
        details: { field, value },
      })
    }
  }
  // Validates the default limit up front rather than on the first spawn.
  createOutputRingBuffer(maxOutputBytes)
  const log = logger.child({ component: 'process-runner' })
  const active = new Set<ActiveProcess>()
  let disposed = false

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      clock.setTimeout(resolve, ms)
    })

  function spawn(spawnOptions: SpawnOptions): ProcessHandle {
    const { command, cwd, env, outputLimitBytes = maxOutputBytes } = spawnOptions
    if (disposed) {
      throw new OrchestratorError({ code: 'disposed', message: `The process runner was disposed; not starting ${JSON.stringify(command)}.` })
    }
    if (typeof command !== 'string' || command.trim() === '') {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Command ${JSON.stringify(command)} must be a non-empty shell command line.`,
        details: { field: 'command', value: command },
      })
    }
    if (typeof cwd !== 'string' || !isAbsolute(cwd)) {
      throw new OrchestratorError({
        code: 'invalid-argument',
        message: `Working directory ${JSON.stringify(cwd)} must be an absolute path (e.g. the project directory).`,
        details: { field: 'cwd', value: cwd },
      })
    }
    const output = createOutputRingBuffer(outputLimitBytes)

    let child: ChildProcess | undefined
    let startError: unknown
    try {
      child = spawnChild(shell, ['-c', command], {
        cwd,
        env: env === undefined ? process.env : { ...process.env, ...env },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      })
    } catch (error) {
      // Synchronous failures: e.g. a NUL byte in the command line.
      startError = error
    }
    const pid = child?.pid ?? 0

    let resolveExited!: (exit: ProcessExit) => void
    let rejectExited!: (error: unknown) => void
    const exited = new Promise<ProcessExit>((resolve, reject) => {
      resolveExited = resolve
      rejectExited = reject
    })
    // The caller gets the rejection through `exited`/`kill()`; it is logged below,
    // and must not crash the host as an unhandled rejection when nobody awaits it.
    exited.catch(() => undefined)

    let leaderExit: ProcessExit | undefined
    let pipesClosed = false
    let settled = false
    let failed = false
    /** Set once the group is known to be gone: from then on it is never signalled (its id may be reused). */
    let groupEnded = false
    let terminating: Promise<ProcessExit> | undefined
    const processLog = log.child({ pid, command: command.length > 200 ? `${command.slice(0, 200)}…` : command })

    const settle = () => {
      if (settled || leaderExit === undefined) return
      settled = true
      output.end()
      resolveExited(leaderExit)
    }

    const fail = async (error: unknown) => {
      if (failed) return
      failed = true
      groupEnded = true
      active.delete(entry)
      let cwdMissing = false
      if (hasErrorCode(error, ['ENOENT', 'ENOTDIR'])) {
        cwdMissing = await stat(cwd).then(
          (stats) => !stats.isDirectory(),
          () => true,
        )
      }
      const failure = new OrchestratorError({
        code: cwdMissing ? 'invalid-argument' : 'host-failed',
        message: cwdMissing
          ? `Cannot run ${JSON.stringify(command)}: working directory ${JSON.stringify(cwd)} does not exist or is not a directory.`
          : `Cannot run ${JSON.stringify(command)} with ${shell} in ${JSON.stringify(cwd)}: ${errorMessage(error)}`,
        cause: error,
        details: cwdMissing ? { field: 'cwd', value: cwd } : { shell, cwd },
      })
      processLog.log('error', failure.message)
      rejectExited(failure)
    }

    /** Polls until the leader has exited and no live member is left, or `ms` passed. */
    const waitForGroupEnd = async (ms: number): Promise<boolean> => {
      const deadline = clock.now() + ms
      for (;;) {
        if (groupEnded) return true
        if (leaderExit !== undefined && !(await isProcessGroupAlive(pid))) {
          groupEnded = true
          active.delete(entry)
          return true
        }
        if (clock.now() >= deadline) return false
        await sleep(POLL_MS)
      }
    }

    const send = (signal: GroupSignal) => {
      if (groupEnded || pid < 2) return
      try {
        signalProcessGroup(pid, signal)
      } catch (error) {
        processLog.log('warn', `could not send ${signal} to the process group`, { error: errorMessage(error) })
      }
    }

    const terminate = async (signal: GroupSignal): Promise<ProcessExit> => {
      send(signal)
      if (signal !== 'SIGKILL' && !(await waitForGroupEnd(killGraceMs))) {
        processLog.log('warn', `process group still alive ${killGraceMs} ms after ${signal}; sending SIGKILL`)
        send('SIGKILL')
      }
      if (!(await waitForGroupEnd(Math.max(killGraceMs, 500)))) {
        processLog.log('warn', 'process group still has members after SIGKILL (uninterruptible or unreaped processes)')
      }
      return exited
    }

    /** After the leader is gone and the pipes closed: stop tracking, or keep watching a group left behind. */
    const watchLeftovers = async () => {
      while (!groupEnded) {
        if (!(await isProcessGroupAlive(pid))) {
          groupEnded = true
          active.delete(entry)
          return
        }
        processLog.log('debug', 'process group outlived its leader; still tracked so kill and dispose reach it')
        await new Promise<void>((resolve) => {
          const timer = clock.setTimeout(resolve, lingerCheckMs)
          // A watched leftover must not keep the host process alive by itself.
          ;(timer as { unref?: () => void } | undefined)?.unref?.()
        })
      }
    }

    const entry: ActiveProcess = {
      kill(signal) {
        if (failed || groupEnded) return exited
        if (terminating === undefined) terminating = terminate(signal)
        else if (signal === 'SIGKILL') send('SIGKILL')
        return terminating
      },
    }

    if (child === undefined || startError !== undefined) {
      void fail(startError ?? new Error('spawn returned no process'))
    } else {
      const started = child
      active.add(entry)
      started.stdout?.on('data', (chunk: Buffer) => output.write(chunk))
      started.stderr?.on('data', (chunk: Buffer) => output.write(chunk))
      started.on('error', (error) => {
        if (started.pid === undefined) void fail(error)
        else processLog.log('warn', 'child process error', { error: errorMessage(error) })
      })
      started.on('exit', (code, signal) => {
        leaderExit = { code, signal }
        processLog.log('debug', 'process exited', { code, signal })
        if (pipesClosed) settle()
        else clock.setTimeout(settle, outputDrainMs)
      })
      started.on('close', () => {
        pipesClosed = true
        settle()
        if (terminating === undefined) void watchLeftovers()
      })
      if (pid > 0) processLog.log('debug', 'process started', { cwd })
    }

    return {
      pid,
      exited,
      output: (readOptions) => output.read(readOptions),
      kill: (signal = 'SIGTERM') => entry.kill(signal),
    }
  }

  return {
    spawn,
    async disposeAll({ signal = 'SIGTERM' } = {}) {
      disposed = true
      const kills = [...active].map((entry) => entry.kill(signal))
      const results = await Promise.allSettled(kills)
      for (const result of results) {
        if (result.status === 'rejected') log.log('warn', 'a process failed while being disposed', { error: errorMessage(result.reason) })
      }
    },
    get activeCount() {
      return active.size
    },
  }
}
