import { PlivoMediaStreamBackend } from '../../src/providers/plivo/index.js';
import { FakePlivoServer } from '../../src/testing/index.js';
import { describeCarrierConformance } from './conformance.js';

describeCarrierConformance({
  carrier: 'plivo',
  sampleRate: 8000,
  frameMs: 20,
  signatureHeaders: ['x-plivo-signature-v3', 'x-plivo-signature-v3-nonce'],
  async start() {
    const fake = new FakePlivoServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new PlivoMediaStreamBackend({
          ...opts,
          authId: fake.authId,
          authToken: fake.authToken,
          baseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
        }),
      stop: () => fake.stop(),
    };
  },
  tamper: (req) => ({ ...req, body: req.body.replace(`From=${req.from.slice(1)}`, 'From=15550000000') }),
  upgradeMatrix: (url, voice) => ({
    // No token in the URL (and no signature): nothing proves the call.
    missing: { url: url.slice(0, url.lastIndexOf('/')), headers: {} },
    // A signature that does not verify is refused even with the right URL.
    wrong: { url, headers: { ...voice.upgradeHeaders(url), 'x-plivo-signature-v3': 'bm90IGEgc2lnbmF0dXJl' } },
  }),
});
