export * from './chat-provider.js';
