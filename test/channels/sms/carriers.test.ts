import { TelnyxSMSProvider } from '../../../src/providers/telnyx/index.js';
import { TwilioSMSProvider } from '../../../src/providers/twilio/index.js';
import { VonageSMSProvider } from '../../../src/providers/vonage/index.js';
import {
  FakeTelnyxServer,
  FakeTwilioServer,
  FakeVonageServer,
} from '../../../src/testing/fake-carriers/index.js';
import { smsCarrierSuite } from './carrier-conformance.js';

smsCarrierSuite({
  name: 'twilio',
  makeFake: () => new FakeTwilioServer(),
  makeProvider: (fake) => new TwilioSMSProvider(fake.providerOptions),
  ourNumber: (fake) => fake.phoneNumber,
  signatureHeaders: ['x-twilio-signature'],
  failureCode: '30003',
});

smsCarrierSuite({
  name: 'telnyx',
  makeFake: () => new FakeTelnyxServer(),
  makeProvider: (fake) => new TelnyxSMSProvider(fake.providerOptions),
  ourNumber: (fake) => fake.phoneNumber,
  signatureHeaders: ['telnyx-signature-ed25519', 'telnyx-timestamp'],
  makeStale: (fake) => {
    fake.clockSkewSeconds = -600;
  },
  failureCode: '40001',
});

smsCarrierSuite({
  name: 'vonage',
  makeFake: () => new FakeVonageServer(),
  makeProvider: (fake) => new VonageSMSProvider(fake.providerOptions),
  ourNumber: (fake) => fake.phoneNumber,
  signatureHeaders: ['authorization'],
  makeStale: (fake) => {
    fake.clockSkewSeconds = -600;
  },
  failureCode: '1320',
});
