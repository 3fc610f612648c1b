import { EventEmitter } from 'eventemitter3'

/** A map from event name to payload type. */
export type EventMapBase = Record<string, unknown>

export type EventListener<Payload> = (payload: Payload) => void

export interface EventBus<Events extends EventMapBase> {
  /** Subscribes; returns a function that unsubscribes. */
  on<Name extends keyof Events & string>(name: Name, listener: EventListener<Events[Name]>): () => void
  once<Name extends keyof Events & string>(name: Name, listener: EventListener<Events[Name]>): () => void
  /** Calls every listener of `name`. A throwing listener is reported and does not stop the others. */
  emit<Name extends keyof Events & string>(name: Name, payload: Events[Name]): void
  /** Subscribes to every event. */
  onAny(listener: <Name extends keyof Events & string>(name: Name, payload: Events[Name]) => void): () => void
  listenerCount(name: keyof Events & string): number
  removeAllListeners(): void
}

export interface CreateEventBusOptions {
  /** Called when a listener throws. Required so listener errors are never swallowed. */
  onListenerError: (error: unknown, eventName: string) => void
}

const ANY = Symbol('any')

/** A typed event bus on `eventemitter3`. Each call creates an independent bus. */
export function createEventBus<Events extends EventMapBase>(options: CreateEventBusOptions): EventBus<Events> {
  const emitter = new EventEmitter()
  const guard =
    (name: string, listener: (...args: never[]) => void) =>
    (...args: unknown[]) => {
      try {
        ;(listener as (...values: unknown[]) => void)(...args)
      } catch (error) {
        options.onListenerError(error, name)
      }
    }
  return {
    on(name, listener) {
      const wrapped = guard(name, listener)
      emitter.on(name, wrapped)
      return () => void emitter.off(name, wrapped)
    },
    once(name, listener) {
      const wrapped = guard(name, listener)
      emitter.once(name, wrapped)
      return () => void emitter.off(name, wrapped)
    },
    emit(name, payload) {
      emitter.emit(name, payload)
      emitter.emit(ANY, name, payload)
    },
    onAny(listener) {
      const wrapped = guard('*', listener)
      emitter.on(ANY, wrapped)
      return () => void emitter.off(ANY, wrapped)
    },
    listenerCount: (name) => emitter.listenerCount(name),
    removeAllListeners: () => void emitter.removeAllListeners(),
  }
}
