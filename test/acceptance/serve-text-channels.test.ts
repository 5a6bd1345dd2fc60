/**
 * `roomkit serve` mounts the webhooks of the providers configured in the environment: a text
 * from a new number gets its own room wired with the agent, the agent answers by SMS, the
 * webhook needs the vendor's signature (not the roomkit token), and /api/info lists the channel.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { FakeTwilioServer, MockAIProvider } from '../../src/testing/index.js';
import { launchChromium } from '../helpers/browser.js';

const twilio = new FakeTwilioServer({ phoneNumber: '+15005550006' });
let server: RunningServer;
let dir: string;
let browser: Browser | undefined;

beforeAll(async () => {
  await twilio.start();
  dir = mkdtempSync(join(tmpdir(), 'rk-serve-text-'));
  vi.stubEnv('TWILIO_ACCOUNT_SID', twilio.accountSid);
  vi.stubEnv('TWILIO_AUTH_TOKEN', twilio.authToken);
  vi.stubEnv('TWILIO_PHONE_NUMBER', twilio.phoneNumber);
  vi.stubEnv('TWILIO_API_BASE_URL', twilio.baseUrl);
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new MockAIProvider({ responses: ['Hi! This is the agent.'] }),
    voice: false,
  });
  twilio.webhookUrl = `${server.url}/webhooks/twilio`;
}, 30_000);

afterAll(async () => {
  await browser?.close();
  vi.unstubAllEnvs();
  await server?.close();
  await twilio.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('a text to the Twilio number gets a room with the agent, which answers by SMS', async () => {
  expect(server.info.textChannels).toEqual([
    { id: 'twilio', type: 'sms', provider: 'twilio', webhooks: ['/webhooks/twilio'] },
  ]);
  const hook = await twilio.receiveMessage({ from: '+15550107777', text: 'Hello, are you open on Sunday?' });
  expect(hook.response.status).toBe(200);
  await vi.waitFor(
    () =>
      expect(twilio.sent.map((m) => [m.to, m.text])).toEqual([['+15550107777', 'Hi! This is the agent.']]),
    {
      timeout: 10_000,
      interval: 25,
    },
  );
  const rooms = await server.kit.listRooms();
  const room = rooms.find((r) => r.id !== 'lobby')!;
  const bindings = (await server.kit.listBindings(room.id)).map((b) => b.channelId).sort();
  expect(bindings).toEqual(['agent', 'twilio', 'web']);

  // The same number texting again continues in that room.
  await twilio.receiveMessage({ from: '+15550107777', text: 'And on Monday?' });
  await vi.waitFor(() => expect(twilio.sent).toHaveLength(2), { timeout: 10_000, interval: 25 });
  expect((await server.kit.listRooms()).length).toBe(rooms.length);

  // The signature is the webhook's authentication: a copy without it is refused.
  const { 'x-twilio-signature': _s, ...unsigned } = hook.headers;
  expect((await twilio.post(hook.url, unsigned, hook.body)).response.status).toBe(403);
  // STOP is remembered beside the database.
  await twilio.receiveMessage({ from: '+15550107777', text: 'STOP' });
  await vi.waitFor(() => {
    const saved = JSON.parse(readFileSync(join(dir, 'roomkit-sms-opt-outs.json'), 'utf8'));
    expect(saved).toEqual({ '+15005550006': ['+15550107777'] });
  });
});

it('the console shows the channel of each message and the delivery status of replies', async () => {
  await twilio.receiveMessage({ from: '+15550108888', text: 'Console check, please' });
  await vi.waitFor(() => expect(twilio.sent.filter((m) => m.to === '+15550108888')).toHaveLength(1), {
    timeout: 10_000,
    interval: 25,
  });
  const reply = twilio.sent.find((m) => m.to === '+15550108888')!;
  await twilio.reportStatus(reply.id, 'undelivered', { errorCode: '30003' });
  const roomId = (
    await Promise.all(
      (await server.kit.listRooms()).map(async (r) => ({ r, e: await server.kit.store.listEvents(r.id) })),
    )
  ).find(({ e }) => e.some((x) => x.content.type === 'text' && x.content.body === 'Console check, please'))!.r
    .id;
  browser = await launchChromium();
  const token = await server.issueToken({ user: 'viewer', rooms: '*' });
  const page = await browser.newPage();
  await page.goto(`${server.url}/?token=${token}&room=${encodeURIComponent(roomId)}`);
  const timeline = page.getByTestId('timeline');
  await timeline
    .locator('li', { hasText: 'Console check, please' })
    .locator('.who', { hasText: '+15550108888 · sms' })
    .waitFor({ timeout: 10_000 });
  await timeline
    .locator('li.agent', { hasText: 'Hi! This is the agent.' })
    .getByTestId('delivery')
    .filter({ hasText: 'undelivered (30003) · twilio' })
    .waitFor({ timeout: 10_000 });
  // The receipt is shown on the reply, not as a line of its own.
  expect(await timeline.locator('li.system', { hasText: 'delivery status' }).count()).toBe(0);
}, 60_000);
