// roomkit/providers/plivo: phone calls on Plivo through Audio Streaming (the voice backend,
// call control, Plivo XML), sharing the REST client and the V3 signature check.
export * from './call-control.js';
export * from './media-stream-backend.js';
export * from './media-stream-protocol.js';
export * from './plivo-xml.js';
export * from './rest-client.js';
export * from './signature.js';
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
