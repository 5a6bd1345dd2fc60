import { TelnyxMediaStreamBackend } from '../../src/providers/telnyx/index.js';
import { FakeTelnyxServer } from '../../src/testing/index.js';
import { describeCarrierConformance } from './conformance.js';

describeCarrierConformance({
  carrier: 'telnyx',
  sampleRate: 8000,
  frameMs: 20,
  signatureHeaders: ['telnyx-signature-ed25519', 'telnyx-timestamp'],
  async start() {
    const fake = new FakeTelnyxServer();
    await fake.start();
    return {
      voice: fake.voice,
      createBackend: (opts) =>
        new TelnyxMediaStreamBackend({
          ...opts,
          apiKey: fake.apiKey,
          publicKey: fake.publicKey,
          baseUrl: fake.baseUrl,
          fromNumber: fake.phoneNumber,
          connectionId: 'connection-1',
        }),
      stop: () => fake.stop(),
    };
  },
  tamper: (req) => ({
    ...req,
    body: req.body.replace(encodeURIComponent(req.from), encodeURIComponent('+15550000000')),
  }),
  // Telnyx signs no upgrade: the stream URL's one-time token is the credential.
  upgradeMatrix: (url) => ({
    missing: { url: url.slice(0, url.lastIndexOf('/')), headers: {} },
    wrong: { url: `${url.slice(0, url.lastIndexOf('/'))}/not-the-token`, headers: {} },
  }),
});
