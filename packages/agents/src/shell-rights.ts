import type { AgentName } from './agent-name'

/**
 * What a role may run in a shell (OpenCode's `bash` and `orchestrator_bg_run` alike):
 * - `none`: no shell at all (OpenCode's `bash` permission is denied for the role);
 * - `read-only`: commands the user's bash permissions allow, except lines that visibly
 *   change files (see {@link shellWriteRefusal}) — refused before anything runs;
 * - `full`: whatever the user's bash permissions allow.
 */
export type ShellRight = 'none' | 'read-only' | 'full'

/**
 * The shell rights of each role. The Reviewer runs the checks but must not change the
 * code it judges; the Commander delegates and never edits; the Planner is read-only and
 * has no shell; Workers build. Enforced by the adapter (see docs/decisions/023).
 */
export const SHELL_RIGHTS: Readonly<Record<AgentName, ShellRight>> = {
  commander: 'read-only',
  planner: 'none',
  worker: 'full',
  reviewer: 'read-only',
}

/** Commands whose purpose is to change files. */
const WRITING_COMMANDS = new Set([
  'rm', 'rmdir', 'mv', 'cp', 'touch', 'mkdir', 'ln', 'chmod', 'chown', 'chgrp', 'truncate', 'dd', 'tee', 'install',
  'patch', 'unlink', 'shred', 'rsync', 'mkfifo', 'mknod',
])
/** git subcommands that change the worktree, the index or history. */
const WRITING_GIT = new Set([
  'add', 'am', 'apply', 'checkout', 'cherry-pick', 'clean', 'commit', 'merge', 'mv', 'pull', 'push', 'rebase', 'reset', 'restore',
  'revert', 'rm', 'stash', 'switch', 'tag', 'worktree', 'init', 'clone',
])
/** Package-manager subcommands that change the manifest or lockfile. */
const WRITING_PACKAGE = new Set(['add', 'remove', 'rm', 'uninstall', 'un', 'update', 'upgrade', 'up', 'link', 'unlink', 'dedupe', 'prune'])
const PACKAGE_MANAGERS = new Set(['npm', 'pnpm', 'yarn', 'bun'])
/** Programs that run code given on the command line, whose writes a parser cannot see. */
const INLINE_CODE: Readonly<Record<string, readonly string[]>> = {
  sh: ['-c'], bash: ['-c'], zsh: ['-c'], dash: ['-c'], fish: ['-c'],
  python: ['-c'], python3: ['-c'], node: ['-e', '--eval', '-p', '--print'], perl: ['-e', '-E', '-i'], ruby: ['-e'], deno: ['eval'],
}

function unquote(word: string): string {
  return word.length >= 2 && (word[0] === '"' || word[0] === "'") && word[0] === word[word.length - 1] ? word.slice(1, -1) : word
}

/** Why one command (its words) visibly writes, or undefined. */
function writingCommand(words: readonly string[]): string | undefined {
  const [rawName, ...rest] = words.map(unquote)
  if (rawName === undefined) return undefined
  const name = rawName.split('/').pop() ?? rawName
  if (name === 'eval' || name === 'exec' || name === 'xargs' || name === 'sudo' || name === 'env' || name === 'command') {
    return `\`${name}\` runs another command the check cannot see`
  }
  if (WRITING_COMMANDS.has(name)) return `\`${name}\` changes files`
  if ((name === 'sed' || name === 'perl') && rest.some((word) => /^-[a-zA-Z]*i/.test(word) || word.startsWith('--in-place'))) return `\`${name} -i\` edits files in place`
  if (name === 'git') {
    const sub = rest.find((word) => !word.startsWith('-'))
    if (sub !== undefined && WRITING_GIT.has(sub)) return `\`git ${sub}\` changes the worktree, index or history`
  }
  if (PACKAGE_MANAGERS.has(name)) {
    const sub = rest.find((word) => !word.startsWith('-'))
    if (sub !== undefined && WRITING_PACKAGE.has(sub)) return `\`${name} ${sub}\` changes the manifest or lockfile`
  }
  const inline = INLINE_CODE[name]
  if (inline !== undefined && rest.some((word) => inline.includes(word))) return `\`${name} ${rest.find((word) => inline.includes(word)) ?? ''}\` runs inline code whose writes cannot be checked`
  return undefined
}

/** A parsed shell line, as the adapter's bash parser gives it. */
export interface ShellLineFacts {
  /** The words of every command of the line: chains, pipelines, substitutions and subshells included. */
  commands: readonly (readonly string[])[]
  /** True when the line redirects output into a file (not `/dev/null`). */
  redirectsToFile: boolean
}

/**
 * The refusal for a shell line a role may not run, or undefined when it may.
 * For `read-only` roles a line is refused when any of its commands visibly writes:
 * output redirection into a file; commands that exist to change files (`rm`, `mv`,
 * `cp`, `touch`, `mkdir`, `tee`, `chmod`, …); `sed -i`/`perl -i`; git subcommands
 * that change the worktree, index or history; package-manager add/remove/update;
 * and commands that run other commands or inline code the check cannot see
 * (`sh -c`, `python -c`, `node -e`, `eval`, `xargs`, `sudo`, `env`). Tests, builds,
 * linters and reads run; the programs they start may still write their own output
 * (build folders, caches, coverage): this is a check of the command line, not a sandbox.
 */
export function shellWriteRefusal(agent: string, line: ShellLineFacts): string | undefined {
  const right = (SHELL_RIGHTS as Record<string, ShellRight | undefined>)[agent]
  if (right === undefined || right === 'full') return undefined
  const role = agent.charAt(0).toUpperCase() + agent.slice(1)
  if (right === 'none') return `The ${role} runs no shell commands.`
  const reasons = [
    ...(line.redirectsToFile ? ['it redirects output into a file'] : []),
    ...line.commands.map(writingCommand).filter((reason): reason is string => reason !== undefined),
  ]
  if (reasons.length === 0) return undefined
  const why = role === 'Reviewer' ? 'must not change the code it judges' : 'never edits code; Workers do'
  return `Refused: the ${role} ${why}, and this command line writes (${[...new Set(reasons)].join('; ')}). Run only checks and reads; ask for the change in your report instead.`
}
