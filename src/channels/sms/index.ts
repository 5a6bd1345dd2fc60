export * from './opt-out.js';
export * from './segments.js';
export * from './sms-channel.js';
export * from './sms-provider.js';
