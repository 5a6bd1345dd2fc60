export * from './fake-ai-server.js';
export * from './fake-anthropic-server.js';
export * from './fake-gemini-server.js';
export * from './fake-openai-server.js';
export * from './fake-reply.js';
