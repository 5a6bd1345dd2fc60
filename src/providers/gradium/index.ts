export * from './endpoints.js';
export * from './gradium-errors.js';
export * from './stt-provider.js';
export * from './stt-stream.js';
export * from './tts-provider.js';
export * from './turn-policy.js';
export * from './voices.js';
