import { describe, expect, it } from 'vitest'
import { createShellPermissionAnalyzer } from './shell-permission'

/*
 * The questions OpenCode 1.18.33's bash tool asks for a line, derived the same way.
 * The real-server comparison is apps/opencode-plugin/src/shell-parity/; these pin the details.
 */

const analyzer = createShellPermissionAnalyzer({ isDirectory: async (path) => ['/work', '/home/me', '/etc', '/tmp', '/srv'].includes(path), homeDirectory: () => '/home/me' })
const project = { cwd: '/work/project', directory: '/work/project', worktree: '/work/project' }

describe('shell permission analysis', () => {
  it('asks for every command of a chain, substitution and subshell, not the line as one pattern', async () => {
    const request = await analyzer.analyze('echo ok; touch x && (ls | grep a) || echo $(rm -rf b) `whoami`', project)
    expect(request.patterns).toEqual(['echo ok', 'touch x', 'ls', 'grep a', 'echo $(rm -rf b) `whoami`', 'rm -rf b', 'whoami'])
    expect(request.always).toEqual(['echo *', 'touch *', 'ls *', 'grep *', 'rm *', 'whoami *'])
    expect(request.externalDirectories).toEqual([])
  })

  it('keeps redirections in the pattern and uses the arity table for the always pattern', async () => {
    const request = await analyzer.analyze('git status --short > out.txt; npm run build', project)
    expect(request.patterns).toEqual(['git status --short > out.txt', 'npm run build'])
    expect(request.always).toEqual(['git status *', 'npm run build *'])
    expect(request.redirectsToFile).toBe(true)
    expect((await analyzer.analyze('echo x > /dev/null 2>&1', project)).redirectsToFile).toBe(false)
  })

  it('asks external_directory for path arguments of file commands outside the project and for a working directory outside it', async () => {
    expect((await analyzer.analyze('cd .. && cat ~/notes.txt /etc/passwd src/a.ts', project)).externalDirectories).toEqual(['/work', '/home/me', '/etc'])
    const cdOnly = await analyzer.analyze('cd /tmp', project)
    expect(cdOnly).toMatchObject({ patterns: [], externalDirectories: ['/tmp'] })
    expect((await analyzer.analyze('ls', { ...project, cwd: '/srv' })).externalDirectories).toEqual(['/srv'])
    // Variables, substitutions and leading globs cannot be resolved before running: OpenCode skips them too.
    expect((await analyzer.analyze('rm $HOME/x *.log "$(pwd)"/y', project)).externalDirectories).toEqual([])
  })

  it('refuses a line the bash grammar cannot parse', async () => {
    await expect(analyzer.analyze('echo "unterminated', project)).rejects.toThrow(/the bash grammar cannot parse .* it was not run/)
    const huge = `echo "${'a'.repeat(100_000)}`
    const error = await analyzer.analyze(huge, project).catch((caught: unknown) => caught as Error)
    expect((error as Error).message.length).toBeLessThan(400)
  })
})
