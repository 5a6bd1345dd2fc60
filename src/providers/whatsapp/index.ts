// roomkit/providers/whatsapp: the WhatsApp Business Cloud API (Graph API) for WhatsAppChannel.
export * from './cloud-provider.js';
export * from './message-payload.js';
export * from './rest-client.js';
export * from './signature.js';
export * from './webhook.js';
