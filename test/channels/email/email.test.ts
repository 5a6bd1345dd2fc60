import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  EmailChannel,
  EmailThreading,
  replySubject,
  stripQuotedReply,
} from '../../../src/channels/email/index.js';
import {
  FakeMailgunRoutes,
  FakeSendGridInboundParse,
  FakeSMTPServer,
} from '../../../src/testing/fake-carriers/index.js';
import { type SmsRig, smsRig, texts } from '../sms/helpers.js';

describe('quoted replies are stripped', () => {
  it.each([
    [
      'Gmail',
      'Sounds good, Tuesday works.\n\nOn Mon, Jun 2, 2025 at 9:14 AM Shop <support@shop.example> wrote:\n> Can we call Tuesday?\n> Thanks',
      'Sounds good, Tuesday works.',
    ],
    [
      'Gmail, attribution wrapped',
      'Yes.\n\nOn Mon, Jun 2, 2025 at 9:14 AM Shop Support <support@shop.example>\nwrote:\n> old',
      'Yes.',
    ],
    [
      'Outlook',
      'Please cancel it.\n\n________________________________\nFrom: Shop <support@shop.example>\nSent: Monday\nSubject: Order',
      'Please cancel it.',
    ],
    [
      'Outlook header block',
      'Fine.\n\nFrom: Shop Support <support@shop.example>\nSent: Monday, June 2, 2025 9:14 AM\nTo: Ana\nSubject: Re: x\n\nold text',
      'Fine.',
    ],
    [
      'French',
      'Merci !\n\nLe lun. 2 juin 2025 à 09:14, Shop <support@shop.example> a écrit :\n> Bonjour',
      'Merci !',
    ],
    [
      'German',
      'Danke.\n\nAm Mo., 2. Juni 2025 um 09:14 Uhr schrieb Shop <support@shop.example>:\n> Hallo',
      'Danke.',
    ],
    ['bare quote', 'Agreed.\n> earlier line\n> another', 'Agreed.'],
    ['signature', 'See you then.\n-- \nAna Lima\nACME Corp', 'See you then.'],
    ['Original Message', 'ok\n-----Original Message-----\nFrom: x', 'ok'],
  ])('%s', (_name, input, expected) => {
    expect(stripQuotedReply(input)).toBe(expected);
  });

  it('keeps a reply that is only a quote rather than nothing', () => {
    expect(stripQuotedReply('> just the quote')).toBe('> just the quote');
  });
});

describe('email threading', () => {
  const threading = new EmailThreading('secret-1', 'shop.example');

  it('a Message-ID of ours names its room, and a forged one names none', () => {
    const id = threading.messageId('room/with spaces', 'evt_123');
    expect(id).toMatch(/^<rk\..+@shop\.example>$/);
    expect(threading.roomOf(id)).toBe('room/with spaces');
    const forgedRoom = id.replace(
      /\.([\w-]+)\.([0-9a-f]{24})@/,
      (_m, _room, tag) => `.${Buffer.from('billing').toString('base64url')}.${tag}@`,
    );
    expect(threading.roomOf(forgedRoom)).toBeUndefined();
    expect(new EmailThreading('another-secret', 'shop.example').roomOf(id)).toBeUndefined();
    expect(threading.roomOf('<CAF=abc@mail.gmail.com>')).toBeUndefined();
  });

  it('In-Reply-To wins, then the newest reference of ours', () => {
    const a = threading.messageId('a', 'e1');
    const b = threading.messageId('b', 'e2');
    expect(threading.roomOfReply(undefined, [a, '<x@y>', b])).toBe('b');
    expect(threading.roomOfReply(a, [b])).toBe('a');
  });

  it('subjects get one Re:', () => {
    expect(replySubject('Re: RE: Fwd: Order 12', 'x')).toBe('Re: Order 12');
    expect(replySubject(undefined, 'New message')).toBe('New message');
  });
});

