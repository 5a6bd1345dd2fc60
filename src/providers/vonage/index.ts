// roomkit/providers/vonage: everything Vonage. Messages (SMS/MMS) now; the media-stream voice
// backend shares the REST client and the signed-JWT webhook check.
export * from './rest-client.js';
export * from './signature.js';
export * from './sms-provider.js';
export * from './sms-webhook.js';
