/*
 * `changeset status` in every checkout: it compares with the base branch
 * ("main" in .changeset/config.json) to find changed packages without a
 * changeset, and fails outright when that branch does not exist locally — as
 * in a clone of another branch, or a CI checkout. Then the remote's copy is
 * used, and without one the changesets are still parsed and planned (a mixed
 * or invalid changeset fails) against HEAD.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const { baseBranch } = JSON.parse(readFileSync('.changeset/config.json', 'utf8')) as { baseBranch: string }
const exists = (ref: string) => spawnSync('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], { stdio: 'ignore' }).status === 0
const remote = `origin/${baseBranch}`
const since = exists(baseBranch) ? undefined : exists(remote) ? remote : 'HEAD'
if (since === 'HEAD') console.log(`release:check: no "${baseBranch}" branch here; checking the changesets themselves, not which packages changed since ${baseBranch}`)
const result = spawnSync('changeset', ['status', ...(since === undefined ? [] : [`--since=${since}`])], { stdio: 'inherit', shell: process.platform === 'win32' })
process.exit(result.status ?? 1)
