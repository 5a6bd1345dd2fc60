import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  PlivoMediaStreamBackend,
  plivoSignatureV3,
  plivoSignedString,
  verifyPlivoSignatureV3,
} from '../../src/providers/plivo/index.js';
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

describe('Plivo signature V3: the string Plivo signs, as its SDK builds it', () => {
  it('POST with a query: sorted query, ".", sorted body params without separators, then the nonce', () => {
    const url = 'https://bot.example.com/carriers/plivo/answer?b=2&a=1';
    const params = { To: '14155550100', From: '14155550123', CallUUID: 'c-1' };
    const signed =
      'https://bot.example.com/carriers/plivo/answer?a=1&b=2.CallUUID=c-1From=14155550123To=14155550100';
    expect(plivoSignedString('POST', url, params)).toBe(signed);
    const expected = createHmac('sha256', 'token').update(`${signed}.98765`).digest('base64');
    expect(plivoSignatureV3('token', 'POST', url, '98765', params)).toBe(expected);
    // Several auth tokens: comma-separated signatures, any may match.
    expect(verifyPlivoSignatureV3('token', `bm9wZQ==,${expected}`, '98765', 'POST', url, params)).toBe(true);
    expect(verifyPlivoSignatureV3('token', expected, '98766', 'POST', url, params)).toBe(false);
  });

  it('POST without a query ends the URL with "?"; GET merges and sorts the query; no params, no "?"', () => {
    expect(plivoSignedString('POST', 'https://h.example/a', { B: '1', A: ['3', '2'] })).toBe(
      'https://h.example/a?A=2A=3B=1',
    );
    expect(plivoSignedString('GET', 'https://h.example/a?z=1&y=2', { x: '0' })).toBe(
      'https://h.example/a?x=0&y=2&z=1',
    );
    expect(plivoSignedString('POST', 'https://h.example:8443/a', {})).toBe('https://h.example:8443/a');
  });
});
