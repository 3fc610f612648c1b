import { describe, expect, it } from 'vitest'
import { SHELL_RIGHTS, shellWriteRefusal } from './shell-rights'

const line = (text: string, redirectsToFile = false) => ({ commands: text.split(' | ').map((command) => command.split(' ')), redirectsToFile })

describe('shellWriteRefusal', () => {
  it('states each role: Reviewer and Commander read-only, Planner none, Worker full', () => {
    expect(SHELL_RIGHTS).toEqual({ commander: 'read-only', planner: 'none', worker: 'full', reviewer: 'read-only' })
  })

  it.each([
    ['touch x'],
    ['rm -rf src'],
    ['cp a b'],
    ['sed -i s/a/b/ f.ts'],
    ['git commit -m x'],
    ['git checkout -- src'],
    ['npm add left-pad'],
    ['sh -c echo'],
    ['python3 -c open'],
    ['node -e 1'],
    ['echo ok | tee out.txt'],
    ['xargs rm'],
  ])('refuses %s for the Reviewer and the Commander, not for a Worker', (text) => {
    expect(shellWriteRefusal('reviewer', line(text))).toMatch(/^Refused: the Reviewer must not change the code it judges, and this command line writes/)
    expect(shellWriteRefusal('commander', line(text))).toMatch(/^Refused: the Commander never edits code/)
    expect(shellWriteRefusal('worker', line(text))).toBeUndefined()
  })

  it('refuses output redirection into a file', () => {
    expect(shellWriteRefusal('reviewer', line('echo x', true))).toContain('it redirects output into a file')
  })

  it.each([['pnpm test'], ['npm run build'], ['git diff'], ['git status'], ['cat src/a.ts'], ['tsc --noEmit'], ['node --test'], ['sed -n 1,5p f']])('lets %s run', (text) => {
    expect(shellWriteRefusal('reviewer', line(text))).toBeUndefined()
    expect(shellWriteRefusal('commander', line(text))).toBeUndefined()
  })

  it('refuses every shell line for the Planner', () => {
    expect(shellWriteRefusal('planner', line('ls'))).toBe('The Planner runs no shell commands.')
  })
})
