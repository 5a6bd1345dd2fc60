export * from './audio-converter.js';
export * from './base-provider.js';
export * from './logger.js';
export * from './pcm.js';
export * from './provider.js';
export * from './session.js';
export * from './typed-emitter.js';
export { type MockRealtimeCall, MockRealtimeProvider } from '../testing/mock-realtime-provider.js';
