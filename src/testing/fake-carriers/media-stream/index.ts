export * from './fake-stream-call.js';
export { FakeTwilioVoice, twilioDialect } from './fake-twilio-voice.js';
export type * from './fake-voice-types.js';
export { findXml, parseXml, streamOfXml, type XmlNode } from './markup.js';
export { FakeTelnyxVoice, telnyxDialect } from './fake-telnyx-voice.js';
export { FakeVoiceBase } from './fake-voice-base.js';
export { FakePlivoVoice, plivoDialect } from './fake-plivo-voice.js';
export { FakeVonageVoice, vonageDialect } from './fake-vonage-voice.js';
export { exotelDialect, FakeExotelVoice } from './fake-exotel-voice.js';
