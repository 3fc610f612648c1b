import type { Clock, Logger } from '@opencode-orchestrator/core'
import { loadConfig } from '@opencode-orchestrator/opencode'
import type { ReportCommand } from './cli-arguments'
import { EXIT_CODES } from './exit-codes'
import { missionsDirectory } from './mission-files'
import { projectDirectory } from './project-directory'
import { writeMissionReport } from './mission-report'
import type { OutputStream } from './run-reporter'

export interface ReportCommandOptions {
  command: ReportCommand
  env: Record<string, string | undefined>
  cwd: string
  clock: Clock
  logger: Logger
  stdout: OutputStream
}

/** `orchestrator report <id>`: writes `missions/<id>/report.html` and prints its path. */
export async function reportCommand({ command, env, cwd, clock, logger, stdout }: ReportCommandOptions): Promise<number> {
  const directory = await projectDirectory(cwd, command.directory)
  const { config } = await loadConfig({ directory, env })
  const written = await writeMissionReport({ missions: missionsDirectory(directory, config.missionDirectory), missionId: command.missionId, now: clock.now(), logger })
  if (command.json) {
    stdout.write(`${JSON.stringify({ type: 'report', missionId: command.missionId, state: written.mission.state, path: written.path, source: written.source })}\n`)
  } else {
    stdout.write(`${written.path}\n`)
  }
  return EXIT_CODES.ok
}
