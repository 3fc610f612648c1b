import { OrchestratorError } from '@opencode-orchestrator/core'
import { z } from 'zod'

/**
 * What a fleet job carries: everything a worker needs to run one mission, and
 * nothing secret. Workers use their own provider credentials and environment;
 * a repository URL with a password or token in it is refused at submit.
 */
export interface FleetMissionSpec {
  /** Git URL (`https://`, `ssh://`, `git@host:path`, `file://`) or an absolute path on the workers' machines. */
  repo: string
  /** Branch, tag or commit to start from. Default `main`. */
  ref: string
  /** Mission text, as `/task` receives it. */
  goal: string
  /** Per-mission budget, passed to the mission's config (`budgets`). */
  budget?: { maxTokens?: number; maxCostUsd?: number; maxWallTimeMinutes?: number }
  /** Submit batch: the fleet-wide token ceiling of a batch counts every mission with the same batch id. */
  batch?: string
  /** Token ceiling for the whole batch (the first submit of a batch sets it). */
  batchMaxTokens?: number
}

/** What a finished mission leaves in its job's result. */
export interface FleetMissionResult {
  /** The fleet's mission id (the job id): the branch is `orchestrator/<missionId>`. */
  missionId: string
  /** The orchestrator's own mission id inside the run (journal id). */
  runMissionId: string | undefined
  state: string
  reason: string
  todos: { verified: number; total: number; failed: number }
  tokens: number
  costUsd: number
  /** Branch pushed to the job's remote, when the push succeeded. */
  branch: string | undefined
  /** The mission report inside the branch (path relative to the repository). */
  reportPath: string | undefined
  /** The worker that ran it (hostname:pid). */
  worker: string
  elapsedMs: number
}

/** Live progress of a running mission, from the runner's event lines. */
export interface FleetProgress {
  state: string
  todos: { verified: number; total: number; failed: number }
  workers: { running: number; queued: number }
  tokens: number
  elapsedMs: number
  worker: string
  /** Last notable event (task start/end, tool), for the dashboard. */
  last?: string
}

const MAX_GOAL = 20_000

/** Transports git may run programs through, and option-looking values: never from a job. */
function repositoryProblem(repo: string): string | undefined {
  if (repo.length === 0) return 'it is empty'
  if (repo.length > 2_000) return 'it is longer than 2000 characters'
  if (repo.startsWith('-')) return 'it starts with "-", which git would read as an option'
  if (/\s/.test(repo) || [...repo].some((character) => character.charCodeAt(0) < 0x20 || character.charCodeAt(0) === 0x7f)) return 'it contains whitespace or control characters'
  if (/^[a-z][a-z0-9+.-]*::/i.test(repo)) return 'it uses a "<transport>::" remote helper (e.g. ext::), which can run programs'
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(repo)?.[1]?.toLowerCase()
  if (scheme !== undefined) {
    if (!['https', 'http', 'ssh', 'git', 'file'].includes(scheme)) return `its scheme "${scheme}" is not one of https, http, ssh, git, file`
    let url: URL
    try {
      url = new URL(repo)
    } catch {
      return 'it is not a valid URL'
    }
    if (url.password.length > 0 || (scheme !== 'ssh' && url.username.length > 0)) return 'it carries credentials; jobs carry no secrets: give workers their own git credentials (credential helper, SSH key)'
    return undefined
  }
  if (/^[\w.-]+@[\w.-]+:[^/].*|^[\w.-]+@[\w.-]+:\/.*/.test(repo)) return undefined // scp-like ssh: git@host:owner/repo.git
  if (repo.startsWith('/')) return undefined
  return 'it is neither a URL (https://, ssh://, git://, file://), an scp-like address (git@host:path) nor an absolute path'
}

/** `git check-ref-format`'s rules, plus: no leading `-` (option injection). */
function refProblem(ref: string): string | undefined {
  if (ref.length === 0) return 'it is empty'
  if (ref.length > 250) return 'it is longer than 250 characters'
  if (ref.startsWith('-')) return 'it starts with "-", which git would read as an option'
  if (!/^[A-Za-z0-9._/-]+$/.test(ref)) return 'only letters, digits, ".", "_", "/" and "-" are allowed'
  if (ref.includes('..') || ref.includes('//') || ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock') || ref.split('/').some((part) => part.startsWith('.'))) {
    return 'it is not a valid git ref name (see `git check-ref-format`)'
  }
  return undefined
}

