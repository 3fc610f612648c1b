import { stat } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { OrchestratorError, truncateForMessage } from '@opencode-orchestrator/core'
import type { Language, Node as SyntaxNode, Parser } from 'web-tree-sitter'

/**
 * What OpenCode's own `bash` tool (1.18.33) asks before it runs a command line,
 * derived the same way so a background command can ask exactly the same:
 * the line is parsed with tree-sitter-bash (the versions OpenCode bundles),
 * every `command` node — of a chain, pipeline, `$( )`, backticks or subshell —
 * gives one `bash` pattern (its text, with its redirections) and one `always`
 * pattern (the command's arity prefix + ` *`), and path arguments of the
 * file commands OpenCode watches, plus a working directory outside the project,
 * give `external_directory` patterns. See docs/decisions/020-shell-permission-parity.md.
 */
export interface ShellPermissionRequest {
  /** Directories outside the project the line touches; asked as `external_directory` with `<dir>/*`. */
  externalDirectories: string[]
  /** `bash` patterns: the text of every command of the line. Empty for a line of `cd` only (OpenCode then asks nothing). */
  patterns: string[]
  /** `bash` patterns remembered when the user answers "always". */
  always: string[]
  /** True when the line writes to a file by redirection (`>`, `>>`, `&>`, `>|`), other than `/dev/null`. */
  redirectsToFile: boolean
  /** The words of every command of the line (`["git", "commit", "-m", "x"]`), quotes kept, assignments and redirections left out. */
  commands: string[][]
}

/** Where the line runs: the working directory and the project it belongs to. */
export interface ShellPermissionContext {
  /** Absolute working directory of the command. */
  cwd: string
  /** The project directory (OpenCode's `directory`). */
  directory: string
  /** The project's worktree (OpenCode's `worktree`; `/` outside git). */
  worktree: string
}

export interface ShellPermissionAnalyzer {
  /** Throws `invalid-argument` for a line the bash grammar cannot parse: such a line is never run. */
  analyze(command: string, context: ShellPermissionContext): Promise<ShellPermissionRequest>
}

export interface CreateShellPermissionAnalyzerOptions {
  /** Whether a path is a directory (OpenCode asks for a file's parent, a directory itself). Default: `fs.stat`. */
  isDirectory?: (path: string) => Promise<boolean>
  /** Home directory for `~`. Default `os.homedir()`. */
  homeDirectory?: () => string
}

/** How many words of a command name its permission prefix keeps (`git status` → `git status *`); OpenCode's arity table. */
const ARITY: Readonly<Record<string, number>> = {
  cat: 1, cd: 1, chmod: 1, chown: 1, cp: 1, echo: 1, env: 1, export: 1, grep: 1, kill: 1, killall: 1, ln: 1, ls: 1, mkdir: 1, mv: 1, ps: 1,
  pwd: 1, rm: 1, rmdir: 1, sleep: 1, source: 1, tail: 1, touch: 1, unset: 1, which: 1,
  aws: 3, az: 3, bazel: 2, brew: 2, bun: 2, 'bun run': 3, 'bun x': 3, cargo: 2, 'cargo add': 3, 'cargo run': 3, cdk: 2, cf: 2, cmake: 2,
  composer: 2, consul: 2, 'consul kv': 3, crictl: 2, deno: 2, 'deno task': 3, doctl: 3, docker: 2, 'docker builder': 3, 'docker compose': 3,
  'docker container': 3, 'docker image': 3, 'docker network': 3, 'docker volume': 3, eksctl: 2, 'eksctl create': 3, firebase: 2, flyctl: 2,
  gcloud: 3, gh: 3, git: 2, 'git config': 3, 'git remote': 3, 'git stash': 3, go: 2, gradle: 2, helm: 2, heroku: 2, hugo: 2, ip: 2,
  'ip addr': 3, 'ip link': 3, 'ip netns': 3, 'ip route': 3, kind: 2, 'kind create': 3, kubectl: 2, 'kubectl kustomize': 3, 'kubectl rollout': 3,
  kustomize: 2, make: 2, mc: 2, 'mc admin': 3, minikube: 2, mongosh: 2, mysql: 2, mvn: 2, ng: 2, npm: 2, 'npm exec': 3, 'npm init': 3,
  'npm run': 3, 'npm view': 3, nvm: 2, nx: 2, openssl: 2, 'openssl req': 3, 'openssl x509': 3, pip: 2, pipenv: 2, pnpm: 2, 'pnpm dlx': 3,
  'pnpm exec': 3, 'pnpm run': 3, poetry: 2, podman: 2, 'podman container': 3, 'podman image': 3, psql: 2, pulumi: 2, 'pulumi stack': 3,
  pyenv: 2, python: 2, rake: 2, rbenv: 2, 'redis-cli': 2, rustup: 2, serverless: 2, sfdx: 3, skaffold: 2, sls: 2, sst: 2, swift: 2,
  systemctl: 2, terraform: 2, 'terraform workspace': 3, tmux: 2, turbo: 2, ufw: 2, vault: 2, 'vault auth': 3, 'vault kv': 3, vercel: 2,
  volta: 2, wp: 2, yarn: 2, 'yarn dlx': 3, 'yarn run': 3,
}

