import type { Clock } from '@opencode-orchestrator/core'
import { loadConfig } from '@opencode-orchestrator/opencode'
import type { StatusCommand } from './cli-arguments'
import { EXIT_CODES } from './exit-codes'
import { missionsDirectory } from './mission-files'
import { projectDirectory } from './project-directory'
import { listMissionJournals } from './mission-journals'
import { renderMissionList, summarizeMission } from './mission-list'
import type { Palette } from './progress-view'
import type { OutputStream } from './run-reporter'

export interface StatusCommandOptions {
  command: StatusCommand
  env: Record<string, string | undefined>
  cwd: string
  clock: Clock
  stdout: OutputStream
  stderr: OutputStream
  colors: Palette
}

/**
 * `orchestrator status`: the project's missions from their journals, newest
 * first. Unreadable journals are named on stderr and make the exit code 65;
 * the readable ones are still listed.
 */
export async function statusCommand({ command, env, cwd, clock, stdout, stderr, colors }: StatusCommandOptions): Promise<number> {
  const directory = await projectDirectory(cwd, command.directory)
  const { config } = await loadConfig({ directory, env })
  const missions = missionsDirectory(directory, config.missionDirectory)
  const { missions: records, problems } = await listMissionJournals(missions)
  const now = clock.now()
  const summaries = records.map((record) => summarizeMission(record, now))
  if (command.json) {
    for (const summary of summaries) stdout.write(`${JSON.stringify({ type: 'mission', ...summary })}\n`)
    for (const problem of problems) stdout.write(`${JSON.stringify({ type: 'problem', file: problem.file, code: problem.error.code, message: problem.error.message })}\n`)
  } else {
    const text = renderMissionList({ summaries, problems: [], missions, colors })
    stdout.write(`${text}\n`)
    for (const problem of problems) stderr.write(`${colors.red('error:')} ${problem.error.message}\n`)
  }
  return problems.length > 0 ? EXIT_CODES.dataError : EXIT_CODES.ok
}
