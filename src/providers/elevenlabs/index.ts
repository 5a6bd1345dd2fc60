export * from './tts-messages.js';
export * from './tts-provider.js';
export * from './realtime-config.js';
export * from './realtime-provider.js';
