/**
 * Shell lines on which `orchestrator_bg_run` must decide exactly as OpenCode's own
 * `bash` tool decides, for the same agent and the same permission config
 * (`SHELL_PARITY_PERMISSION`). `expected` is what OpenCode 1.18.33 decided on a real
 * server; the e2e test (`shell-permission-parity.e2e.test.ts`) checks both tools
 * against it and against each other, including the exact questions asked.
 *
 * Lines run for real when allowed (in a temp project): keep allowed lines harmless.
 */
export interface ShellCorpusLine {
  line: string
  /** Working directory, relative to the project (`bash`'s `workdir`, `orchestrator_bg_run`'s `cwd`). */
  cwd?: string
  expected: 'allow' | 'ask' | 'deny'
}

/** The permission config both tools run under. */
export const SHELL_PARITY_PERMISSION = {
  bash: {
    '*': 'ask',
    'echo *': 'allow',
    'ls *': 'allow',
    'cat *': 'allow',
    'pwd *': 'allow',
    'wc *': 'allow',
    'grep *': 'allow',
    'head *': 'allow',
    'git status *': 'allow',
    'git log *': 'allow',
    'rm *': 'deny',
    'touch *': 'deny',
    'mv *': 'deny',
    'chmod *': 'deny',
    'curl *': 'deny',
    'sudo *': 'deny',
    'git push *': 'deny',
  },
  external_directory: { '*': 'ask', '/usr/share/*': 'allow', '/etc/*': 'deny' },
} as const

export const SHELL_CORPUS: readonly ShellCorpusLine[] = [
  // allow
  { line: 'echo ok', expected: 'allow' },
  { line: 'ls -la', expected: 'allow' },
  { line: 'echo a && echo b', expected: 'allow' },
  { line: 'echo a | cat', expected: 'allow' },
  { line: 'ls | grep md', expected: 'allow' },
  { line: 'git status', expected: 'allow' },
  { line: 'git status --short | head -5', expected: 'allow' },
  { line: 'echo "hello; rm -rf /"', expected: 'allow' },
  { line: "echo 'a && touch b'", expected: 'allow' },
  { line: 'cat README.md', expected: 'allow' },
  { line: 'echo $(echo nested)', expected: 'allow' },
  { line: 'echo `echo tick`', expected: 'allow' },
  { line: '(echo sub)', expected: 'allow' },
  { line: '{ echo group; }', expected: 'allow' },
  { line: 'echo hi > /dev/null', expected: 'allow' },
  { line: 'echo hi > out.txt', expected: 'allow' },
  { line: 'cd src && ls', expected: 'allow' },
  { line: 'ls /usr/share', expected: 'allow' },
  { line: 'cat /usr/share/dict/words', expected: 'allow' },
  { line: 'pwd', expected: 'allow' },
  { line: 'echo a; echo b; echo c', expected: 'allow' },
  { line: 'echo ok || echo fallback', expected: 'allow' },
  { line: 'for f in a b; do echo $f; done', expected: 'allow' },
  { line: 'echo "$HOME"', expected: 'allow' },
  { line: 'ls *.md', expected: 'allow' },
  { line: 'wc -l < README.md', expected: 'allow' },
  { line: '(cd /usr/share && ls)', expected: 'allow' },
  { line: 'ls /etc', expected: 'allow' },
  { line: 'ls', cwd: 'src', expected: 'allow' },
  { line: 'git log --oneline -1 2>&1', expected: 'allow' },
  // ask
  { line: 'npm test', expected: 'ask' },
  { line: 'node -e "console.log(1)"', expected: 'ask' },
  { line: 'echo ok; npm install', expected: 'ask' },
  { line: 'echo $(node -v)', expected: 'ask' },
  { line: 'ls && python3 --version', expected: 'ask' },
  { line: 'true', expected: 'ask' },
  { line: 'cd .. && ls', expected: 'ask' },
  { line: 'ls', cwd: '..', expected: 'ask' },
  { line: 'cat ../outside.txt', expected: 'ask' },
  { line: 'cat ~/notes.txt', expected: 'ask' },
  { line: 'make build', expected: 'ask' },
  { line: 'git commit -m "x"', expected: 'ask' },
  { line: 'echo ok | tee log.txt', expected: 'ask' },
  { line: 'x=$(date)', expected: 'ask' },
  { line: 'if true; then echo y; fi', expected: 'ask' },
  { line: 'while false; do echo n; done', expected: 'ask' },
  { line: 'echo "$(whoami)"', expected: 'ask' },
  { line: 'cp README.md /var/tmp/parity-copy', expected: 'ask' },
  { line: 'ls | xargs wc', expected: 'ask' },
  // An assignment in front is part of the pattern, so "echo *" / "rm *" no longer match: OpenCode asks.
  { line: 'FOO=1 echo env', expected: 'ask' },
  { line: 'FOO=bar rm -f z', expected: 'ask' },
  { line: 'cat <<EOF\nhello\nEOF', expected: 'allow' },
  // deny
  { line: 'rm -rf build', expected: 'deny' },
  { line: 'echo ok; touch x', expected: 'deny' },
  { line: 'echo $(touch x)', expected: 'deny' },
  { line: 'echo `rm x`', expected: 'deny' },
  { line: 'curl http://127.0.0.1:1', expected: 'deny' },
  { line: 'sudo ls', expected: 'deny' },
  { line: 'git push origin main', expected: 'deny' },
  { line: '(touch y)', expected: 'deny' },
  { line: 'echo ok && chmod +x run.sh', expected: 'deny' },
  { line: 'cat /etc/passwd', expected: 'deny' },
  { line: 'touch /etc/parity', expected: 'deny' },
  { line: 'ls', cwd: '/etc', expected: 'deny' },
  { line: 'true && mv a b', expected: 'deny' },
  { line: 'echo hi > x && rm x', expected: 'deny' },
  { line: 'echo ok | sudo tee /dev/null', expected: 'deny' },
]

/** Lines the bash grammar cannot parse: `orchestrator_bg_run` refuses them and runs nothing (OpenCode's bash would hand them to the shell). */
export const UNPARSEABLE_LINES: readonly string[] = ['echo "unterminated', 'if then fi', 'echo $(', 'ls )']
