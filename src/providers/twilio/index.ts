// roomkit/providers/twilio: everything Twilio. SMS/MMS, and phone calls through Media Streams
// (the voice backend, call control and TwiML), sharing the REST client and the signature check.
export * from './call-control.js';
export * from './media-stream-backend.js';
export * from './media-stream-protocol.js';
export * from './rest-client.js';
export * from './signature.js';
export * from './sms-provider.js';
export * from './sms-webhook.js';
export * from './twiml.js';
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
