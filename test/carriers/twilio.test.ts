import { TwilioMediaStreamBackend } from '../../src/providers/twilio/index.js';
import { FakeTwilioServer } from '../../src/testing/index.js';
import { describeCarrierConformance } from './conformance.js';

describeCarrierConformance({
  carrier: 'twilio',
  sampleRate: 8000,
  frameMs: 20,
  signatureHeaders: ['x-twilio-signature'],
  async start() {
    const fake = new FakeTwilioServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new TwilioMediaStreamBackend({
          ...opts,
          accountSid: fake.accountSid,
          authToken: fake.authToken,
          baseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
        }),
      stop: () => fake.stop(),
    };
  },
  // The From a caller could forge: the signature covers it.
  tamper: (req) => ({
    ...req,
    body: req.body.replace(encodeURIComponent(req.from), encodeURIComponent('+15550000000')),
  }),
  upgradeMatrix: (url) => ({
    missing: { url, headers: {} },
    wrong: { url, headers: { 'x-twilio-signature': 'bm90IGEgc2lnbmF0dXJl' } },
  }),
});
