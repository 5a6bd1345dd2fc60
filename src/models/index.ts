export * from './content.js';
export * from './content-schema.js';
export * from './enums.js';
export * from './event.js';
export * from './inbound.js';
export * from './room.js';