describe('EmailChannel inbound webhooks: SendGrid Inbound Parse and Mailgun routes', () => {
  let relay: FakeSMTPServer;
  let sendgrid: FakeSendGridInboundParse;
  let mailgun: FakeMailgunRoutes;
  let rig: SmsRig<EmailChannel>;

  beforeEach(async () => {
    relay = new FakeSMTPServer();
    await relay.start();
    sendgrid = new FakeSendGridInboundParse();
    mailgun = new FakeMailgunRoutes();
    rig = await smsRig(
      () =>
        new EmailChannel('email', {
          from: 'Support <support@shop.example>',
          smtp: relay.transportOptions,
          threadSecret: 'thread-secret',
          sendgridPublicKey: sendgrid.publicKey,
          mailgunSigningKey: mailgun.signingKey,
        }),
      { replies: ['Thanks, noted.'] },
    );
    sendgrid.webhookUrl = `${rig.hooks.url}${rig.sms.webhookPath}/sendgrid`;
    mailgun.webhookUrl = `${rig.hooks.url}${rig.sms.webhookPath}/mailgun`;
  });
  afterEach(async () => {
    await rig.close();
    await relay.stop();
  });

  const email = (text: string, extra: object = {}) => ({
    from: 'Ana Lima <ana@customer.example>',
    to: 'support@shop.example',
    subject: 'Question',
    text,
    messageId: `<${Math.random().toString(36).slice(2)}@customer.example>`,
    ...extra,
  });

  it('SendGrid parsed mode: the email becomes an event, attachments go to the media store, the answer goes by SMTP', async () => {
    const pdf = Buffer.from('%PDF-1.7 invoice');
    const hook = await sendgrid.deliver(
      email('Where is my refund?\n\nOn Mon, Shop wrote:\n> old', {
        attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', data: pdf }],
      }),
    );
    expect(hook.response.status).toBe(200);
    await rig.kit.waitForIdle();
    const [event] = await rig.kit.store.listEvents('support');
    expect(event!.content).toMatchObject({
      type: 'media',
      caption: 'Where is my refund?',
      filename: 'invoice.pdf',
      mimeType: 'application/pdf',
    });
    expect(event!.metadata).toMatchObject({
      contact: 'ana@customer.example',
      email: { via: 'sendgrid', subject: 'Question' },
    });
    const stored = await rig.sms.mediaStore.get(
      (event!.content as { url: string }).url.slice('roomkit-media:'.length),
    );
    expect(stored?.data.equals(pdf)).toBe(true);
    expect(relay.received).toHaveLength(1);
    expect(relay.received[0]!.header('in-reply-to')).toBe(
      event!.metadata.email && (event!.metadata.email as { messageId: string }).messageId,
    );
    expect(relay.received[0]!.header('subject')).toBe('Re: Question');
  });

  it('Mailgun routes: urlencoded and multipart both arrive', async () => {
    await mailgun.forward(email('First question'));
    await mailgun.forward(
      email('With a file', {
        attachments: [{ filename: 'a.txt', contentType: 'text/plain', data: Buffer.from('hello') }],
      }),
    );
    await rig.kit.waitForIdle();
    const events = await rig.kit.store.listEvents('support');
    expect(texts(events)).toEqual(['First question', 'Thanks, noted.', 'Thanks, noted.']);
    expect(events.find((e) => e.content.type === 'media')?.content).toMatchObject({
      caption: 'With a file',
      filename: 'a.txt',
    });
  });

  it.each(['sendgrid', 'mailgun'] as const)(
    '%s: missing, wrong, replayed and stale signatures get 403, nothing stored',
    async (vendor) => {
      const ok =
        vendor === 'sendgrid'
          ? await sendgrid.deliver(email('genuine text'))
          : await mailgun.forward(email('genuine text'));
      expect(ok.response.status).toBe(200);
      await rig.kit.waitForIdle();
      const before = await rig.kit.store.countEvents('support');
      const post = (headers: Record<string, string>, body: Buffer) =>
        fetch(ok.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5_000) }).then(
          (r) => r.status,
        );
      if (vendor === 'sendgrid') {
        const { 'x-twilio-email-event-webhook-signature': _s, ...unsigned } = ok.headers;
        expect(await post(unsigned, ok.body)).toBe(403);
      } else {
        expect(
          await post(
            ok.headers,
            Buffer.from(
              ok.body.toString().replace(/name="signature"\r\n\r\n[0-9a-f]+|signature=[0-9a-f]+/, ''),
            ),
          ),
        ).toBe(403);
      }
      expect(
        await post(ok.headers, Buffer.from(ok.body.toString().replace('genuine text', 'forged! text'))),
      ).toBe(403);
      expect(await post(ok.headers, ok.body)).toBe(403);
      const fake = vendor === 'sendgrid' ? sendgrid : mailgun;
      fake.clockSkewSeconds = -3600;
      const stale =
        vendor === 'sendgrid' ? await sendgrid.deliver(email('late')) : await mailgun.forward(email('late'));
      expect(stale.response.status).toBe(403);
      expect(await rig.kit.store.countEvents('support')).toBe(before);
    },
  );

  it('an SMTP 4xx is retried (kept in the outbox), a 5xx is final', async () => {
    await rig.kit.detachChannel('support', 'email');
    await rig.kit.attachChannel('support', 'email', { metadata: { to: 'ana@customer.example' } });
    const failures: { code?: string; retryable?: boolean }[] = [];
    rig.kit.on('delivery_failed', (p) => failures.push(p.error as never));
    relay.failWith = 550;
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'bounced' });
    await rig.kit.waitForIdle();
    expect(failures.map((f) => [f.code, f.retryable])).toEqual([['smtp_550', false]]);
    expect(rig.sms.outbox.size).toBe(0);
    relay.failWith = 451;
    await rig.kit.sendEvent('support', 'ai', { type: 'text', body: 'try later' });
    await rig.kit.waitForIdle();
    expect(rig.sms.outbox.size).toBe(1);
  });
});
