import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SMSChannel } from '../../../src/channels/sms/sms-channel.js';
import {
  TwilioSMSProvider,
  twilioSignature,
  verifyTwilioSignature,
} from '../../../src/providers/twilio/index.js';
import { FakeTwilioServer } from '../../../src/testing/fake-carriers/index.js';
import { MockAIProvider } from '../../../src/testing/index.js';
import { type SmsRig, smsRig, texts } from './helpers.js';

const CALLER = '+15551230001';

describe('Twilio signature: the official twilio package referees', () => {
  const token = '12345';
  const cases: [string, Record<string, string | string[]>][] = [
    [
      'https://mycompany.com/myapp.php?foo=1&bar=2',
      {
        CallSid: 'CA1234567890ABCDE',
        Caller: '+12349013030',
        Digits: '1234',
        From: '+12349013030',
        To: '+18005551212',
      },
    ],
    [
      'http://127.0.0.1:41234/webhooks/sms',
      { Body: 'héllo wörld 👋', From: CALLER, MessageSid: 'SMabc', NumMedia: '0' },
    ],
    ['https://example.com/hook', { MediaUrl: ['https://b.example/2', 'https://a.example/1'], Body: '' }],
  ];

  it.each(cases)('agrees on a signed request to %s', (url, params) => {
    const signature = twilioSignature(token, url, params);
    expect(twilio.validateRequest(token, signature, url, params)).toBe(true);
    expect(verifyTwilioSignature(token, signature, url, params)).toBe(true);
    expect(signature).toBe(twilio.getExpectedTwilioSignature(token, url, params));
  });

  it.each(cases)('agrees on tampered requests to %s', (url, params) => {
    const signature = twilioSignature(token, url, params);
    const tamperedParams = { ...params, Body: 'send me the money' };
    const tamperedUrl = `${url}${url.includes('?') ? '&' : '?'}x=1`;
    for (const [u, p, sig] of [
      [url, tamperedParams, signature],
      [tamperedUrl, params, signature],
      [url, params, twilioSignature('wrong-token', url, params)],
      [url, params, `${signature.slice(0, -2)}A=`],
    ] as const) {
      expect(twilio.validateRequest(token, sig, u, p)).toBe(false);
      expect(verifyTwilioSignature(token, sig, u, p)).toBe(false);
    }
  });

  it('accepts the URL with or without the default port, like the SDK', () => {
    const params = { Body: 'hi' };
    const signature = twilioSignature(token, 'https://example.com:443/hook', params);
    expect(twilio.validateRequest(token, signature, 'https://example.com/hook', params)).toBe(true);
    expect(verifyTwilioSignature(token, signature, 'https://example.com/hook', params)).toBe(true);
  });
});

describe('SMSChannel over Twilio: what the conformance suite does not cover', () => {
  let fake: FakeTwilioServer;
  let rig: SmsRig;

  beforeEach(async () => {
    fake = new FakeTwilioServer({ phoneNumber: '+15005550006' });
    await fake.start();
    rig = await smsRig(
      () =>
        new SMSChannel('sms', {
          provider: new TwilioSMSProvider({
            ...fake.providerOptions,
            rateLimit: { maxPerSecond: 50, burst: 10 },
          }),
        }),
    );
    fake.webhookUrl = rig.webhookUrl;
  });
  afterEach(async () => {
    await rig.close();
    await fake.stop();
  });

  it('long replies are fitted to the segment budget in their alphabet', async () => {
    await fake.receiveMessage({ from: CALLER, text: 'hi' });
    await rig.kit.waitForIdle();
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'word '.repeat(400) });
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'ünïcödé 😀 '.repeat(100) });
    await rig.kit.waitForIdle();
    const [gsm, ucs] = fake.sent.slice(-2);
    expect(gsm!.text!.length).toBeLessThanOrEqual(1530);
    expect(gsm!.text!.endsWith('...')).toBe(true);
    expect(ucs!.text!.length).toBeLessThanOrEqual(670);
    expect(ucs!.text!.endsWith('…')).toBe(true);
  });

  it('a carrier-side opt-out (21610) is remembered and not retried', async () => {
    await fake.receiveMessage({ from: CALLER, text: 'hi' });
    await rig.kit.waitForIdle();
    fake.blocked.add(CALLER);
    const before = fake.requests.length;
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'are you there?' });
    await rig.kit.waitForIdle();
    expect(fake.requests.length - before).toBe(1);
    expect(await rig.sms.isOptedOut(CALLER)).toBe(true);
  });
});

