import { describe, expect, it } from 'vitest'
import { createShellConfinement } from './shell-confinement'

/*
 * A Worker's shell line in its worktree: refused when it writes or changes directory outside it
 * (docs/decisions/089). The corpus pairs lines with the path the refusal must name, or `null`
 * for a line that stays inside. OpenCode's own external_directory rule let the redirections,
 * `../` redirects and `$HOME` paths through on 1.18.33 (docs/opencode-worktree-facts.md).
 */

const boundary = '/repo/.git/orchestrator/worktrees/m1/w1'
const main = '/repo'
const confinement = createShellConfinement({ homeDirectory: () => '/home/me' })
const check = (command: string, cwd = boundary) => confinement.check(command, { cwd, boundary })

/** [line, a fragment the refusal must contain, or null when the line may run]. */
const CORPUS: Array<[string, string | null]> = [
  // Inside: runs.
  ['touch a.txt && echo ok > out.log', null],
  ['npm test 2>&1 | tee test.log', null],
  ['cd src && echo x > b.ts', null],
  ['cd src && ls', null],
  ['echo x > /dev/null 2>&1', null],
  ['cat /etc/hosts', null],
  ['grep -r foo /repo/src', null],
  [`cp ${main}/README.md docs/readme-copy.md`, null],
  ['sed -i s/a/b/ src/a.ts', null],
  ['git add -A && git commit -m "work"', null],
  ['mkdir -p build/out && cp -r src build/out', null],
  ["bash -c 'echo x > inside.txt'", null],
  ['rm -rf node_modules/.cache/*', null],
  [`echo x > ${boundary}/abs-inside.txt`, null],
  ['ls $HOME', null],
  // Redirections out of the worktree.
  [`echo x > ${main}/f`, `the redirection writes to ${main}/f`],
  ['echo y >> ../../../../../f', `the redirection writes to ${main}/f`],
  ['echo z > "$HOME/f"', 'cannot be resolved before running'],
  ['echo z > ~/f', 'the redirection writes to /home/me/f'],
  ['echo z > `pwd`/../x', 'cannot be resolved before running'],
  [`ls &> ${main}/all.log`, `${main}/all.log`],
  // Directory changes out of it.
  ['cd .. && touch x', `\`cd\` changes to ${boundary.replace(/\/w1$/, '')}`],
  ['cd ../../../../.. && touch escaped.txt', `\`cd\` changes to ${main}`],
  [`cd ${main}`, `\`cd\` changes to ${main}`],
  ['cd', '`cd` without a directory'],
  ['cd $OLDPWD && rm x', 'cannot be resolved before running'],
  ['pushd /tmp', '`pushd` changes to /tmp'],
  // Conservative: each `cd` and relative path is checked from every directory the line may be in.
  ['cd src; cd ..; ls', `\`cd\` changes to ${boundary.replace(/\/w1$/, '')}`],
  // Writing commands with outside paths.
  [`touch ${main}/touch.txt`, `\`touch\` writes to ${main}/touch.txt`],
  [`rm -f ${main}/README.md`, `\`rm\` writes to ${main}/README.md`],
  ['rm -rf ../w2/src', '`rm` writes to /repo/.git/orchestrator/worktrees/m1/w2/src'],
  [`cp src/a.ts ${main}/src/a.ts`, `\`cp\` writes to ${main}/src/a.ts`],
  [`mv src/a.ts ${main}/a.ts`, `\`mv\` writes to ${main}/a.ts`],
  [`echo x | tee ${main}/t.txt`, `\`tee\` writes to ${main}/t.txt`],
  [`sed -i s/a/b/ ${main}/src/a.ts`, `\`sed\` writes to ${main}/src/a.ts`],
  [`dd if=/dev/zero of=${main}/zero bs=1 count=1`, `\`dd\` writes to ${main}/zero`],
  [`git -C ${main} checkout -- .`, `\`git\` writes to ${main}`],
  [`curl -o ${main}/x https://example.invalid`, `\`curl\` writes to ${main}/x`],
  [`chmod +x ${main}/run.sh`, `\`chmod\` writes to ${main}/run.sh`],
  ['rm -rf $TARGET', 'cannot be resolved before running'],
  ['touch "$(git rev-parse --show-toplevel)/../x"', 'cannot be resolved before running'],
  // Inline code.
  [`sh -c "echo x > ${main}/f"`, `the redirection writes to ${main}/f`],
  [`bash -lc 'cd .. && rm -rf w2'`, '`cd` changes to'],
  [`eval "touch ${main}/e"`, `\`touch\` writes to ${main}/e`],
  [`python3 -c "open('${main}/p.txt','w').write('x')"`, `\`python3\` inline code names ${main}/p.txt`],
  [`node -e "require('fs').writeFileSync('../../../../../n.txt','x')"`, `\`node\` inline code names ${main}/n.txt`],
  // Not parseable: never run.
  ['echo "unterminated', 'cannot parse'],
]

describe('shell confinement of a Worker in its worktree', () => {
  it.each(CORPUS)('%s', async (command, expected) => {
    const refusal = await check(command)
    if (expected === null) expect(refusal).toBeUndefined()
    else {
      expect(refusal).toContain(expected)
      expect(refusal).toContain(boundary)
    }
  })

  it('checks relative paths from every directory the line may be in (a failed or subshell `cd` leaves it unknown)', async () => {
    expect(await check('cd src && echo x > b.txt')).toBeUndefined()
    expect(await check('cd src && echo x > ../b.txt')).toContain(`the redirection writes to /repo/.git/orchestrator/worktrees/m1/b.txt`)
    expect(await check('echo x > ../b.txt', `${boundary}/src`)).toBeUndefined()
  })

  it('a refusal names the path and the worktree, and says what to do', async () => {
    expect(await check(`echo x > ${main}/f`)).toBe(
      `Refused: the redirection writes to ${main}/f, outside this task's worktree ${boundary}. Workers write only inside their own worktree (it is merged back when the task ends); use a path inside it.`,
    )
  })
})

describe('links inside the worktree that point out of it (a hostile repository or Worker)', () => {
  it('refuses writes that land outside through a link, a dangling link included; writes through an inside link run', async () => {
    const { mkdtempSync, mkdirSync, rmSync, symlinkSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const { join } = await import('node:path')
    const base = mkdtempSync(join(tmpdir(), 'confinement-links-'))
    try {
      const outside = join(base, 'main')
      const worktree = join(base, 'wt')
      mkdirSync(outside)
      mkdirSync(join(worktree, 'src'), { recursive: true })
      symlinkSync(outside, join(worktree, 'out'))
      symlinkSync(join(outside, 'new.txt'), join(worktree, 'dangling'))
      symlinkSync(join(worktree, 'src'), join(worktree, 'src-link'))
      const linked = (command: string) => confinement.check(command, { cwd: worktree, boundary: worktree })
      expect(await linked('echo x > out/f')).toContain(`the redirection writes to ${join(worktree, 'out/f')}`)
      expect(await linked('echo x > dangling')).toContain('the redirection writes to')
      expect(await linked('touch out/t')).toContain('`touch` writes to')
      expect(await linked('cd out && echo x > f')).toContain('`cd` changes to')
      expect(await linked('echo x > src-link/f && touch src/g')).toBeUndefined()
    } finally {
      rmSync(base, { recursive: true, force: true })
    }
  })
})
