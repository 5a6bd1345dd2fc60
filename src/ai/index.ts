export * from './tool.js';
export * from './types.js';
export * from './tool-call.js';
