export * from './tts-messages.js';
export * from './tts-provider.js';
