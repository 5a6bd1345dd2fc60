export * from './call-control.js';
export * from './call-notices.js';
export type { CallStatusUpdate, VerifiedWebhook } from './carrier-webhooks.js';
export * from './mark-ledger.js';
export * from './media-stream-backend.js';
export { MediaStreamCall } from './media-stream-call.js';
export type { CallRoute, CarrierCallInfo, PendingCall } from './pending-calls.js';
export * from './stream-protocol.js';
export * from './wire-audio.js';
