import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { OpencodeServer, ScriptedModel } from '@opencode-orchestrator/testing'
import { startPluginServer, stopPluginServer } from './test-support/plugin-server'

/*
 * Issue 17 (2): the tool schemas the model is actually sent. OpenCode turns a
 * plugin's zod arguments into JSON Schema with its own zod (4.1.8); schemas built
 * with another zod minor lost their checks on the way (`title` a bare string,
 * `tailBytes` a bare number). GET /experimental/tool shows what the model gets:
 * every argument of every orchestrator tool must keep its constraints.
 */

type Schema = Record<string, unknown>
const text = (min: number, max?: number): Schema => ({ type: 'string', minLength: min, ...(max !== undefined ? { maxLength: max } : {}) })
const ID = text(1, 200)

/** Every argument of every orchestrator tool, with the constraints the model must see. */
const EXPECTED: Record<string, Record<string, Schema>> = {
  orchestrator_delegate: {
    agent: text(1, 40),
    title: text(1, 120),
    prompt: text(1),
    todoIds: { type: 'array', maxItems: 100, items: ID },
    isolation: { type: 'string', enum: ['worktree', 'none'] },
  },
  orchestrator_task_status: { taskId: ID },
  orchestrator_task_result: { taskId: ID },
  orchestrator_task_cancel: { taskId: ID, reason: text(1, 500) },
  orchestrator_todo_write: {
    todos: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        properties: { id: ID, title: text(1), dependsOn: { type: 'array', maxItems: 100, items: ID }, note: text(1) },
        required: ['title'],
      },
    },
  },
  orchestrator_todo_read: {},
  orchestrator_todo_update: { id: ID, status: text(1, 20), evidence: text(1), note: text(1) },
  orchestrator_bg_run: { command: text(1), cwd: text(1) },
  orchestrator_bg_output: { jobId: ID, tailBytes: { type: 'integer', exclusiveMinimum: 0, maximum: 1_048_576 }, sinceByte: { type: 'integer', minimum: 0 } },
  orchestrator_bg_kill: { jobId: ID },
  orchestrator_bg_list: {},
  orchestrator_docs_save: { key: text(1, 200), title: text(1, 200), content: text(1), source: text(1, 2000) },
  orchestrator_docs_read: { key: text(1, 200) },
  orchestrator_docs_list: {},
}

let model: ScriptedModel
let server: OpencodeServer

beforeAll(async () => {
  ;({ model, server } = await startPluginServer({ expectTools: Object.keys(EXPECTED) }))
})

afterAll(() => stopPluginServer({ model, server }))

describe('GET /experimental/tool on a real OpenCode server', () => {
  it('shows the constraints (min/max length, int, bounds, array limits) of every orchestrator tool argument', async () => {
    const listed = await server.client.tool.list({ provider: 'fake', model: 'fake-model' })
    const tools = new Map((listed.data ?? []).map((entry) => [entry.id, entry.parameters as { properties?: Record<string, Schema> }]))
    const orchestratorIds = [...tools.keys()].filter((id) => id.startsWith('orchestrator_')).sort()
    expect(orchestratorIds).toEqual(Object.keys(EXPECTED).sort())
    for (const [id, args] of Object.entries(EXPECTED)) {
      const properties = tools.get(id)?.properties ?? {}
      // No argument left unchecked: the table lists exactly the arguments the model is given.
      expect(Object.keys(properties).sort(), id).toEqual(Object.keys(args).sort())
      for (const [name, constraints] of Object.entries(args)) {
        expect(properties[name], `${id}.${name}`).toMatchObject(constraints)
      }
    }
    console.info(`[tool schemas] ${orchestratorIds.length} tools, ${Object.values(EXPECTED).reduce((sum, args) => sum + Object.keys(args).length, 0)} arguments with their constraints`)
  })
})
