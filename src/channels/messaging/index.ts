export * from './delivery-status.js';
export * from './import-media.js';
export * from './media-store.js';
export * from './messaging-channel.js';
export * from './outbox.js';
export * from './types.js';
export * from './webhook-endpoint.js';