const specSchema = z
  .object({
    repo: z.string(),
    ref: z.string().default('main'),
    goal: z.string(),
    budget: z
      .object({
        maxTokens: z.number().int().positive().optional(),
        maxCostUsd: z.number().positive().optional(),
        maxWallTimeMinutes: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    batch: z.string().regex(/^[\w.-]{1,100}$/, 'letters, digits, ".", "_" and "-" only (at most 100)').optional(),
    batchMaxTokens: z.number().int().positive().optional(),
  })
  .strict()

/**
 * Validates one mission spec (from the command line, a JSONL line, or a job
 * read back from Redis). Throws `invalid-argument` naming the field, the value
 * and the fix; `where` says where the spec came from (e.g. `missions.jsonl:3`).
 */
export function parseFleetMissionSpec(input: unknown, where = 'mission'): FleetMissionSpec {
  const parsed = specSchema.safeParse(input)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue?.path.join('.') ?? ''
    throw new OrchestratorError({
      code: 'invalid-argument',
      message: `${where}: ${path.length > 0 ? `${path}: ` : ''}${issue?.message ?? 'invalid'}. A mission is {"repo": "<git url or absolute path>", "ref": "main", "goal": "<mission text>"} with optional "budget", "batch", "batchMaxTokens".`,
      details: { where, field: path },
    })
  }
  const spec = parsed.data
  const repoProblem = repositoryProblem(spec.repo)
  if (repoProblem !== undefined) {
    throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: repo ${JSON.stringify(spec.repo.slice(0, 200))} is refused: ${repoProblem}.`, details: { where, field: 'repo' } })
  }
  const badRef = refProblem(spec.ref)
  if (badRef !== undefined) {
    throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: ref ${JSON.stringify(spec.ref.slice(0, 200))} is refused: ${badRef}.`, details: { where, field: 'ref' } })
  }
  const goal = spec.goal.trim()
  if (goal.length === 0) throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: goal is empty; give the mission text.`, details: { where, field: 'goal' } })
  if (goal.length > MAX_GOAL) throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: goal has ${goal.length} characters; at most ${MAX_GOAL}.`, details: { where, field: 'goal' } })
  const result: FleetMissionSpec = { repo: spec.repo, ref: spec.ref, goal }
  if (spec.budget !== undefined) result.budget = Object.fromEntries(Object.entries(spec.budget).filter(([, value]) => value !== undefined)) as FleetMissionSpec['budget'] & object
  if (spec.batch !== undefined) result.batch = spec.batch
  if (spec.batchMaxTokens !== undefined) {
    if (spec.batch === undefined) throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: batchMaxTokens needs a batch id ("batch").`, details: { where, field: 'batchMaxTokens' } })
    result.batchMaxTokens = spec.batchMaxTokens
  }
  return result
}

/**
 * Parses `missions.jsonl`: one JSON mission per line, blank lines and lines
 * starting with `#` skipped. Every line is validated before anything is
 * submitted, so a bad line 17 submits nothing.
 */
export function parseMissionsJsonl(text: string, fileName: string, defaults: Partial<FleetMissionSpec> = {}): FleetMissionSpec[] {
  const specs: FleetMissionSpec[] = []
  text.split('\n').forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed.length === 0 || trimmed.startsWith('#')) return
    const where = `${fileName}:${index + 1}`
    let value: unknown
    try {
      value = JSON.parse(trimmed)
    } catch (error) {
      throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: not valid JSON (${error instanceof Error ? error.message : String(error)}). Each line is one mission object.`, details: { where } })
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new OrchestratorError({ code: 'invalid-argument', message: `${where}: expected a JSON object like {"repo": "…", "goal": "…"}.`, details: { where } })
    }
    specs.push(parseFleetMissionSpec({ ...defaults, ...value }, where))
  })
  if (specs.length === 0) throw new OrchestratorError({ code: 'invalid-argument', message: `${fileName}: no missions (one JSON object per line).`, details: { where: fileName } })
  return specs
}

/** The branch a mission's result is pushed to. */
export function missionBranch(missionId: string): string {
  return `orchestrator/${missionId}`
}

/** Fleet mission ids double as BullMQ job ids and branch names: keep them plain. */
export function isFleetMissionId(value: string): boolean {
  return /^fm-[a-z0-9-]{4,80}$/.test(value)
}
