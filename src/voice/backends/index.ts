export * from '../pacer.js';
export * from './mock-voice-backend.js';
export * from './voice-backend.js';
export * from './websocket-voice-backend.js';
export * from './websocket-voice-connection.js';
export * from './websocket-voice-protocol.js';