/** Commands that only change directory: no `bash` pattern of their own, but their target may be outside the project. */
const DIRECTORY_CHANGERS = new Set(['cd', 'chdir', 'popd', 'pushd', 'push-location', 'set-location'])
/** Commands whose path arguments OpenCode checks against the project (`external_directory`). */
const PATH_COMMANDS = new Set([
  ...DIRECTORY_CHANGERS,
  'rm', 'cp', 'mv', 'mkdir', 'touch', 'chmod', 'chown', 'cat',
  'get-content', 'set-content', 'add-content', 'copy-item', 'move-item', 'remove-item', 'new-item', 'rename-item',
])
/** Node types OpenCode counts as a command's words. */
const WORD_TYPES = new Set(['command_name', 'command_name_expr', 'word', 'string', 'raw_string', 'concatenation'])

interface Token {
  type: string
  text: string
}

function permissionPrefix(words: readonly string[]): string[] {
  for (let length = words.length; length > 0; length--) {
    const arity = ARITY[words.slice(0, length).join(' ')]
    if (arity !== undefined) return words.slice(0, arity)
  }
  return words.slice(0, 1)
}

function commandTokens(command: SyntaxNode): Token[] {
  const tokens: Token[] = []
  for (const child of command.children) {
    if (child && WORD_TYPES.has(child.type)) tokens.push({ type: child.type, text: child.text })
  }
  return tokens
}

/** A word without its enclosing quotes. */
export function stripQuotes(text: string): string {
  if (text.length < 2) return text
  const first = text[0]
  return (first === '"' || first === "'") && first === text[text.length - 1] ? text.slice(1, -1) : text
}

/** Lexical containment, as OpenCode's `Filesystem.contains`. */
export function contains(parent: string, child: string): boolean {
  const path = relative(resolve(parent), resolve(child))
  return path === '' || (!path.startsWith('..') && !isAbsolute(path))
}

function insideProject(path: string, context: ShellPermissionContext): boolean {
  if (contains(context.directory, path)) return true
  return context.worktree !== '/' && contains(context.worktree, path)
}

function hasFileRedirect(node: SyntaxNode): boolean {
  for (const redirect of node.descendantsOfType('file_redirect')) {
    if (!redirect) continue
    const operator = redirect.children.find((child) => child !== null && /^(>|>>|&>|&>>|>\||<>)$/.test(child.type))
    if (!operator) continue
    const destination = redirect.childForFieldName('destination')?.text ?? ''
    if (destination === '/dev/null' || /^&?\d+-?$/.test(destination) || destination === '-') continue
    return true
  }
  return false
}

