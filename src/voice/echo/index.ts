export * from './delay-estimator.js';
export * from './double-talk-detector.js';
export * from './echo-canceller.js';
export * from './echo-guard.js';
export * from './reference-timeline.js';
