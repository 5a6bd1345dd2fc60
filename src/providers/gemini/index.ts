export * from './gemini-provider.js';
export * from './live-provider.js';
export * from './live-setup.js';
