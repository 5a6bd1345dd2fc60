export * from './mfcc-diarization.js';
export * from './primary-speaker.js';
