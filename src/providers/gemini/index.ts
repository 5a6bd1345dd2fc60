export * from './gemini-provider.js';