let languageLoad: Promise<{ Parser: typeof Parser; language: Language }> | undefined

/** web-tree-sitter keeps one wasm runtime per process anyway; the grammar is loaded once and shared read-only. */
export async function loadBash(): Promise<{ Parser: typeof Parser; language: Language }> {
  languageLoad ??= (async () => {
    const require = createRequire(import.meta.url)
    const treeSitter = await import('web-tree-sitter')
    await treeSitter.Parser.init({ locateFile: () => require.resolve('web-tree-sitter/tree-sitter.wasm') })
    const language = await treeSitter.Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'))
    return { Parser: treeSitter.Parser, language }
  })()
  languageLoad.catch(() => {
    languageLoad = undefined
  })
  return languageLoad
}

/** Creates the analyzer; the grammar loads on first use. */
export function createShellPermissionAnalyzer(options: CreateShellPermissionAnalyzerOptions = {}): ShellPermissionAnalyzer {
  const isDirectory =
    options.isDirectory ??
    (async (path: string) => {
      try {
        return (await stat(path)).isDirectory()
      } catch {
        return false
      }
    })
  const home = options.homeDirectory ?? homedir

  /** A path argument as OpenCode resolves it, or undefined when it cannot be known before running (globs first, variables, substitutions). */
  const argumentPath = (argument: string, cwd: string): string | undefined => {
    let text = stripQuotes(argument)
    if (text === '~') text = home()
    else if (text.startsWith('~/')) text = join(home(), text.slice(2))
    const glob = /[?*[]/.exec(text)
    if (glob) {
      if (glob.index === 0) return undefined
      text = text.slice(0, glob.index)
    }
    if (text === '' || text.startsWith('(') || text.startsWith('@(') || text.includes('$') || text.includes('`')) return undefined
    return resolve(cwd, text)
  }

  return {
    async analyze(command, context) {
      const { Parser: ParserClass, language } = await loadBash()
      const parser = new ParserClass()
      parser.setLanguage(language)
      const tree = parser.parse(command)
      try {
        if (!tree || tree.rootNode.hasError) {
          throw new OrchestratorError({
            code: 'invalid-argument',
            message: `command: the bash grammar cannot parse ${truncateForMessage(JSON.stringify(command))}, so its permissions cannot be checked and it was not run. Fix the quoting or brackets, or split it into simpler commands.`,
          })
        }
        const directories = new Set<string>()
        const patterns = new Set<string>()
        const always = new Set<string>()
        const commands: string[][] = []
        for (const node of tree.rootNode.descendantsOfType('command')) {
          if (!node) continue
          const tokens = commandTokens(node)
          const words = tokens.map((token) => token.text)
          const name = words[0]
          if (name !== undefined) commands.push(words)
          if (name !== undefined && PATH_COMMANDS.has(name)) {
            for (const token of tokens.slice(1)) {
              if (token.text.startsWith('-') || (name === 'chmod' && token.text.startsWith('+'))) continue
              const path = argumentPath(token.text, context.cwd)
              if (path === undefined || insideProject(path, context)) continue
              directories.add((await isDirectory(path)) ? path : dirname(path))
            }
          }
          if (words.length > 0 && (name === undefined || !DIRECTORY_CHANGERS.has(name))) {
            const parent = node.parent
            patterns.add((parent?.type === 'redirected_statement' ? parent.text : node.text).trim())
            always.add(`${permissionPrefix(words).join(' ')} *`)
          }
        }
        if (!insideProject(context.cwd, context)) directories.add(context.cwd)
        return {
          externalDirectories: [...directories],
          patterns: [...patterns],
          always: [...always],
          redirectsToFile: hasFileRedirect(tree.rootNode),
          commands,
        }
      } finally {
        tree?.delete()
        parser.delete()
      }
    },
  }
}
