import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEMO_FILES } from './demo/demo-team'
import { startCli } from './test-support/cli-process'

/*
 * `pnpm demo` end to end: the built CLI, a real OpenCode server, the plugin
 * bundle and the built-in scripted model — no API key, no network.
 */

const cleanup: string[] = []
afterAll(() => {
  for (const path of cleanup) rmSync(path, { recursive: true, force: true })
})

describe('orchestrator run --demo', () => {
  it('plans, writes two files in parallel, runs the tests in the background, verifies, seals and exits 0', async () => {
    const env = Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
    const cli = startCli(['run', '--demo'], { env: { ...env, NO_COLOR: '1' }, cwd: process.cwd() })
    const exitCode = await cli.exited
    const stdout = cli.stdout()
    const project = /Project: (\S+)/.exec(stdout)?.[1]
    if (project !== undefined) cleanup.push(dirname(project))
    expect(exitCode, `stdout:\n${stdout}\nstderr:\n${cli.stderr()}`).toBe(0)
    expect(stdout).toContain('✔ Mission sealed in')
    expect(stdout).toContain('3/3 todos verified')

    // Both workers started before either finished: they ran in parallel.
    const activity = stdout.split('\n')
    const started = (title: string) => activity.findIndex((line) => line.startsWith('▶ worker') && line.includes(title))
    const ended = (title: string) => activity.findIndex((line) => line.startsWith('✔ worker') && line.includes(title))
    expect(Math.max(started('t1:'), started('t2:'))).toBeLessThan(Math.min(ended('t1:'), ended('t2:')))
    expect(activity.some((line) => line.startsWith('✔ reviewer'))).toBe(true)

    // Real files, written by OpenCode's write tool, whose tests pass.
    expect(project).toBeDefined()
    expect(existsSync(join(project!, DEMO_FILES.module))).toBe(true)
    expect(existsSync(join(project!, DEMO_FILES.tests))).toBe(true)
    const testRun = execFileSync(process.execPath, ['--test', DEMO_FILES.tests], { cwd: project!, encoding: 'utf8' })
    expect(testRun).toMatch(/(#|ℹ) pass 5/)

    // The journal is sealed with the Reviewer's evidence; the test output it read is in it.
    const journal = /Journal: (\S+)/.exec(stdout)?.[1]
    const record = JSON.parse(readFileSync(journal!, 'utf8')) as { state: string; todos: Array<{ id: string; status: string; evidence?: { summary: string } }> }
    expect(record.state).toBe('sealed')
    expect(record.todos.map((todo) => [todo.id, todo.status])).toEqual([
      ['t1', 'done'],
      ['t2', 'done'],
      ['t3', 'done'],
    ])
    expect(record.todos[0]!.evidence?.summary).toContain('5 passed, 0 failed')

    // The report exists and names the mission.
    const report = /Report: {2}(\S+)/.exec(stdout)?.[1]
    expect(report).toBeDefined()
    expect(readFileSync(report!, 'utf8')).toContain('slugify')
  })
})
