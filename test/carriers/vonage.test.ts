import { VonageMediaStreamBackend } from '../../src/providers/vonage/index.js';
import { FakeVonageServer } from '../../src/testing/index.js';
import { describeCarrierConformance } from './conformance.js';

describeCarrierConformance({
  carrier: 'vonage',
  sampleRate: 16000,
  frameMs: 20,
  signatureHeaders: ['authorization'],
  async start() {
    const fake = new FakeVonageServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new VonageMediaStreamBackend({
          ...opts,
          applicationId: fake.applicationId,
          privateKey: fake.voice.privateKey,
          signatureSecret: fake.signatureSecret,
          baseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
        }),
      stop: () => fake.stop(),
    };
  },
  // The JWT's payload_hash covers the body: a changed caller no longer matches.
  tamper: (req) => ({ ...req, body: req.body.replace(req.from.slice(1), '15550000000') }),
  upgradeMatrix: (url) => ({
    missing: { url, headers: {} },
    wrong: { url, headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjF9.bm90LXNpZ25lZA' } },
  }),
});
