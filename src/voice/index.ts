export * from './audio/index.js';
export * from './backends/index.js';
export * from './interruption.js';
export * from './pacer.js';
export * from './pipeline/index.js';
export * from './turn-metrics.js';
export * from './types.js';
export * from './voice-channel.js';
export type * from './voice-hooks.js';
