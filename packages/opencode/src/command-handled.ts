/**
 * Ends a command the plugin handled in code (`/stop`, `/mission`, a refused
 * `/task`) without a model call and without an error.
 *
 * OpenCode 1.18.33 gives `command.execute.before` no "handled" result: the
 * prompt is sent right after the hook returns, whatever the hook did to its
 * parts (an empty list still calls the model). Throwing from the hook is the
 * only way to skip the model call. How the server answers depends on what is
 * thrown (measured, see docs/decisions/011):
 * - an ordinary error → HTTP 500 `UnknownError` and an ERROR line in its log;
 * - a value its HTTP layer (Effect's platform) recognises as a response —
 *   it carries the `~effect/http/HttpServerResponse` marker — is sent as the
 *   answer, with nothing logged.
 * So the signal is an `Error` (an older or newer OpenCode that does not
 * recognise the marker still reports a readable error, as before) that also
 * carries that marker and a JSON body saying what was done.
 */
const RESPONSE_MARKER = '~effect/http/HttpServerResponse'

/** The JSON body the command's caller receives. */
export interface CommandHandledBody {
  orchestrator: { command: string; handled: true; message: string }
}

export class CommandHandledSignal extends Error {
  override name = 'OrchestratorCommandHandled'
  readonly [RESPONSE_MARKER] = RESPONSE_MARKER
  readonly status = 200
  readonly statusText = undefined
  readonly headers: Readonly<Record<string, string>>
  readonly cookies = { cookies: {} }
  readonly body: { _tag: 'Uint8Array'; body: Uint8Array; contentType: string; contentLength: number }

  constructor(
    /** What the user should read. */
    message: string,
    command: string,
  ) {
    super(message)
    const payload: CommandHandledBody = { orchestrator: { command, handled: true, message } }
    const bytes = new TextEncoder().encode(JSON.stringify(payload))
    this.headers = { 'content-type': 'application/json' }
    this.body = { _tag: 'Uint8Array', body: bytes, contentType: 'application/json', contentLength: bytes.byteLength }
  }
}
