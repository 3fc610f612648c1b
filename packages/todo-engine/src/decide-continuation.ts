import { OrchestratorError, type ContinuationDecision, type ContinuationInput, type ContinuationPolicy, type Todo, type TodoStatus } from '@opencode-orchestrator/core'
import { ready } from './todo-graph'
import { isSealable, isVerified } from './todo-summary'

const FINAL_STATES: ReadonlySet<string> = new Set(['sealed', 'stopped', 'failed'])
const IDS_SHOWN = 8

/** `t1, t2 and 3 more`: ids for a reason the user reads. */
function formatIds(ids: readonly string[]): string {
  if (ids.length <= IDS_SHOWN) return ids.join(', ')
  return `${ids.slice(0, IDS_SHOWN).join(', ')} and ${ids.length - IDS_SHOWN} more`
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

const STATUS_WORDS: Readonly<Record<TodoStatus, string>> = {
  failed: 'failed',
  blocked: 'blocked',
  cancelled: 'cancelled',
  in_progress: 'in progress',
  pending: 'pending',
  done: 'done but not verified',
}
const OPEN_ORDER: readonly TodoStatus[] = ['failed', 'blocked', 'cancelled', 'in_progress', 'pending', 'done']

/** Todos that keep the mission from sealing, grouped by status: `t3 failed, t6, t7 pending`. */
function describeOpen(todos: readonly Todo[]): string {
  const open = todos.filter((todo) => !isVerified(todo))
  const groups = OPEN_ORDER.map((status) => ({ status, ids: open.filter((todo) => todo.status === status).map((todo) => todo.id) })).filter(
    (group) => group.ids.length > 0,
  )
  return groups.map((group) => `${formatIds(group.ids)} ${STATUS_WORDS[group.status]}`).join(', ')
}

/** What the next continuation is for, e.g. `t2, t3 ready; t5 failed — retry or replan it`. */
function describeWork(todos: readonly Todo[], endedTasks: number): string {
  if (todos.length === 0) {
    return endedTasks > 0
      ? `no todo list yet, though ${plural(endedTasks, 'delegated task')} ended — have the Planner write it from the goal and their results`
      : 'no todos yet — the plan is missing'
  }
  const idsOf = (predicate: (todo: Todo) => boolean) => todos.filter(predicate).map((todo) => todo.id)
  const readyIds = new Set(ready(todos).map((todo) => todo.id))
  const parts: string[] = []
  const add = (ids: string[], text: string) => {
    if (ids.length > 0) parts.push(`${formatIds(ids)} ${text}`)
  }
  add([...readyIds], 'ready')
  // The loop only continues when nothing runs: an in-progress todo here has no task running for it.
  add(idsOf((todo) => todo.status === 'in_progress'), 'marked in progress, but nothing runs for it — check its result, then mark it done for the Reviewer or delegate it again')
  add(idsOf((todo) => todo.status === 'done' && !isVerified(todo)), 'done but not verified — have the Reviewer check')
  add(idsOf((todo) => todo.status === 'failed'), 'failed — retry or replan')
  add(idsOf((todo) => todo.status === 'blocked'), 'blocked — unblock or replan')
  add(idsOf((todo) => todo.status === 'cancelled'), 'cancelled — the mission cannot seal while it stays')
  const waiting = idsOf((todo) => todo.status === 'pending' && !readyIds.has(todo.id))
  if (waiting.length > 0) parts.push(`${formatIds(waiting)} waiting on dependencies`)
  return parts.join('; ')
}

function describeActivity(activity: ContinuationInput['activity']): string {
  const parts: string[] = []
  if (activity.runningTasks > 0) parts.push(`${plural(activity.runningTasks, 'task')} running`)
  if (activity.queuedTasks > 0) parts.push(`${activity.queuedTasks} queued`)
  if (activity.runningBackground > 0) parts.push(`${plural(activity.runningBackground, 'background command')} running`)
  if (activity.rootBusy) parts.push('the Commander still in its turn')
  return parts.join(', ')
}

function requireCount(value: number, field: string, minimum: number): void {
  if (Number.isFinite(value) && value >= minimum) return
  throw new OrchestratorError({
    code: 'invalid-argument',
    message: `Continuation input ${field} must be a number ≥ ${minimum}, got ${String(value)}.`,
    details: { field, value },
  })
}

function checkInput(input: ContinuationInput): void {
  requireCount(input.limits.maxIterations, 'limits.maxIterations', 0)
  requireCount(input.limits.stagnationTurns, 'limits.stagnationTurns', 1)
  requireCount(input.limits.cooldownMs, 'limits.cooldownMs', 0)
  requireCount(input.counters.iterations, 'counters.iterations', 0)
  requireCount(input.counters.idleTurnsWithoutProgress, 'counters.idleTurnsWithoutProgress', 0)
  requireCount(input.activity.runningTasks, 'activity.runningTasks', 0)
  requireCount(input.activity.queuedTasks, 'activity.queuedTasks', 0)
  requireCount(input.activity.runningBackground, 'activity.runningBackground', 0)
  requireCount(input.now, 'now', 0)
}

/**
 * The continuation and seal policy, a pure function of the mission's state.
 * Evaluated when the root session ends a turn; the first rule that applies wins:
 *
 * 0. mission already sealed/stopped/failed → `wait` (nothing to do, no retry);
 * 1. cancelled → `stop`;
 * 2. list non-empty and every todo done with Reviewer evidence → `seal` once no delegated
 *    task is running or queued (else `wait`: sealing would cut a task mid-turn, e.g. the
 *    Reviewer's closing answer; background commands do not hold the seal, they end with it);
 * 3. every todo that is not verified is cancelled → `stop` (cancelled work never seals, and
 *    nothing else is left to try);
 * 4. tasks running or queued, background commands running, or the root busy → `wait`
 *    (no retry: the engine evaluates again when that work ends). Waiting comes before
 *    the two counters below because they only grow on root turns, and stopping now
 *    would throw away work already paid for;
 * 5. continuations used up (`iterations ≥ maxIterations`) → `stop`, naming the open todos;
 * 6. `idleTurnsWithoutProgress ≥ stagnationTurns` → `stop`, naming the open todos;
 * 7. the user wrote to the root session → `wait` (paused until the engine resumes the mission);
 * 8. nothing progressed since the last continuation (`recent.progress` false — no todo moved,
 *    no task ended; without that flag: the turn that just ended made no progress) and less
 *    than `cooldownMs` passed since it → `wait` with `retryInMs`. Work that progressed is
 *    continued at once: the cooldown only slows a loop that is not getting anywhere (until
 *    rule 6 stops it), never a model that is working fast;
 * 9. otherwise → `continue`, saying what is ready, failed or blocked. Failed and blocked
 *    todos keep the loop going while continuations are left, so the Commander can retry
 *    or replan; rules 5 and 6 end it, naming them.
 *
 * @throws OrchestratorError `invalid-argument` for negative or non-finite limits and counters.
 */
export const decideContinuation: ContinuationPolicy = (input): ContinuationDecision => {
  checkInput(input)
  const { state, todos, limits, counters, activity, recent } = input
  if (FINAL_STATES.has(state)) return { type: 'wait', reason: `waiting: the mission is already ${state}; nothing to continue` }
  if (recent.cancelled) return { type: 'stop', reason: 'stopped: the mission was cancelled' }
  if (isSealable(todos)) {
    const inFlight = activity.runningTasks + activity.queuedTasks
    if (inFlight > 0 || activity.rootBusy) {
      return { type: 'wait', reason: `waiting: every todo is verified; the mission seals once ${describeActivity({ ...activity, runningBackground: 0 })} ${inFlight === 1 && !activity.rootBusy ? 'has' : 'have'} ended` }
    }
    return { type: 'seal', reason: `sealed: ${todos.length === 1 ? 'the todo is' : `all ${todos.length} todos are`} done and verified by the Reviewer` }
  }
  const unverified = todos.filter((todo) => !isVerified(todo))
  if (todos.length > 0 && unverified.every((todo) => todo.status === 'cancelled')) {
    const ids = formatIds(unverified.map((todo) => todo.id))
    return unverified.length === todos.length
      ? { type: 'stop', reason: `stopped: every todo was cancelled (${ids}); nothing is left to do` }
      : { type: 'stop', reason: `stopped: ${ids} ${unverified.length === 1 ? 'was' : 'were'} cancelled, so the mission cannot be sealed (every other todo is verified)` }
  }
  const capReached = counters.iterations >= limits.maxIterations
  const busy = activity.runningTasks + activity.queuedTasks + activity.runningBackground > 0 || activity.rootBusy
  if (busy) {
    const suffix = capReached ? ` (the limit of ${plural(limits.maxIterations, 'continuation')} is reached: the mission ends once this work is done unless it can seal)` : ''
    return { type: 'wait', reason: `waiting: ${describeActivity(activity)}${suffix}` }
  }
  if (capReached) {
    return { type: 'stop', reason: `stopped: reached the limit of ${plural(limits.maxIterations, 'continuation')}; still open: ${describeOpen(todos) || 'no todos (the plan is missing)'}` }
  }
  if (counters.idleTurnsWithoutProgress >= limits.stagnationTurns) {
    const open = unverified.map((todo) => todo.id)
    const detail = open.length > 0 ? `${formatIds(open)} still open` : 'no todos planned'
    return { type: 'stop', reason: `stopped: no todo progress in ${plural(counters.idleTurnsWithoutProgress, 'turn')} (${detail})` }
  }
  if (recent.userMessage) {
    return { type: 'wait', reason: 'paused: you wrote to the mission session, so it does not continue on its own; resume the mission to carry on' }
  }
  const progressed = recent.progress ?? counters.idleTurnsWithoutProgress === 0
  if (!progressed && counters.lastContinuationAt !== undefined && limits.cooldownMs > 0) {
    const elapsed = input.now - counters.lastContinuationAt
    if (elapsed < limits.cooldownMs) {
      // A clock that went backwards must not push the retry beyond one cooldown.
      const retryInMs = Math.min(limits.cooldownMs, Math.max(1, Math.ceil(limits.cooldownMs - elapsed)))
      return { type: 'wait', reason: `waiting: cooldown, next continuation in ${(retryInMs / 1000).toFixed(1)} s`, retryInMs }
    }
  }
  return { type: 'continue', reason: `continuing (${counters.iterations + 1}/${limits.maxIterations}): ${describeWork(todos, activity.endedTasks ?? 0)}` }
}
