export * from './webhook-channel.js';
export * from './webhook-signature.js';
