import { describe, expect, it } from 'vitest'
import { parseFleetMissionSpec, parseMissionsJsonl } from './fleet-mission'

const spec = (repo: string, ref = 'main') => ({ repo, ref, goal: 'Add a slugify module' })

describe('fleet mission specs', () => {
  it('accepts URLs, scp-like addresses and absolute paths; defaults the ref to main', () => {
    for (const repo of ['https://example.com/acme/app.git', 'ssh://git@example.com/acme/app.git', 'git@example.com:acme/app.git', 'file:///srv/app.git', '/srv/app.git']) {
      expect(parseFleetMissionSpec(spec(repo)).repo).toBe(repo)
    }
    expect(parseFleetMissionSpec({ repo: '/srv/app.git', goal: 'x' }).ref).toBe('main')
  })

  it.each([
    ['--upload-pack=touch /tmp/pwned', /starts with "-"/],
    ['ext::sh -c touch% /tmp/pwned', /whitespace|remote helper/],
    ['ext::ssh', /remote helper/],
    ['https://user:token@example.com/app.git', /credentials/],
    ['relative/path', /absolute path/],
    ['ftp://example.com/app.git', /scheme "ftp"/],
  ])('refuses the repo %s', (repo, message) => {
    expect(() => parseFleetMissionSpec(spec(repo))).toThrow(message)
  })

  it.each([['-c'], ['--output=/etc/passwd'], ['main..dev'], ['a b'], ['refs/heads/x.lock'], ['.hidden'], ['x@{1}']])('refuses the ref %s', (ref) => {
    expect(() => parseFleetMissionSpec(spec('/srv/app.git', ref))).toThrow(/ref .* is refused/)
  })

  it('names the file and line of a bad JSONL mission, and submits nothing', () => {
    const text = ['{"repo": "/srv/a.git", "goal": "one"}', '', '# comment', '{"repo": "-x", "goal": "two"}'].join('\n')
    expect(() => parseMissionsJsonl(text, 'missions.jsonl')).toThrow(/^missions.jsonl:4: repo "-x" is refused/)
    expect(() => parseMissionsJsonl('{"repo": "/a", "goal": "x", "secret": 1}', 'm.jsonl')).toThrow(/m.jsonl:1/)
    expect(parseMissionsJsonl('{"goal": "one"}\n{"goal": "two", "ref": "dev"}', 'm.jsonl', { repo: '/srv/a.git', ref: 'main' }).map((item) => item.ref)).toEqual(['main', 'dev'])
  })
})
