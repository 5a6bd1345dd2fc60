export * from './roomkit-client.js';
