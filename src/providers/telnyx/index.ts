// roomkit/providers/telnyx: everything Telnyx. Messaging now; the media-stream voice backend
// shares the REST client and the Ed25519 signature check.
export * from './rest-client.js';
export * from './signature.js';
export * from './sms-provider.js';
export * from './sms-webhook.js';
