import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { OrchestratorError } from '@opencode-orchestrator/core'

/**
 * git for fleet jobs. Values from a job (repo URL, ref) were validated at
 * submit and again by the worker (no leading `-`, no `ext::` helpers); here
 * they are also placed after `--` where git allows it, and remote helpers that
 * run programs are switched off, so a job can never smuggle an option in.
 */
const SAFE_CONFIG = ['-c', 'protocol.ext.allow=never', '-c', 'core.hooksPath=/dev/null', '-c', 'credential.interactive=false']

export interface GitResult {
  stdout: string
  stderr: string
}

export function git(args: readonly string[], options: { cwd: string; env?: Record<string, string | undefined>; signal?: AbortSignal; timeoutMs?: number }): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      [...SAFE_CONFIG, ...args],
      {
        cwd: options.cwd,
        env: { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '/bin/false', SSH_ASKPASS: '/bin/false' },
        timeout: options.timeoutMs ?? 10 * 60_000,
        maxBuffer: 16 * 1024 * 1024,
        ...(options.signal !== undefined ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new OrchestratorError({
              code: 'host-failed',
              message: `git ${args.filter((arg) => arg !== '--').slice(0, 4).join(' ')} failed in ${options.cwd}: ${stderr.trim() || error.message}`,
              cause: error,
            }),
          )
        } else resolve({ stdout, stderr })
      },
    )
  })
}

/** Clones `repo` and checks out `ref` (branch, tag or commit) detached, in `directory` (which must not exist). */
export async function cloneAtRef(options: { repo: string; ref: string; directory: string; parent: string; signal?: AbortSignal }): Promise<string> {
  const { repo, ref, directory } = options
  await git(['clone', '--quiet', '--no-checkout', '--', repo, directory], { cwd: options.parent, ...(options.signal ? { signal: options.signal } : {}) })
  await git(['fetch', '--quiet', '--', 'origin', ref], { cwd: directory, ...(options.signal ? { signal: options.signal } : {}) })
  await git(['checkout', '--quiet', '--detach', 'FETCH_HEAD', '--'], { cwd: directory })
  return (await git(['rev-parse', 'HEAD'], { cwd: directory })).stdout.trim()
}

const AUTHOR = {
  GIT_AUTHOR_NAME: 'OpenCode Orchestrator',
  GIT_AUTHOR_EMAIL: 'orchestrator@localhost',
  GIT_COMMITTER_NAME: 'OpenCode Orchestrator',
  GIT_COMMITTER_EMAIL: 'orchestrator@localhost',
}

/**
 * Commits everything in the work tree (if anything changed) and pushes HEAD to `branch` on origin.
 * `forceAdd` names folders to commit although git ignores them (the mission folder ignores itself in
 * the user's checkout; on a fleet branch its journal, todos and report are the point).
 */
export async function commitAndPush(options: { directory: string; branch: string; message: string; forceAdd?: readonly string[] }): Promise<void> {
  const { directory } = options
  await git(['add', '--all', '--', '.'], { cwd: directory })
  const forced = (options.forceAdd ?? []).filter((path) => existsSync(join(directory, path)))
  if (forced.length > 0) await git(['add', '--all', '--force', '--', ...forced], { cwd: directory })
  const status = await git(['status', '--porcelain'], { cwd: directory })
  if (status.stdout.trim().length > 0) await git(['commit', '--quiet', '--no-verify', '-m', options.message], { cwd: directory, env: AUTHOR })
  // The branch namespace belongs to the fleet: a retried attempt replaces what an earlier one pushed.
  await git(['push', '--quiet', '--force', '--', 'origin', `HEAD:refs/heads/${options.branch}`], { cwd: directory })
}
