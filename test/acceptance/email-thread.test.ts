/**
 * Issue 12, acceptance 2: an email thread over real SMTP. We email the customer from a room;
 * their reply (sent over SMTP to our listener) lands in that same room, even though they took
 * part in another room more recently; our answer carries In-Reply-To and References.
 */
import nodemailer from 'nodemailer';
import { afterEach, expect, it, vi } from 'vitest';
import {
  AIChannel,
  ChannelCategory,
  ContactIdentityResolver,
  EmailChannel,
  RoomKit,
} from '../../src/index.js';
import { FakeSMTPServer, MockAIProvider } from '../../src/testing/index.js';
import { silent } from '../voice/channel/helpers.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('a reply to our email lands in the same room and our answer carries the threading headers', async () => {
  const relay = new FakeSMTPServer(); // where our outbound mail goes
  await relay.start();
  cleanup.push(() => relay.stop());

  const kit = new RoomKit({ logger: silent, identityResolver: new ContactIdentityResolver() });
  cleanup.push(() => kit.close());
  const email = new EmailChannel('email', {
    from: 'Shop Support <support@shop.example>',
    smtp: relay.transportOptions,
    threadSecret: 'a-long-random-secret-for-the-test',
    inboundSmtp: { domains: ['shop.example'] },
  });
  const ai = new MockAIProvider({ responses: ['Sorry about that! A replacement is on its way.'] });
  kit.registerChannel(email);
  kit.registerChannel(new AIChannel('agent', { provider: ai }));
  const port = (await email.listen())!;

  const ANA = 'ana@customer.example';
  for (const [roomId, subject] of [
    ['orders', 'Your order #1234'],
    ['billing', 'Your invoice'],
  ] as const) {
    await kit.createRoom({ roomId });
    await kit.attachChannel(roomId, 'email', { metadata: { to: ANA, subject } });
    await kit.attachChannel(roomId, 'agent', { category: ChannelCategory.INTELLIGENCE });
  }
  await kit.sendEvent('orders', 'agent', {
    type: 'text',
    body: 'Your order #1234 has shipped. Reply if anything is wrong.',
  });
  await kit.sendEvent('billing', 'agent', { type: 'text', body: 'Your invoice for May is ready.' });
  await kit.waitForIdle();
  expect(relay.received).toHaveLength(2);
  const ours = relay.received[0]!;
  expect(ours.envelope.to).toEqual([ANA]);
  expect(ours.header('subject')).toBe('Your order #1234');
  expect(ours.header('in-reply-to')).toBeUndefined();
  const ourId = ours.parsed.messageId!;
  expect(email.threading.roomOf(ourId)).toBe('orders');

  // Ana was active in 'billing' last: without threading, routing by sender would pick it.
  await kit.addParticipant('billing', { id: ANA, channelId: 'email' });

  // Ana replies to the first email, from her own mail client, over SMTP to our listener.
  const customer = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  cleanup.push(async () => customer.close());
  const photo = Buffer.from('ffd8ffe000104a464946000101', 'hex');
  const sent = await customer.sendMail({
    from: 'Ana Lima <ana@customer.example>',
    to: 'support@shop.example',
    subject: 'Re: Your order #1234',
    inReplyTo: ourId,
    references: [ourId],
    text: 'The parcel arrived damaged, see the photo.\n\nOn Tue, 3 Jun 2025 at 10:00, Shop Support <support@shop.example> wrote:\n> Your order #1234 has shipped. Reply if anything is wrong.\n',
    attachments: [{ filename: 'parcel.jpg', contentType: 'image/jpeg', content: photo }],
  });
  await vi.waitFor(() => expect(relay.received).toHaveLength(3), { timeout: 10_000, interval: 20 });
  await kit.waitForIdle();

  const orders = await kit.store.listEvents('orders');
  // One message, one event (and one answer): the text is the photo's caption.
  const fromAna = orders.filter((e) => e.source.channelId === 'email');
  expect(fromAna).toHaveLength(1);
  expect(fromAna[0]!.content).toMatchObject({
    type: 'media',
    mimeType: 'image/jpeg',
    filename: 'parcel.jpg',
    caption: 'The parcel arrived damaged, see the photo.',
  });
  expect(fromAna[0]!.source.participantId).toBe(ANA);
  const stored = await email.mediaStore.get(
    (fromAna[0]!.content as { url: string }).url.slice('roomkit-media:'.length),
  );
  expect(stored?.data.equals(photo)).toBe(true);
  expect((await kit.store.listEvents('billing')).filter((e) => e.source.channelId === 'email')).toHaveLength(
    0,
  );

  // Our answer continues the thread (and there is exactly one).
  await new Promise((r) => setTimeout(r, 200));
  expect(relay.received).toHaveLength(3);
  const answer = relay.received[2]!;
  expect(answer.parsed.text?.trim()).toBe('Sorry about that! A replacement is on its way.');
  expect(answer.envelope.to).toEqual([ANA]);
  expect(answer.header('subject')).toBe('Re: Your order #1234');
  expect(answer.header('in-reply-to')).toBe(sent.messageId);
  expect(answer.header('references')?.split(/\s+/)).toEqual([ourId, sent.messageId]);
  expect(email.threading.roomOf(answer.parsed.messageId!)).toBe('orders');
});
