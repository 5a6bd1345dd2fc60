export * from './fake-elevenlabs-convai-server.js';
export * from './fake-gemini-live-server.js';
export * from './fake-openai-realtime-server.js';
export * from './fake-server-base.js';
export * from './fake-xai-realtime-server.js';
export * from './openai-fake-turns.js';
export * from './script.js';
