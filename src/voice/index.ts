export * from './audio/index.js';
export * from './pipeline/index.js';
export * from './types.js';