describe('send pacing', () => {
  it("deliveries wait under the provider's rate limit instead of bursting", async () => {
    const fake = new FakeTwilioServer();
    await fake.start();
    const rig = await smsRig(
      () =>
        new SMSChannel('sms', {
          provider: new TwilioSMSProvider({ ...fake.providerOptions, rateLimit: { maxPerSecond: 20 } }),
        }),
    );
    try {
      await rig.kit.detachChannel('support', 'sms');
      await rig.kit.attachChannel('support', 'sms', { metadata: { to: CALLER } });
      for (let i = 0; i < 6; i++)
        await rig.kit.sendEvent('support', 'ai', { type: 'text', body: `update ${i}` });
      await rig.kit.waitForIdle();
      expect(fake.sent.map((m) => m.text)).toEqual([
        'update 0',
        'update 1',
        'update 2',
        'update 3',
        'update 4',
        'update 5',
      ]);
      // 20 per second with no burst: five gaps of at least ~50 ms (a lower bound only: a loaded machine is slower).
      expect(fake.sent.at(-1)!.at - fake.sent[0]!.at).toBeGreaterThanOrEqual(200);
    } finally {
      await rig.close();
      await fake.stop();
    }
  });
});

describe('webhooks answer in time', () => {
  it('a slow room is acknowledged within ackTimeoutMs and finishes in the background; a replay is still refused', async () => {
    const fake = new FakeTwilioServer();
    await fake.start();
    const rig = await smsRig(
      () =>
        new SMSChannel('sms', {
          provider: new TwilioSMSProvider({ ...fake.providerOptions, rateLimit: { maxPerSecond: 50 } }),
          ackTimeoutMs: 150,
        }),
      { ai: new MockAIProvider({ responses: ['Hello from the agent.'], delayMs: 1_500 }) },
    );
    try {
      fake.webhookUrl = rig.webhookUrl;
      const started = performance.now();
      const hook = await fake.receiveMessage({ from: CALLER, text: 'slow question' });
      expect(hook.response.status).toBe(200);
      expect(hook.response.body).toContain('<Response>');
      expect(performance.now() - started).toBeLessThan(1_200);
      expect(texts(await rig.kit.store.listEvents('support'))).toEqual(['slow question']);
      expect((await fake.replay(hook)).response.status).toBe(403);
      await rig.kit.waitForIdle();
      expect(fake.sent.map((m) => m.text)).toEqual(['Hello from the agent.']);
    } finally {
      await rig.close();
      await fake.stop();
    }
  });
});

describe('Twilio provider configuration', () => {
  it('reads credentials from the usual environment variables', () => {
    vi.stubEnv('TWILIO_ACCOUNT_SID', 'ACenv');
    vi.stubEnv('TWILIO_AUTH_TOKEN', 'tok');
    vi.stubEnv('TWILIO_PHONE_NUMBER', '+15550001111');
    try {
      const provider = new TwilioSMSProvider();
      expect(provider.fromNumber).toBe('+15550001111');
      expect(provider.client.accountSid).toBe('ACenv');
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('without credentials it says which variables to set', () => {
    vi.stubEnv('TWILIO_ACCOUNT_SID', '');
    vi.stubEnv('TWILIO_AUTH_TOKEN', '');
    try {
      expect(() => new TwilioSMSProvider({ fromNumber: '+15550001111' })).toThrow(/TWILIO_AUTH_TOKEN/);
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
