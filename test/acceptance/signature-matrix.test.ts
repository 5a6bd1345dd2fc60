/**
 * Issue 12, acceptance 3: every webhook we mount (Twilio, Telnyx, Vonage, WhatsApp, SendGrid,
 * Mailgun, our own signed webhook) refuses a missing, a wrong and a replayed signature with 403,
 * and nothing is stored: no event, no room, no participant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EmailChannel,
  HTTPWebhookChannel,
  type ListeningWebhooks,
  listenWebhooks,
  ROOMKIT_SIGNATURE_HEADER,
  RoomKit,
  SMSChannel,
  signWebhookBody,
  WhatsAppChannel,
} from '../../src/index.js';
import { TelnyxSMSProvider } from '../../src/providers/telnyx/index.js';
import { TwilioSMSProvider } from '../../src/providers/twilio/index.js';
import { VonageSMSProvider } from '../../src/providers/vonage/index.js';
import { WhatsAppCloudProvider } from '../../src/providers/whatsapp/index.js';
import {
  type DispatchedWebhook,
  FakeMailgunRoutes,
  FakeSendGridInboundParse,
  FakeTelnyxServer,
  FakeTwilioServer,
  FakeVonageServer,
  FakeWhatsAppServer,
  postWebhook,
} from '../../src/testing/index.js';
import { silent } from '../voice/channel/helpers.js';

const twilio = new FakeTwilioServer();
const telnyx = new FakeTelnyxServer();
const vonage = new FakeVonageServer();
const whatsapp = new FakeWhatsAppServer();
const sendgrid = new FakeSendGridInboundParse();
const mailgun = new FakeMailgunRoutes();
const SECRET = 'matrix-secret';
let kit: RoomKit;
let hooks: ListeningWebhooks;

beforeAll(async () => {
  await Promise.all([twilio.start(), telnyx.start(), vonage.start(), whatsapp.start()]);
  kit = new RoomKit({ logger: silent });
  const channels = [
    new SMSChannel('twilio', { provider: new TwilioSMSProvider(twilio.providerOptions) }),
    new SMSChannel('telnyx', { provider: new TelnyxSMSProvider(telnyx.providerOptions) }),
    new SMSChannel('vonage', { provider: new VonageSMSProvider(vonage.providerOptions) }),
    new WhatsAppChannel('whatsapp', {
      provider: new WhatsAppCloudProvider(whatsapp.providerOptions),
      markInboundRead: false,
    }),
    new EmailChannel('email', {
      from: 'support@shop.example',
      sendgridPublicKey: sendgrid.publicKey,
      mailgunSigningKey: mailgun.signingKey,
    }),
    new HTTPWebhookChannel('crm', { secret: SECRET }),
  ];
  for (const channel of channels) kit.registerChannel(channel);
  hooks = await listenWebhooks(channels);
  twilio.webhookUrl = `${hooks.url}/webhooks/twilio`;
  telnyx.webhookUrl = `${hooks.url}/webhooks/telnyx`;
  vonage.webhookUrl = `${hooks.url}/webhooks/vonage`;
  whatsapp.webhookUrl = `${hooks.url}/webhooks/whatsapp`;
  sendgrid.webhookUrl = `${hooks.url}/webhooks/email/sendgrid`;
  mailgun.webhookUrl = `${hooks.url}/webhooks/email/mailgun`;
});

afterAll(async () => {
  await kit.close();
  await hooks.close();
  await Promise.all([twilio.stop(), telnyx.stop(), vonage.stop(), whatsapp.stop()]);
});

const TEXT = 'genuine_message_42'; // no spaces: form bodies encode them as '+'
const message = { from: '+15550102030', text: TEXT };
const mail = { from: 'ana@customer.example', to: 'support@shop.example', subject: 'Hi', text: TEXT };

interface Vendor {
  name: string;
  genuine(): Promise<DispatchedWebhook>;
  /** Request headers with the signature taken out. */
  unsigned(h: Record<string, string>, body: Buffer): { headers: Record<string, string>; body: Buffer };
}

const drop = (h: Record<string, string>, ...names: string[]) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !names.includes(k.toLowerCase())));

const vendors: Vendor[] = [
  {
    name: 'twilio',
    genuine: () => twilio.receiveMessage(message),
    unsigned: (h, body) => ({ headers: drop(h, 'x-twilio-signature'), body }),
  },
  {
    name: 'telnyx',
    genuine: () => telnyx.receiveMessage(message),
    unsigned: (h, body) => ({ headers: drop(h, 'telnyx-signature-ed25519', 'telnyx-timestamp'), body }),
  },
  {
    name: 'vonage',
    genuine: () => vonage.receiveMessage(message),
    unsigned: (h, body) => ({ headers: drop(h, 'authorization'), body }),
  },
  {
    name: 'whatsapp',
    genuine: () => whatsapp.receiveMessage(message),
    unsigned: (h, body) => ({ headers: drop(h, 'x-hub-signature-256'), body }),
  },
  {
    name: 'sendgrid',
    genuine: () => sendgrid.deliver(mail),
    unsigned: (h, body) => ({
      headers: drop(h, 'x-twilio-email-event-webhook-signature', 'x-twilio-email-event-webhook-timestamp'),
      body,
    }),
  },
  {
    name: 'mailgun',
    genuine: () => mailgun.forward(mail),
    // Mailgun signs in the body: take the three signature fields out.
    unsigned: (h, body) => ({
      headers: h,
      body: Buffer.from(body.toString().replace(/&?(signature|token|timestamp)=[^&]*/g, '')),
    }),
  },
  {
    name: 'roomkit webhook',
    genuine: () => {
      const body = JSON.stringify({ id: `m-${Date.now()}`, text: TEXT, senderId: 'crm' });
      return postWebhook(
        `${hooks.url}/webhooks/crm`,
        { 'content-type': 'application/json', [ROOMKIT_SIGNATURE_HEADER]: signWebhookBody(SECRET, body) },
        body,
      );
    },
    unsigned: (h, body) => ({ headers: drop(h, ROOMKIT_SIGNATURE_HEADER), body }),
  },
];

async function snapshot() {
  const rooms = await kit.listRooms();
  let events = 0;
  let participants = 0;
  for (const room of rooms) {
    events += await kit.store.countEvents(room.id);
    participants += (await kit.listParticipants(room.id)).length;
  }
  return { rooms: rooms.length, events, participants };
}

describe('signature matrix: every webhook', () => {
  it.each(vendors)(
    '$name: missing, wrong and replayed signatures get 403 and store nothing',
    async (vendor) => {
      const ok = await vendor.genuine();
      expect(ok.response.status).toBe(200);
      await kit.waitForIdle();
      const before = await snapshot();
      expect(before.events).toBeGreaterThan(0);

      const missing = vendor.unsigned(ok.headers, ok.body);
      const wrong = Buffer.from(ok.body.toString().replace(TEXT, 'tampered_message_42'));
      expect(wrong.equals(ok.body)).toBe(false);
      const answers = [
        (await postWebhook(ok.url, missing.headers, missing.body)).response.status,
        (await postWebhook(ok.url, ok.headers, wrong)).response.status,
        (await postWebhook(ok.url, ok.headers, ok.body)).response.status,
      ];
      expect(answers).toEqual([403, 403, 403]);
      await kit.waitForIdle();
      expect(await snapshot()).toEqual(before);
    },
  );
});
