/**
 * Issue 12, acceptance 4: the SMS provider goes down (the fake answers 503), then recovers.
 * Deliveries are retried, the circuit breaker opens, `delivery_failed` is reported, and once
 * the provider is back every message goes out, once each, in order.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { AIChannel, ChannelCategory, listenWebhooks, RoomKit, SMSChannel } from '../../src/index.js';
import { TwilioSMSProvider } from '../../src/providers/twilio/index.js';
import { FakeTwilioServer, MockAIProvider } from '../../src/testing/index.js';
import { silent } from '../voice/channel/helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('a provider outage delays SMS but loses none: retries, breaker, delivery_failed, then all sent in order', async () => {
  const twilio = new FakeTwilioServer();
  await twilio.start();
  cleanup.push(() => twilio.stop());
  const kit = new RoomKit({
    logger: silent,
    retryPolicy: { maxRetries: 2, baseDelayMs: 10, jitter: false },
    circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 300 },
  });
  cleanup.push(() => kit.close());
  const sms = new SMSChannel('sms', {
    provider: new TwilioSMSProvider({
      ...twilio.providerOptions,
      rateLimit: { maxPerSecond: 100, burst: 10 },
    }),
    outbox: { baseDelayMs: 50, maxDelayMs: 200 },
  });
  kit.registerChannel(sms);
  kit.registerChannel(
    new AIChannel('agent', { provider: new MockAIProvider({ responses: ['Hi! How can I help?'] }) }),
  );
  await kit.createRoom({ roomId: 'r' });
  await kit.attachChannel('r', 'sms');
  await kit.attachChannel('r', 'agent', { category: ChannelCategory.INTELLIGENCE });
  const hooks = await listenWebhooks([sms]);
  cleanup.push(() => hooks.close());
  twilio.webhookUrl = `${hooks.url}${sms.webhookPath}`;

  await twilio.receiveMessage({ from: '+15550100001', text: 'hello' });
  await kit.waitForIdle();
  expect(twilio.sent.map((m) => m.text)).toEqual(['Hi! How can I help?']);

  const failed: { eventId: string; code?: string }[] = [];
  const breaker: string[] = [];
  kit.on('delivery_failed', (p) =>
    failed.push({ eventId: p.event.id, code: (p.error as { code?: string }).code }),
  );
  kit.on('circuit_breaker_opened', () => breaker.push('opened'));
  kit.on('circuit_breaker_closed', () => breaker.push('closed'));

  twilio.outage(503);
  const apiCalls = () => twilio.requests.filter((r) => r.path.endsWith('/Messages.json')).length;
  const callsBefore = apiCalls();
  const notes = ['update 1', 'update 2', 'update 3', 'update 4', 'update 5'];
  for (const body of notes) await kit.sendEvent('r', 'agent', { type: 'text', body });
  await kit.waitForIdle();

  // Retries: the first message was tried three times (1 + maxRetries) before the breaker opened.
  expect(apiCalls() - callsBefore).toBeGreaterThanOrEqual(3);
  expect(breaker).toContain('opened');
  expect(failed.length).toBeGreaterThanOrEqual(1);
  expect(failed.map((f) => f.code)).toContain('provider_error');
  expect(sms.outbox.size).toBe(notes.length);
  // While the provider is down the breaker and the outbox keep the calls bounded (not 3 per message).
  expect(apiCalls() - callsBefore).toBeLessThan(notes.length * 3);

  twilio.recover();
  await vi.waitFor(() => expect(twilio.sent.map((m) => m.text)).toEqual(['Hi! How can I help?', ...notes]), {
    timeout: 10_000,
    interval: 25,
  });
  // The fake counts a message sent when it takes the request; the outbox lets it go when our
  // side has the answer, a moment later.
  await vi.waitFor(() => expect(sms.outbox.size).toBe(0), { timeout: 5_000, interval: 25 });
  // Once each: nothing was sent twice.
  await new Promise((r) => setTimeout(r, 300));
  expect(twilio.sent).toHaveLength(1 + notes.length);
});
