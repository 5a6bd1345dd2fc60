export * from './realtime-config.js';
export * from './realtime-provider.js';
