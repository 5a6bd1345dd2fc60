/**
 * `roomkit serve` mounts the carriers the environment configures: a call to the Twilio number
 * lands in a room of its own wired like the console's (web + agent), the caller is heard and
 * answered by voice, the hang-up is a system event in the room, and when the caller texts
 * from the same number the conversation continues in that room by SMS. The carrier's
 * webhook and stream authenticate by its signature, not by the roomkit token.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import {
  FakeTwilioServer,
  MockAIProvider,
  MockSTTProvider,
  MockTTSProvider,
  postWebhook,
} from '../../src/testing/index.js';
import type { VoiceChannel } from '../../src/voice/index.js';
import { question } from './conformance.js';

const twilio = new FakeTwilioServer({ phoneNumber: '+15005550006' });
let server: RunningServer;
let dir: string;

beforeAll(async () => {
  await twilio.start();
  dir = mkdtempSync(join(tmpdir(), 'rk-serve-carriers-'));
  vi.stubEnv('TWILIO_ACCOUNT_SID', twilio.accountSid);
  vi.stubEnv('TWILIO_AUTH_TOKEN', twilio.authToken);
  vi.stubEnv('TWILIO_PHONE_NUMBER', twilio.phoneNumber);
  vi.stubEnv('TWILIO_API_BASE_URL', twilio.baseUrl);
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new MockAIProvider({
      responses: ['Your order ships today.', 'Noted: leave it at the door.'],
    }),
    voice: {
      stt: new MockSTTProvider({ transcripts: ['where is my order'] }),
      tts: new MockTTSProvider({ msPerChar: 10 }),
      label: 'mock',
    },
  });
  twilio.webhookUrl = `${server.url}/webhooks/twilio`;
}, 30_000);

afterAll(async () => {
  vi.unstubAllEnvs();
  await server?.close();
  await twilio.stop();
  rmSync(dir, { recursive: true, force: true });
});

const texts = async (roomId: string) =>
  (await server.kit.store.listEvents(roomId)).map((e) =>
    e.content.type === 'text'
      ? `${e.source.channelId}: ${e.content.body}`
      : e.content.type === 'system'
        ? `[${e.content.code}]`
        : '',
  );

it('a call to the Twilio number: its own room, voice both ways, the hang-up in the timeline, then SMS in the same room', async () => {
  expect(server.info.carriers).toEqual([
    {
      carrier: 'twilio',
      channelId: 'voice-twilio',
      answerPath: '/carriers/twilio/answer',
      statusPath: '/carriers/twilio/status',
    },
  ]);
  const webhookUrl = `${server.url}/carriers/twilio/answer`;
  // Unsigned: refused before anything exists, token or not.
  const unsigned = twilio.voice.answerRequest({ webhookUrl, from: '+15550107777' });
  const { 'x-twilio-signature': _s, ...headers } = unsigned.headers;
  expect((await postWebhook(webhookUrl, headers, unsigned.body)).response.status).toBe(403);

  const placed = await twilio.voice.placeCall({ webhookUrl, from: '+15550107777' });
  const call = placed.call!;
  // The caller speaks once the voice channel has the call (audio before that is not listened to).
  const voice = server.kit.getChannel<VoiceChannel>('voice-twilio')!;
  await vi.waitFor(
    async () => {
      const rooms = (await server.kit.listRooms()).filter((r) => r.id !== 'lobby');
      expect(rooms.flatMap((r) => voice.sessionsIn(r.id))).toHaveLength(1);
    },
    { timeout: 15_000, interval: 25 },
  );
  await call.streamAudio(question(8000));
  const roomId = await vi.waitFor(
    async () => {
      const room = (await server.kit.listRooms()).find((r) => r.id !== 'lobby');
      expect(room).toBeDefined();
      expect(await texts(room!.id)).toEqual([
        '[call_started]',
        'voice-twilio: where is my order',
        'agent: Your order ships today.',
      ]);
      return room!.id;
    },
    { timeout: 15_000, interval: 50 },
  );
  const bindings = (await server.kit.listBindings(roomId)).map((b) => b.channelId).sort();
  expect(bindings).toEqual(['agent', 'voice-twilio', 'web']);
  // The answer came back down the line.
  await vi.waitFor(() => expect(call.receivedMs).toBeGreaterThan(150), { timeout: 10_000, interval: 25 });

  await call.hangup();
  await vi.waitFor(async () => expect(await texts(roomId)).toContain('[call_ended]'), {
    timeout: 10_000,
    interval: 25,
  });

  // The caller texts from the same number: same room, and the agent answers by SMS.
  const sms = await twilio.receiveMessage({ from: '+15550107777', text: 'Please leave it at the door' });
  expect(sms.response.status).toBe(200);
  await vi.waitFor(
    () =>
      expect(twilio.sent.map((m) => [m.to, m.text])).toEqual([
        ['+15550107777', 'Noted: leave it at the door.'],
      ]),
    {
      timeout: 10_000,
      interval: 25,
    },
  );
  expect((await texts(roomId)).slice(-2)).toEqual([
    'twilio: Please leave it at the door',
    'agent: Noted: leave it at the door.',
  ]);
  expect((await server.kit.listRooms()).filter((r) => r.id !== 'lobby')).toHaveLength(1);
});
