/**
 * OpenCode's own slash commands in the version we support (1.18.33), names and
 * aliases. A plugin command with one of these names is listed second in the
 * TUI's autocomplete and Enter picks OpenCode's, so ours must differ.
 *
 * Where it came from: the shipped binary
 * (`opencode-linux-x64@1.18.33/bin/opencode`, read with `strings`):
 * - TUI palette commands: every `slashName:"…"` / `slashAliases:[…]` and
 *   `slash:{name:"…",aliases:[…]}` in the bundled TUI;
 * - server commands: `INIT:"init"`, `REVIEW:"review"` in the Command service
 *   (listed by `GET /command` on every server).
 * Re-extract when the supported version changes.
 */
export const OPENCODE_BUILTIN_COMMANDS = {
  version: '1.18.33',
  tui: [
    'agents',
    'compact',
    'connect',
    'copy',
    'debug',
    'diff',
    'editor',
    'exit',
    'export',
    'fork',
    'help',
    'mcps',
    'models',
    'move',
    'new',
    'org',
    'redo',
    'rename',
    'sessions',
    'share',
    'skills',
    'slash',
    'status',
    'themes',
    'thinking',
    'timeline',
    'timestamps',
    'undo',
    'unshare',
    'variants',
    'warp',
    'workspaces',
  ],
  tuiAliases: ['clear', 'continue', 'mo', 'orgs', 'q', 'quit', 'resume', 'summarize', 'switch-org', 'toggle-thinking', 'toggle-timestamps'],
  server: ['init', 'review'],
} as const

/** Every name (command or alias) OpenCode 1.18.33 answers to itself. */
export const OPENCODE_BUILTIN_COMMAND_NAMES: ReadonlySet<string> = new Set([
  ...OPENCODE_BUILTIN_COMMANDS.tui,
  ...OPENCODE_BUILTIN_COMMANDS.tuiAliases,
  ...OPENCODE_BUILTIN_COMMANDS.server,
])
