import { tmpdir } from 'node:os'
import { systemClock } from '@opencode-orchestrator/core'
import { main } from './main'

/*
 * The `orchestrator` executable: main() with the real process. Everything that
 * decides anything lives in main() and the modules it composes.
 */

const exitCode = await main({
  argv: process.argv.slice(2),
  env: process.env,
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  clock: systemClock,
  temporaryDirectory: tmpdir(),
  onInterrupt(handler) {
    // SIGTERM (CI cancelling a job) gets the same clean stop as Ctrl-C.
    process.on('SIGINT', handler)
    process.on('SIGTERM', handler)
    return () => {
      process.off('SIGINT', handler)
      process.off('SIGTERM', handler)
    }
  },
})

// Let stdout drain before exiting: a piped `--json` consumer must get every line.
process.stdout.write('', () => process.exit(exitCode))
