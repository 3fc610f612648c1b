/**
 * What a git worktree per Worker costs on the git side (`pnpm bench worktrees`), on a clone of this
 * repository and on a generated repository of 10,000 files:
 *
 * - provision, new worktree: `prepare` when the pool is empty (`git worktree add` + branch), ms per Worker;
 * - provision, pooled: `prepare` of a worktree a merged task gave back (`git checkout -B` at the new
 *   integration point) — what every Worker after the first wave pays (decision 086);
 * - settle: commit the Worker's one-file change and merge it into the integration branch (`--no-ff`);
 * - settle of six tasks ended at once (wall): commits in parallel, merges one at a time (decision 091);
 * - the integration tree brought up to the merged branch when a read-only role reads it;
 * - finish: remove the mission's worktrees, per worktree.
 *
 * OpenCode's own cost for a new folder (about a second from session create to the first model
 * call, decision 086) is measured on the real server by the plugin's fan-out bench, not here.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLogger } from '@opencode-orchestrator/core'
import { createGitTaskWorkspaces, createNodeGitRunner } from '../src/node'

type Report = (name: string, value: number, unit: string, target?: number) => void
type Raw = (name: string, value: unknown) => void

const WORKERS = 6
const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.invalid', ...args], { cwd, stdio: 'ignore' })

function cloneOfThisRepository(into: string): string {
  const source = fileURLToPath(new URL('../../..', import.meta.url))
  const target = join(into, 'this-repo')
  execFileSync('git', ['clone', '-q', '--shared', source, target], { stdio: 'ignore' })
  return target
}

function generatedRepository(into: string, files: number): string {
  const target = join(into, 'generated')
  mkdirSync(target)
  git(target, 'init', '-q', '-b', 'main')
  for (let index = 0; index < files; index++) {
    const folder = join(target, `dir${Math.floor(index / 100)}`)
    if (index % 100 === 0) mkdirSync(folder)
    writeFileSync(join(folder, `file${index}.ts`), `export const value${index} = ${index}\n`)
  }
  git(target, 'add', '-A')
  git(target, 'commit', '-q', '-m', 'generated')
  return target
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

async function measure(label: string, repository: string, report: Report, raw: Raw) {
  const workspaces = createGitTaskWorkspaces({ projectDirectory: repository, git: createNodeGitRunner(), logger: createLogger(() => {}) })
  const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
    const started = performance.now()
    const value = await work()
    return [value, performance.now() - started]
  }
  const fresh: number[] = []
  const settles: number[] = []
  const pooled: number[] = []
  const made = []
  for (let index = 0; index < WORKERS; index++) {
    const [workspace, ms] = await timed(() => workspaces.prepare({ missionId: 'bench', taskId: `t${index}`, agent: 'worker', title: `task ${index}` }))
    if (!workspace) throw new Error(`no worktree in ${repository}`)
    fresh.push(ms)
    made.push(workspace)
  }
  for (const [index, workspace] of made.entries()) {
    writeFileSync(join(workspace.path, `bench-${index}.txt`), `${index}\n`)
    const [settlement, ms] = await timed(() => workspaces.settle({ missionId: 'bench', taskId: `t${index}`, workspace, status: 'completed', title: `task ${index}` }))
    if (settlement.kind !== 'merged') throw new Error(`task ${index} was ${settlement.kind}`)
    settles.push(ms)
  }
  const second = []
  for (let index = 0; index < WORKERS; index++) {
    const [workspace, ms] = await timed(() => workspaces.prepare({ missionId: 'bench', taskId: `p${index}`, agent: 'worker', title: `pooled ${index}` }))
    if (!workspace) throw new Error('no pooled worktree')
    pooled.push(ms)
    second.push(workspace)
  }
  // A fan-out's Workers end together: settle the second wave all at once (decision 091).
  for (const [index, workspace] of second.entries()) writeFileSync(join(workspace.path, `bench-p${index}.txt`), `${index}\n`)
  const [together, togetherMs] = await timed(() =>
    Promise.all(second.map((workspace, index) => workspaces.settle({ missionId: 'bench', taskId: `p${index}`, workspace, status: 'completed', title: `pooled ${index}` }))),
  )
  if (together.some((settlement) => settlement.kind !== 'merged')) throw new Error(`a task of the second wave was not merged: ${together.map((settlement) => settlement.kind).join(', ')}`)
  const [, readMs] = await timed(() => workspaces.integration({ missionId: 'bench' }))
  const [, finishMs] = await timed(() => workspaces.finish({ missionId: 'bench', outcome: 'stopped', onSeal: 'branch' }))
  report(`${label}: provision, first Worker (with the integration tree)`, Math.round(fresh[0] ?? Number.NaN), 'ms')
  report(`${label}: provision, new worktree (median of the next ${WORKERS - 1})`, Math.round(median(fresh.slice(1))), 'ms')
  report(`${label}: provision, pooled worktree (median of ${WORKERS})`, Math.round(median(pooled)), 'ms')
  report(`${label}: settle, commit + merge (median of ${WORKERS})`, Math.round(median(settles)), 'ms')
  report(`${label}: settle, ${WORKERS} tasks ended at once (wall)`, Math.round(togetherMs), 'ms')
  report(`${label}: integration tree brought up for a reader`, Math.round(readMs), 'ms')
  report(`${label}: finish, per worktree removed`, Math.round(finishMs / (WORKERS + 1)), 'ms')
  raw(`${label}: rounds`, { fresh, pooled, settles, togetherMs, readMs, finishMs })
}

export default async function worktreesBench(report: Report, raw: Raw): Promise<void> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'worktrees-bench-')))
  try {
    await measure('this repository', cloneOfThisRepository(root), report, raw)
    await measure('10,000 files', generatedRepository(root, 10_000), report, raw)
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
}
