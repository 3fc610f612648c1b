import { lstatSync, readlinkSync, realpathSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { truncateForMessage } from '@opencode-orchestrator/core'
import type { Node as SyntaxNode } from 'web-tree-sitter'
import { contains, loadBash, stripQuotes } from './shell-permission'

/**
 * Keeps a shell line of a Worker inside its worktree (issue 14, docs/decisions/089).
 *
 * OpenCode's `external_directory` rule refuses path arguments of the file commands it knows
 * (`touch /main/f`, `cd ..`) but not a redirection (`echo x > /main/f`, measured on 1.18.33), nor
 * `tee`, `sed -i`, `dd of=`, `git -C`, inline shells. This check runs before the line does and
 * refuses every write or directory change it cannot prove lands inside the boundary: absolute
 * paths outside, `..` that climbs out, `~`, variables and substitutions in a written path. It
 * never reroutes a path; the model gets the path and the boundary in the refusal.
 */
export interface ShellConfinementContext {
  /** Absolute working directory the line starts in. */
  cwd: string
  /** The directory nothing may be written outside of (the Worker's worktree). */
  boundary: string
}

export interface ShellConfinement {
  /** A refusal text for the model, or undefined when the line stays inside the boundary. */
  check(command: string, context: ShellConfinementContext): Promise<string | undefined>
}

export interface CreateShellConfinementOptions {
  /** Home directory for `~`. Default `os.homedir()`. */
  homeDirectory?: () => string
}

/** Commands every non-option argument of which is a path they change. */
const WRITE_ALL = new Set(['rm', 'rmdir', 'touch', 'mkdir', 'chmod', 'chown', 'chgrp', 'truncate', 'tee', 'mv', 'unlink', 'shred', 'mkfifo', 'mknod'])
/** Commands whose last non-option argument (or `-t DIR`) is the path they write. */
const WRITE_LAST = new Set(['cp', 'ln', 'install', 'rsync', 'scp'])
/** Commands that only change the working directory. */
const DIRECTORY_CHANGERS = new Set(['cd', 'pushd', 'chdir'])
/** Shells whose `-c` code is checked as a line of its own. */
const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh'])
/** Interpreters whose inline code (`-c`, `-e`) cannot be followed: refused when it names a path outside or climbs with `..`. */
const INTERPRETERS = new Set(['python', 'python3', 'node', 'perl', 'ruby', 'php', 'deno', 'bun'])
/** Options that take the written path as their value: `-o out`, `--output=out`, `of=out`. */
const OUTPUT_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  curl: ['-o', '--output'],
  wget: ['-O', '--output-document', '-P', '--directory-prefix'],
  tar: ['-C', '--directory', '-f', '--file'],
  unzip: ['-d'],
  git: ['-C', '--work-tree', '--git-dir'],
  sort: ['-o', '--output'],
  make: ['-C', '--directory'],
  npm: ['--prefix'],
  pnpm: ['-C', '--dir', '--prefix'],
  yarn: ['--cwd'],
}
const WRITE_REDIRECT = /^(>|>>|&>|&>>|>\||<>)$/

function wordsOf(command: SyntaxNode): string[] {
  const words: string[] = []
  for (const child of command.children) {
    if (child && ['command_name', 'word', 'string', 'raw_string', 'concatenation', 'simple_expansion', 'expansion', 'command_substitution', 'number'].includes(child.type)) words.push(child.text)
  }
  return words
}

/**
 * Where a write to `path` really lands: the nearest existing ancestor with its links followed, and a
 * dangling link's target followed too (a write through it creates the target). A repository or a Worker
 * can place a link inside the worktree that points out of it; a lexical check alone would let
 * `echo x > link/f` through.
 */
export function realLanding(path: string): string {
  let existing = resolve(path)
  const rest: string[] = []
  for (let hops = 0; hops < 64; hops++) {
    try {
      return join(realpathSync(existing), ...[...rest].reverse())
    } catch {
      try {
        if (lstatSync(existing).isSymbolicLink()) {
          existing = resolve(dirname(existing), readlinkSync(existing))
          continue
        }
      } catch {
        // Not there at all: look at its parent.
      }
      const parent = dirname(existing)
      if (parent === existing) return resolve(path)
      rest.push(basename(existing))
      existing = parent
    }
  }
  // A loop of links: nothing can be written through it; treat it as where it says.
  return resolve(path)
}

