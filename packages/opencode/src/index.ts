export { createOpencodeHost } from './opencode-host'
export type { CreateOpencodeHostOptions, OpencodeClient, OpencodeHost } from './opencode-host'
export { toHostMessage, translateEvent } from './event-translation'
