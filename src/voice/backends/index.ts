export * from './mock-voice-backend.js';
export * from './voice-backend.js';
