// roomkit/providers/telnyx: everything Telnyx. Messaging now; the media-stream voice backend
// shares the REST client and the Ed25519 signature check.
export * from './rest-client.js';
export * from './signature.js';
export * from './sms-provider.js';
export * from './sms-webhook.js';
export * from './call-control.js';
export * from './media-stream-backend.js';
export * from './media-stream-protocol.js';
export * from './texml.js';
// The media-stream core every carrier backend shares (its types, call notices, errors).
export {
  type CallRoute,
  CallFailedError,
  CARRIER_LEAD_MS,
  type CarrierCallControl,
  type CarrierCallEvent,
  type CarrierCallInfo,
  type DialOptions,
  type DialRequest,
  MediaStreamBackend,
  type MediaStreamBackendOptions,
  writeCallNotices,
} from '../shared/media-stream/index.js';
