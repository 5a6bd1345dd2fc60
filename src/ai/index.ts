export * from './tool.js';
export * from './types.js';
