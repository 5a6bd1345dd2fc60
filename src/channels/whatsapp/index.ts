export * from './outbound-mapping.js';
export * from './whatsapp-channel.js';
export * from './whatsapp-provider.js';
