/**
 * Runs git: the one port the worktree manager reaches the repository through, so tests can record
 * or script it. The node runner starts `git` itself with `execFile` (never a shell), with an
 * environment that keeps git from prompting and from reading the user's hooks into our commits.
 */
import { execFile } from 'node:child_process'
import { isAbsolute } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

export interface GitResult {
  stdout: string
  stderr: string
  /** Exit code; a git that could not be started rejects instead. */
  code: number
}

export interface GitRunOptions {
  /** Absolute folder git runs in. */
  cwd: string
}

export interface GitRunner {
  /** Runs `git <args>` in `cwd` and resolves with its output and exit code (a non-zero code is not a rejection). */
  run(args: readonly string[], options: GitRunOptions): Promise<GitResult>
}

export interface CreateNodeGitRunnerOptions {
  /** The git binary. Default `git` from PATH. */
  binary?: string
  /** Largest output kept, in bytes. Default 64 MiB (a `diff --name-only` of a big merge is long). */
  maxBuffer?: number
}

/** The real runner: `execFile(git, args, { cwd })`, no shell, no terminal prompts, no pager. */
export function createNodeGitRunner(options: CreateNodeGitRunnerOptions = {}): GitRunner {
  const binary = options.binary ?? 'git'
  const maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024
  return {
    run(args, { cwd }) {
      if (!isAbsolute(cwd)) {
        return Promise.reject(new OrchestratorError({ code: 'invalid-argument', message: `git cwd: ${JSON.stringify(cwd)} is not an absolute path; pass the folder's absolute path.` }))
      }
      return new Promise((resolve, reject) => {
        execFile(
          binary,
          [...args],
          {
            cwd,
            maxBuffer,
            env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' },
            windowsHide: true,
          },
          (error, stdout, stderr) => {
            if (error && typeof error.code !== 'number') {
              reject(new OrchestratorError({ code: 'git-failed', message: `could not run ${binary} ${args[0] ?? ''} in ${cwd}: ${error.message}. Is git installed and on PATH?`, cause: error }))
              return
            }
            resolve({ stdout, stderr, code: error && typeof error.code === 'number' ? error.code : 0 })
          },
        )
      })
    },
  }
}
