export { createFakeClock } from './fake-clock'
export type { CreateFakeClockOptions, FakeClock, FakeClockAsyncOptions } from './fake-clock'
export { createFakeHost } from './fake-host'
export type { CreateFakeHostOptions, FakeHost } from './fake-host'
export type {
  FakeBehaviour,
  FakeHostCall,
  FakePromptContext,
  FakePromptMatcher,
  FakeRetry,
  FakeRule,
  FakeStepBase,
  FakeSummarizeBehaviour,
  FakeToolStep,
  FakeTurn,
  FakeTurnRecord,
} from './fake-host-script'
export { contentText, summarizeChatRequest } from './chat-request-summary'
export type { ChatRequestSummary, ChatToolCallRecord, ChatToolResult } from './chat-request-summary'
export { completionBody, streamFrames } from './chat-completion-frames'
export type { ChatFrameContext, ScriptedReply, ScriptedToolCall, ScriptedUsage } from './chat-completion-frames'
export { startScriptedModel } from './scripted-model'
export type {
  ScriptedDelays,
  ScriptedHttpError,
  ScriptedMatcher,
  ScriptedModel,
  ScriptedModelRequest,
  ScriptedResponder,
  ScriptedResponse,
  ScriptedRule,
  StartScriptedModelOptions,
} from './scripted-model'
export { deepMerge } from './deep-merge'
export { createPayloadNormaliser } from './payload-normaliser'
export type { PayloadNormaliserOptions } from './payload-normaliser'
export type { PlainObject } from './deep-merge'
export { opencodePlatformPackages, resolveOpencodeBinary } from './opencode-binary'
export type { OpencodeBinary, ResolveOpencodeBinaryOptions } from './opencode-binary'
export { copyOpencodeConfigSeed, defaultSeedCacheDirectory, prepareOpencodeConfigSeed } from './opencode-config-seed'
export type { OpencodeConfigSeed, PrepareOpencodeConfigSeedOptions } from './opencode-config-seed'
export { createEventRecorder } from './opencode-event-recorder'
export type { ControlledEventRecorder, EventRecorder, RecordedEvent, WaitForEventOptions } from './opencode-event-recorder'
export { createProcessLog } from './process-log'
export type { ControlledProcessLog, ProcessLog, ProcessLogLine } from './process-log'
export { baseOpencodeConfig, startOpencodeServer } from './opencode-server'
export type { OpencodeServer, OpencodeServerTimings, StartOpencodeServerOptions } from './opencode-server'
export { startOpencodeTui } from './opencode-tui'
export type { OpencodeTui, StartOpencodeTuiOptions, WaitForScreenOptions } from './opencode-tui'
export { startRedisServer } from './redis-server'
export type { RedisServer, StartRedisServerOptions } from './redis-server'
