export * from './live-stream.js';
export * from './stt-provider.js';
