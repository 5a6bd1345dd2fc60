/**
 * The official `twilio` package referees the Twilio media-stream backend: its request
 * validation agrees with ours on the voice webhook and on the stream's `wss://` upgrade
 * (signed and tampered), and our TwiML is what its VoiceResponse builder produces.
 */
import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFormBody } from '../../src/providers/shared/form-body.js';
import {
  connectStreamTwiml,
  dialTwiml,
  rejectTwiml,
  TwilioMediaStreamBackend,
  verifyTwilioSignature,
} from '../../src/providers/twilio/index.js';
import { FakeTwilioServer, parseXml, postWebhook } from '../../src/testing/index.js';
import { eventually } from '../conformance/backend.js';
import { memoryLogger } from '../backends/sip/helpers.js';
import { loopbackServer } from './loopback-server.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function rig() {
  const fake = new FakeTwilioServer();
  await fake.start();
  cleanup.push(() => fake.stop());
  const backend = new TwilioMediaStreamBackend({
    accountSid: fake.accountSid,
    authToken: fake.authToken,
    baseUrl: fake.baseUrl,
    roomId: 'support',
    logger: memoryLogger(),
  });
  const { http, origin } = await loopbackServer(cleanup);
  backend.attach(http);
  cleanup.push(() => backend.close());
  return { fake, backend, webhookUrl: `${origin}/carriers/twilio/answer` };
}

describe('the twilio package agrees with our request validation', () => {
  it('on the voice webhook, signed and tampered', async () => {
    const { fake, webhookUrl } = await rig();
    const request = fake.voice.answerRequest({ webhookUrl, from: '+15551230001' });
    const params = parseFormBody(Buffer.from(request.body), request.headers['content-type']).fields as Record<
      string,
      string
    >;
    const signature = request.headers['x-twilio-signature']!;
    expect(twilio.validateRequest(fake.authToken, signature, webhookUrl, params)).toBe(true);
    expect(verifyTwilioSignature(fake.authToken, signature, webhookUrl, params)).toBe(true);
    const tampered = { ...params, From: '+15550000000' };
    expect(twilio.validateRequest(fake.authToken, signature, webhookUrl, tampered)).toBe(false);
    expect(verifyTwilioSignature(fake.authToken, signature, webhookUrl, tampered)).toBe(false);
    // What the backend answers follows the same verdicts.
    const forged = await postWebhook(webhookUrl, request.headers, new URLSearchParams(tampered).toString());
    expect(forged.response.status).toBe(403);
    expect((await postWebhook(webhookUrl, request.headers, request.body)).response.status).toBe(200);
  });

  it('on the wss:// upgrade: a stream signed by the twilio package connects, a tampered URL does not', async () => {
    const { fake, backend, webhookUrl } = await rig();
    const request = fake.voice.answerRequest({ webhookUrl, from: '+15551230001' });
    const answer = await postWebhook(request.url, request.headers, request.body);
    const url = fake.voice.streamUrlOf(answer);
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/carriers\/twilio\/stream\/[\w-]+\/[\w-]+$/);
    const official = twilio.getExpectedTwilioSignature(fake.authToken, url, {});
    expect(official).toBe(fake.voice.upgradeHeaders(url)['x-twilio-signature']);
    expect(verifyTwilioSignature(fake.authToken, official, url)).toBe(true);
    // A signature for another call's URL: both refuse it, and so does the upgrade.
    const other = `${url.slice(0, -4)}AAAA`;
    const forged = twilio.getExpectedTwilioSignature(fake.authToken, other, {});
    expect(twilio.validateRequest(fake.authToken, forged, url, {})).toBe(false);
    expect(verifyTwilioSignature(fake.authToken, forged, url)).toBe(false);
    const refused = fake.voice.openStream(url, request, { 'x-twilio-signature': forged });
    await expect(refused.opened).rejects.toThrow(/403/);
    const ready: string[] = [];
    backend.onSessionReady((s) => ready.push(s.id));
    const accepted = fake.voice.openStream(url, request, { 'x-twilio-signature': official });
    await accepted.opened;
    await eventually(() => expect(ready).toHaveLength(1), 5000);
  });
});

describe('our TwiML is what the twilio VoiceResponse builder produces', () => {
  it('<Connect><Stream> with parameters, as the backend answers a call', async () => {
    const { fake, webhookUrl } = await rig();
    const request = fake.voice.answerRequest({ webhookUrl, from: '+15551230001' });
    const answer = await postWebhook(request.url, request.headers, request.body);
    expect(answer.response.status).toBe(200);
    const url = fake.voice.streamUrlOf(answer);
    const expected = new twilio.twiml.VoiceResponse();
    const stream = expected.connect().stream({ url });
    stream.parameter({ name: 'callSid', value: request.callId });
    stream.parameter({ name: 'from', value: '+15551230001' });
    stream.parameter({ name: 'to', value: fake.phoneNumber });
    expect(parseXml(answer.response.body)).toEqual(parseXml(expected.toString()));
  });

  it('with characters that need escaping, rejections and transfers', () => {
    const url = 'wss://bot.example.com/carriers/twilio/stream/a/b';
    const parameters = { note: `<Tom & "Jerry's">`, lang: 'fr' };
    const connect = new twilio.twiml.VoiceResponse();
    const stream = connect.connect().stream({ url });
    for (const [name, value] of Object.entries(parameters)) stream.parameter({ name, value });
    expect(parseXml(connectStreamTwiml({ url, parameters }))).toEqual(parseXml(connect.toString()));
    const reject = new twilio.twiml.VoiceResponse();
    reject.reject({ reason: 'rejected' });
    expect(parseXml(rejectTwiml())).toEqual(parseXml(reject.toString()));
    const dial = new twilio.twiml.VoiceResponse();
    dial.dial().number('+15559990000');
    expect(parseXml(dialTwiml('+15559990000'))).toEqual(parseXml(dial.toString()));
    const sip = new twilio.twiml.VoiceResponse();
    sip.dial().sip('sip:agent@pbx.example.com');
    expect(parseXml(dialTwiml('sip:agent@pbx.example.com'))).toEqual(parseXml(sip.toString()));
  });
});
