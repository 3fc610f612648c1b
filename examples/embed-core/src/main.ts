import { createLogger, systemClock, type OrchestratorEventName, type OrchestratorEvents, type Task } from '@opencode-orchestrator/core'
import { runExampleMission } from './run-example-mission'

const startedAt = systemClock.now()

const taskLine = (task: Task) => `${task.agent}${task.todoIds.length > 0 ? ` [${task.todoIds.join(', ')}]` : ''} "${task.title}"`

/** One line per event worth reading; the others (task-queue, todo-update, …) stay quiet. */
const formatters: { [Name in OrchestratorEventName]?: (payload: OrchestratorEvents[Name]) => string } = {
  'mission-start': ({ goal }) => `"${goal}"`,
  'mission-transition': ({ from, to }) => `${from} → ${to}`,
  'task-start': ({ task }) => taskLine(task),
  'task-end': ({ task }) => `${taskLine(task)} → ${task.status}: ${task.result ?? task.error?.message ?? ''}`,
  'mission-wake': ({ taskIds }) => `commander woken with ${taskIds.length} result${taskIds.length === 1 ? '' : 's'}`,
  'mission-continue': ({ iteration, reason }) => `#${iteration}: ${reason}`,
  'mission-seal': ({ todos }) => todos.map((todo) => `${todo.id} ${todo.status} (evidence: ${todo.evidence?.summary ?? 'none'})`).join('; '),
  'mission-stop': ({ reason }) => reason,
  'mission-fail': ({ reason }) => reason,
}

// `--stop`: the Workers would take 30 s; the program stops the mission while they run.
const stop = process.argv.includes('--stop')
const result = await runExampleMission({
  stopWhileWorkersRun: stop,
  workerDelayMs: stop ? 30_000 : 20,
  logger: createLogger(({ level, message, fields }) => {
    if (level !== 'debug') console.error(`  [${level}] ${message} ${JSON.stringify(fields)}`)
  }),
  onEvent(name, payload) {
    const format = formatters[name] as ((payload: unknown) => string) | undefined
    if (format) console.log(`${String(systemClock.now() - startedAt).padStart(5)} ms  ${name.padEnd(18)} ${format(payload)}`)
  },
})

const { mission } = result
const took = (mission.end?.at ?? systemClock.now()) - mission.createdAt
console.log(`\nmission ${mission.id}: ${mission.state} in ${took} ms (${mission.end?.reason ?? 'no reason'})`)
console.log(`workers in parallel: ${result.maxConcurrentWorkers}; journal files: ${Object.keys(result.journal).join(', ')}`)
process.exitCode = mission.state === 'sealed' ? 0 : 1
