export * from './hook-engine.js';
export * from './hook-result.js';
export * from './types.js';
