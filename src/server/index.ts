export * from './ai-provider-from-env.js';
export * from './local-agent.js';
export * from './server.js';
