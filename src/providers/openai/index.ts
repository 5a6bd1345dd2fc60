export * from './chat-provider.js';
export * from './realtime-provider.js';