/** `path` stays inside `boundary`, by its words and where it really lands (links followed). */
export function landsInside(boundary: string, path: string): boolean {
  return contains(boundary, path) && contains(realLanding(boundary), realLanding(path))
}

/** Creates the checker; the bash grammar (the one decision 020 pins) loads on first use. */
export function createShellConfinement(options: CreateShellConfinementOptions = {}): ShellConfinement {
  const home = options.homeDirectory ?? homedir

  /** Where a written path lands, from every working directory the line may be in; a string is a refusal reason. */
  const placement = (raw: string, cwds: readonly string[], boundary: string): { outside?: string; unknown?: string } => {
    let text = stripQuotes(raw)
    if (/[$`]/.test(text) || text.startsWith('<(') || text.startsWith('>(')) return { unknown: raw }
    if (text === '~' || text.startsWith('~/')) text = `${home()}${text.slice(1)}`
    else if (text.startsWith('~')) return { unknown: raw }
    const glob = /[?*[{]/.exec(text)
    if (glob) text = text.slice(0, glob.index)
    if (text === '') return {}
    for (const cwd of cwds) {
      const path = resolve(cwd, text)
      if (!landsInside(boundary, path)) return { outside: path }
    }
    return {}
  }

  const refusal = (what: string, path: string, boundary: string) =>
    `Refused: ${what} ${path}, outside this task's worktree ${boundary}. Workers write only inside their own worktree (it is merged back when the task ends); use a path inside it.`
  const unknownRefusal = (what: string, raw: string, boundary: string) =>
    `Refused: ${what} ${truncateForMessage(raw, 120)}, which cannot be resolved before running (a variable, substitution or ~user), so it may land outside this task's worktree ${boundary}. Write a plain path inside the worktree.`

  const checkLine = async (command: string, context: ShellConfinementContext, depth: number): Promise<string | undefined> => {
    const { Parser, language } = await loadBash()
    const parser = new Parser()
    parser.setLanguage(language)
    const tree = parser.parse(command)
    try {
      if (!tree || tree.rootNode.hasError) {
        return `Refused: the bash grammar cannot parse ${truncateForMessage(JSON.stringify(command), 160)}, so it cannot be checked to stay inside this task's worktree ${context.boundary}.`
      }
      const { boundary } = context
      const commands = tree.rootNode.descendantsOfType('command').filter((node): node is SyntaxNode => node !== null)
      // Every directory the line may change into must be inside. Relative paths (and later `cd`s) are checked from
      // each directory the line may be in, not in order: `(cd src); cd ..` or a failed `cd` leave the order unknown.
      const cwds = [context.cwd]
      for (const node of commands) {
        const words = wordsOf(node)
        const name = words[0]
        if (name === undefined || !DIRECTORY_CHANGERS.has(name)) continue
        const targets = words.slice(1).filter((word) => !/^-[LPe@]+$/.test(word))
        const target = targets[0]
        if (target === undefined) return refusal('`cd` without a directory changes to', home(), boundary)
        if (stripQuotes(target) === '-') return unknownRefusal('`cd -` changes to', target, boundary)
        const place = placement(target, cwds, boundary)
        if (place.unknown !== undefined) return unknownRefusal(`\`${name}\` changes to`, place.unknown, boundary)
        if (place.outside !== undefined) return refusal(`\`${name}\` changes to`, place.outside, boundary)
        for (const cwd of [...cwds]) cwds.push(resolve(cwd, stripQuotes(target)))
      }
      for (const redirect of tree.rootNode.descendantsOfType('file_redirect')) {
        if (!redirect) continue
        const operator = redirect.children.find((child) => child !== null && WRITE_REDIRECT.test(child.type))
        if (!operator) continue
        const destination = redirect.childForFieldName('destination')?.text ?? ''
        if (destination === '/dev/null' || destination === '/dev/stdout' || destination === '/dev/stderr' || /^&?\d+-?$/.test(destination) || destination === '-') continue
        const place = placement(destination, cwds, boundary)
        if (place.unknown !== undefined) return unknownRefusal('the redirection writes to', place.unknown, boundary)
        if (place.outside !== undefined) return refusal('the redirection writes to', place.outside, boundary)
      }
      for (const node of commands) {
        const words = wordsOf(node)
        const name = words[0]
        if (name === undefined) continue
        const base = stripQuotes(name).split('/').pop() ?? name
        const args = words.slice(1)
        const written: string[] = []
        // chmod/chown/chgrp: the first operand is the mode or owner (`+x` included), the rest are paths.
        if (WRITE_ALL.has(base)) written.push(...args.filter((word) => !word.startsWith('-')).slice(base === 'chmod' || base === 'chown' || base === 'chgrp' ? 1 : 0))
        if (WRITE_LAST.has(base)) {
          const operands = args.filter((word) => !word.startsWith('-'))
          const last = operands[operands.length - 1]
          if (last !== undefined && operands.length > 1) written.push(last)
          args.forEach((word, index) => {
            const next = args[index + 1]
            if ((word === '-t' || word === '--target-directory') && next !== undefined) written.push(next)
            if (word.startsWith('--target-directory=')) written.push(word.slice('--target-directory='.length))
          })
        }
        if (base === 'sed' && args.some((word) => /^-[a-zA-Z]*i/.test(word) || word.startsWith('--in-place'))) {
          // The script is the first operand unless given with -e/-f.
          const operands = args.filter((word) => !word.startsWith('-'))
          written.push(...operands.slice(1))
        }
        if (base === 'dd') for (const word of args) if (word.startsWith('of=')) written.push(word.slice(3))
        const outputOptions = OUTPUT_OPTIONS[base]
        if (outputOptions) {
          args.forEach((word, index) => {
            const next = args[index + 1]
            for (const option of outputOptions) {
              if (word === option && next !== undefined) written.push(next)
              else if (word.startsWith(`${option}=`)) written.push(word.slice(option.length + 1))
              else if (option.length === 2 && !option.startsWith('--') && word.startsWith(option) && word.length > 2 && option !== '-f') written.push(word.slice(2))
            }
          })
        }
        for (const path of written) {
          const place = placement(path, cwds, boundary)
          if (place.unknown !== undefined) return unknownRefusal(`\`${base}\` writes to`, place.unknown, boundary)
          if (place.outside !== undefined) return refusal(`\`${base}\` writes to`, place.outside, boundary)
        }
        if (SHELLS.has(base) || base === 'eval') {
          const codeIndex = base === 'eval' ? 0 : args.findIndex((word) => /^-[a-z]*c[a-z]*$/.test(word)) + 1
          if (codeIndex > 0 || base === 'eval') {
            const code = base === 'eval' ? args.map(stripQuotes).join(' ') : stripQuotes(args[codeIndex] ?? '')
            if (depth >= 3) return `Refused: shells nested more than three deep cannot be checked to stay inside this task's worktree ${boundary}.`
            for (const cwd of cwds) {
              const inner = await checkLine(code, { cwd, boundary }, depth + 1)
              if (inner !== undefined) return inner
            }
          }
        }
        if (INTERPRETERS.has(base.replace(/[\d.]+$/, '')) || INTERPRETERS.has(base)) {
          const codeIndex = args.findIndex((word) => word === '-c' || word === '-e' || word === '--eval')
          const code = codeIndex >= 0 ? stripQuotes(args[codeIndex + 1] ?? '') : ''
          for (const match of code.matchAll(/(?:^|[\s'"(=,])((?:\/|~\/|\.\.\/)[^\s'"),]*)/g)) {
            const candidate = match[1] ?? ''
            const place = placement(candidate, cwds, boundary)
            if (place.outside !== undefined) return refusal(`\`${base}\` inline code names`, place.outside, boundary)
          }
        }
      }
      return undefined
    } finally {
      tree?.delete()
      parser.delete()
    }
  }

  return {
    check: (command, context) => checkLine(command, context, 0),
  }
}
