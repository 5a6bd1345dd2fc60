export * from './fake-ai/index.js';
export * from './fake-carriers/index.js';
export * from './fake-realtime/index.js';
export * from './fake-speech/index.js';
export * from './mock-ai-provider.js';
export * from './mock-realtime-provider.js';
export { MockRealtimeTransport } from './mock-realtime-transport.js';
export * from './mock-stt-provider.js';
export * from './mock-tts-provider.js';
export {
  type MockSentAudio,
  MockVoiceBackend,
  type MockVoiceBackendOptions,
  type MockVoiceCall,
} from '../voice/backends/mock-voice-backend.js';
export {
  EchoLoopBackend,
  type EchoLoopBackendOptions,
  type ScheduledUtterance,
} from './echo-loop-backend.js';
export {
  type EchoLoopReply,
  type EchoLoopReport,
  type EchoLoopRunOptions,
  runEchoLoop,
  speechOnsetMs,
} from './echo-loop-run.js';
