export * from './mock-ai-provider.js';
