import type { HostEvent, HostMessage, HostSessionStatus, HostV1, PromptOptions } from '@opencode-orchestrator/core'

/** A HostV1 fake: records calls, lets the test push events, throws for anything unscripted. */
export function createFakeHost() {
  const listeners = new Set<(event: HostEvent) => void>()
  const prompts: PromptOptions[] = []
  const summaries: string[] = []
  const statuses: Record<string, HostSessionStatus> = {}
  const messages = new Map<string, HostMessage[]>()
  const notImplemented = (name: string) => () => {
    throw new Error(`FakeHost.${name} is not scripted in this test`)
  }
  const host: HostV1 = {
    version: 1,
    subscribe(listener) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    toast: notImplemented('toast'),
    sessions: {
      create: notImplemented('create'),
      get: notImplemented('get'),
      children: notImplemented('children'),
      abort: notImplemented('abort'),
      delete: notImplemented('delete'),
      todos: notImplemented('todos'),
      async promptAsync(options) {
        prompts.push(options)
      },
      async messages(sessionId) {
        return messages.get(sessionId) ?? []
      },
      async status() {
        return { ...statuses }
      },
      async summarize(sessionId) {
        summaries.push(sessionId)
      },
    },
  }
  return {
    host,
    prompts,
    summaries,
    statuses,
    messages,
    listenerCount: () => listeners.size,
    emit(event: HostEvent) {
      for (const listener of [...listeners]) listener(event)
    },
  }
}

