export type { AuthResult } from './connection.js';
export * from './protocol.js';
export * from './websocket-channel.js';
