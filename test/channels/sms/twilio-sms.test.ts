import twilio from 'twilio';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SMSChannel } from '../../../src/channels/sms/sms-channel.js';
import { encodeForm, parseUrlEncoded } from '../../../src/providers/shared/form-body.js';
import {
  TwilioSMSProvider,
  twilioSignature,
  verifyTwilioSignature,
} from '../../../src/providers/twilio/index.js';
import { FakeTwilioServer } from '../../../src/testing/fake-carriers/index.js';
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

describe('SMSChannel over Twilio (FakeTwilioServer)', () => {
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

  it('an inbound SMS becomes a room event and the AI answers by SMS', async () => {
    const hook = await fake.receiveMessage({ from: CALLER, text: 'Is my order shipped?' });
    expect(hook.response.status).toBe(200);
    expect(hook.response.body).toContain('<Response>');
    await rig.kit.waitForIdle();
    const events = await rig.kit.store.listEvents('support');
    expect(texts(events)).toEqual(['Is my order shipped?', 'Hello from the agent.']);
    expect(events[0]!.metadata).toMatchObject({
      contact: CALLER,
      sms: { provider: 'twilio', to: '+15005550006' },
    });
    expect(fake.sent).toHaveLength(1);
    expect(fake.sent[0]).toMatchObject({ to: CALLER, from: '+15005550006', text: 'Hello from the agent.' });
  });

  it('MMS in: the picture is downloaded into the media store; MMS out carries MediaUrl', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await fake.receiveMessage({
      from: CALLER,
      text: 'look',
      media: [{ data: png, contentType: 'image/png' }],
    });
    await rig.kit.waitForIdle();
    const events = await rig.kit.store.listEvents('support');
    const media = events.find((e) => e.content.type === 'media')!;
    expect(media.content).toMatchObject({ type: 'media', mimeType: 'image/png' });
    const url = (media.content as { url: string }).url;
    expect(url.startsWith('roomkit-media:')).toBe(true);
    const stored = await rig.sms.mediaStore.get(url.slice('roomkit-media:'.length));
    expect(stored?.data.equals(png)).toBe(true);

    await rig.kit.sendEvent('support', 'ai', {
      type: 'media',
      url: 'https://cdn.example.com/map.png',
      mimeType: 'image/png',
      caption: 'Here is the map',
    });
    await rig.kit.waitForIdle();
    const out = fake.sent.at(-1)!;
    expect(out.mediaUrls).toEqual(['https://cdn.example.com/map.png']);
    expect(out.text).toBe('Here is the map');
  });

  it('status callbacks set the delivery status: delivered, and failed with the carrier code', async () => {
    const failures: unknown[] = [];
    rig.kit.on('delivery_failed', (p) => failures.push(p));
    await fake.receiveMessage({ from: CALLER, text: 'hi' });
    await rig.kit.waitForIdle();
    const first = fake.sent[0]!;
    await fake.reportStatus(first.id, 'sent');
    await fake.reportStatus(first.id, 'delivered');
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'second' });
    await rig.kit.waitForIdle();
    const second = fake.sent[1]!;
    const cb = await fake.reportStatus(second.id, 'undelivered', { errorCode: '30003' });
    expect(cb.response.status).toBe(200);
    const notices = (await rig.kit.store.listEvents('support')).filter((e) => e.content.type === 'system');
    expect(notices.map((e) => (e.content as { data: Record<string, unknown> }).data)).toEqual([
      expect.objectContaining({ status: 'delivered', providerMessageId: first.id, channelId: 'sms' }),
      expect.objectContaining({ status: 'undelivered', providerMessageId: second.id, errorCode: '30003' }),
    ]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ channelId: 'sms', error: { carrierCode: '30003' } });
  });

  it('missing, wrong and replayed signatures get 403 and nothing is stored', async () => {
    const ok = await fake.receiveMessage({ from: CALLER, text: 'genuine' });
    expect(ok.response.status).toBe(200);
    await rig.kit.waitForIdle();
    const before = await rig.kit.store.countEvents('support');
    const params = parseUrlEncoded(ok.body.toString());
    const forged = encodeForm({
      ...(params as Record<string, string>),
      Body: 'forged',
      MessageSid: 'SMforged',
    });
    const { 'x-twilio-signature': _sig, ...unsigned } = ok.headers;
    expect((await fake.post(rig.webhookUrl, unsigned, forged)).response.status).toBe(403);
    expect((await fake.post(rig.webhookUrl, { ...ok.headers }, forged)).response.status).toBe(403);
    expect((await fake.replay(ok)).response.status).toBe(403);
    await rig.kit.waitForIdle();
    expect(await rig.kit.store.countEvents('support')).toBe(before);
  });

  it('STOP opts the number out (no more sends, and no confirmation of ours: Twilio sends it), START opts back in', async () => {
    await fake.receiveMessage({ from: CALLER, text: 'hello' });
    await rig.kit.waitForIdle();
    expect(fake.sent).toHaveLength(1);
    rig.ai.calls.length = 0;
    const stop = await fake.receiveMessage({ from: CALLER, text: 'Stop' });
    expect(stop.response.status).toBe(200);
    await rig.kit.waitForIdle();
    expect(await rig.sms.isOptedOut(CALLER)).toBe(true);
    expect(rig.ai.calls).toHaveLength(0); // the AI does not answer a keyword
    expect(fake.sent).toHaveLength(1);
    const stored = (await rig.kit.store.listEvents('support')).at(-1)!;
    expect(stored.metadata.smsKeyword).toBe('stop');
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'promo!' });
    await rig.kit.waitForIdle();
    expect(fake.sent).toHaveLength(1);
    expect(fake.requests.filter((r) => r.path.endsWith('/Messages.json'))).toHaveLength(1);

    await fake.receiveMessage({ from: CALLER, text: 'START' });
    await rig.kit.waitForIdle();
    expect(await rig.sms.isOptedOut(CALLER)).toBe(false);
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'welcome back' });
    await rig.kit.waitForIdle();
    expect(fake.sent.at(-1)!.text).toBe('welcome back');
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
