export {
  type DispatchedWebhook,
  FakeCarrierServer,
  type FakeCarrierOptions,
  type FakeInboundSMS,
  type FakeCarrierReply,
  type FakeRequest,
  type FakeSentMessage,
  type FakeStatus,
  postWebhook,
} from './fake-carrier-server.js';
export { FakeTwilioServer, type FakeTwilioOptions } from './fake-twilio-server.js';
export { FakeTelnyxServer, type FakeTelnyxOptions } from './fake-telnyx-server.js';
export { FakePlivoServer, type FakePlivoOptions } from './fake-plivo-server.js';
export { FakeExotelServer, type FakeExotelOptions } from './fake-exotel-server.js';
export { FakeVonageServer, type FakeVonageOptions } from './fake-vonage-server.js';
export { FakeWhatsAppServer, type FakeWhatsAppOptions } from './fake-whatsapp-server.js';
export { type FakeEmail, FakeMailgunRoutes, FakeSendGridInboundParse } from './fake-email-webhooks.js';
export { FakeSMTPServer, type ReceivedEmail } from './fake-smtp-server.js';
export * from './media-stream/index.js';
