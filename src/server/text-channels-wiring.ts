/**
 * `roomkit serve` with text channels: each provider configured in the environment (Twilio,
 * Telnyx, Vonage, WhatsApp Cloud, email, a signed webhook) becomes a channel whose webhook is
 * mounted at `/webhooks/<id>`. Webhooks authenticate by the vendor's signature, never by the
 * roomkit token. A new contact gets a room of their own wired like the console's (web + agent);
 * a known one (same number or email, on any channel) continues in their latest room.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { EmailChannel } from '../channels/email/email-channel.js';
import { DiskMediaStore, type MediaStore, MemoryMediaStore } from '../channels/messaging/media-store.js';
import type { MessagingChannel, MessagingChannelOptions } from '../channels/messaging/messaging-channel.js';
import { createWebhookHandler } from '../channels/messaging/webhook-endpoint.js';
import { FileOptOutStore, MemoryOptOutStore, type OptOutStore } from '../channels/sms/opt-out.js';
import { SMSChannel } from '../channels/sms/sms-channel.js';
import type { SMSProvider } from '../channels/sms/sms-provider.js';
import { HTTPWebhookChannel } from '../channels/webhook/webhook-channel.js';
import { WhatsAppChannel } from '../channels/whatsapp/whatsapp-channel.js';
import { type ContactIdentityResolver, routeByContact } from '../core/contact-identity.js';
import { errorMessage } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { RoomKit } from '../core/roomkit.js';

export interface TextChannelsOptions {
  /** Creates a room wired with the server's own channels (web clients and the agent). */
  createRoom(roomId?: string): Promise<{ id: string }>;
  /** The kit's identity resolver: the same person on SMS, WhatsApp, email and calls. */
  contacts: ContactIdentityResolver;
  /** The SQLite file: opt-outs and media are kept beside it (in memory when undefined). */
  dbPath?: string;
  env?: NodeJS.ProcessEnv;
  logger: Logger;
}

export interface TextChannelInfo {
  id: string;
  type: string;
  provider: string;
  webhooks: string[];
}

export interface AttachedTextChannels {
  channels: MessagingChannel[];
  info: TextChannelInfo[];
  /** Serve a webhook or media request; resolves false when the path is not one of ours. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
  close(): Promise<void>;
}

/** Build, register and mount the text channels the environment configures (none: a no-op). */
export async function attachTextChannels(
  kit: RoomKit,
  opts: TextChannelsOptions,
): Promise<AttachedTextChannels> {
  const env = opts.env ?? process.env;
  const dataDir = opts.dbPath ? dirname(opts.dbPath) : undefined;
  const publicBaseUrl = env.ROOMKIT_PUBLIC_URL || undefined;
  const mediaStore: MediaStore = dataDir
    ? new DiskMediaStore({ dir: join(dataDir, 'roomkit-media'), publicBaseUrl })
    : new MemoryMediaStore({ publicBaseUrl });
  const optOutStore: OptOutStore = dataDir
    ? new FileOptOutStore(join(dataDir, 'roomkit-sms-opt-outs.json'))
    : new MemoryOptOutStore();
  const common: MessagingChannelOptions = {
    publicBaseUrl,
    mediaStore,
    roomFor: async ({ channelId, address }) => {
      const known = await routeByContact(kit, opts.contacts, {
        channelId,
        address,
        senderId: address,
        content: { type: 'text', body: '' },
      });
      if (known) return known.roomId;
      const room = await opts.createRoom();
      await kit.attachChannel(room.id, channelId);
      return room.id;
    },
  };
  const channels: MessagingChannel[] = [];
  const add = (make: () => MessagingChannel, what: string) => {
    try {
      channels.push(make());
    } catch (error) {
      opts.logger.warn({ channel: what, err: errorMessage(error) }, 'text channel not started');
    }
  };
  const sms = (id: string, provider: () => SMSProvider) => () =>
    new SMSChannel(id, { ...common, provider: provider(), optOutStore });

  if (
    env.TWILIO_ACCOUNT_SID &&
    env.TWILIO_AUTH_TOKEN &&
    (env.TWILIO_PHONE_NUMBER || env.TWILIO_FROM_NUMBER || env.TWILIO_MESSAGING_SERVICE_SID)
  ) {
    const { TwilioSMSProvider } = await import('../providers/twilio/index.js');
    add(
      sms('twilio', () => new TwilioSMSProvider()),
      'twilio',
    );
  }
  if (env.TELNYX_API_KEY && (env.TELNYX_PHONE_NUMBER || env.TELNYX_FROM_NUMBER)) {
    const { TelnyxSMSProvider } = await import('../providers/telnyx/index.js');
    warnUnless(env.TELNYX_PUBLIC_KEY, 'telnyx', 'TELNYX_PUBLIC_KEY', opts.logger);
    add(
      sms('telnyx', () => new TelnyxSMSProvider()),
      'telnyx',
    );
  }
  if (
    ((env.VONAGE_API_KEY && env.VONAGE_API_SECRET) ||
      (env.VONAGE_APPLICATION_ID && env.VONAGE_PRIVATE_KEY)) &&
    (env.VONAGE_PHONE_NUMBER || env.VONAGE_FROM_NUMBER)
  ) {
    const { VonageSMSProvider } = await import('../providers/vonage/index.js');
    warnUnless(env.VONAGE_SIGNATURE_SECRET, 'vonage', 'VONAGE_SIGNATURE_SECRET', opts.logger);
    add(
      sms('vonage', () => new VonageSMSProvider()),
      'vonage',
    );
  }
  if (env.WHATSAPP_ACCESS_TOKEN && env.WHATSAPP_PHONE_NUMBER_ID) {
    const { WhatsAppCloudProvider } = await import('../providers/whatsapp/index.js');
    warnUnless(env.WHATSAPP_APP_SECRET, 'whatsapp', 'WHATSAPP_APP_SECRET', opts.logger);
    const template = env.WHATSAPP_REENGAGEMENT_TEMPLATE;
    add(
      () =>
        new WhatsAppChannel('whatsapp', {
          ...common,
          provider: new WhatsAppCloudProvider(),
          ...(template ? { reengagementTemplate: { name: template } } : {}),
        }),
      'whatsapp',
    );
  }
  if (
    env.EMAIL_FROM &&
    (env.SMTP_URL ||
      env.ROOMKIT_SMTP_PORT ||
      env.SENDGRID_INBOUND_PUBLIC_KEY ||
      env.MAILGUN_WEBHOOK_SIGNING_KEY)
  ) {
    const port = env.ROOMKIT_SMTP_PORT ? Number(env.ROOMKIT_SMTP_PORT) : undefined;
    const domains = (env.EMAIL_DOMAINS ?? env.EMAIL_FROM.replace(/^.*@|>.*$/g, ''))
      .split(',')
      .map((d) => d.trim())
      .filter(Boolean);
    add(
      () =>
        new EmailChannel('email', {
          ...common,
          ...(port !== undefined && Number.isInteger(port)
            ? { inboundSmtp: { port, host: env.ROOMKIT_SMTP_HOST ?? '0.0.0.0', domains } }
            : {}),
        }),
      'email',
    );
  }
  if (env.ROOMKIT_WEBHOOK_SECRET) {
    add(
      () => new HTTPWebhookChannel('webhook', { ...common, url: env.ROOMKIT_WEBHOOK_URL || undefined }),
      'webhook',
    );
  }

  for (const channel of channels) kit.registerChannel(channel);
  for (const channel of channels) {
    if (channel instanceof EmailChannel) {
      const port = await channel.listen().catch((error) => {
        opts.logger.warn({ err: errorMessage(error) }, 'inbound SMTP listener not started');
        return undefined;
      });
      if (port !== undefined) opts.logger.info({ port }, 'inbound SMTP listening');
    }
  }
  const handler = channels.length
    ? createWebhookHandler(channels, {
        publicBaseUrl,
        trustProxy: env.ROOMKIT_TRUST_PROXY === '1',
        mediaStore,
        logger: opts.logger,
      })
    : undefined;
  const info = channels.map((channel) => ({
    id: channel.id,
    type: channel.channelType,
    provider:
      'provider' in channel
        ? String((channel as { provider: { name: string } }).provider.name)
        : channel.channelType,
    webhooks: channel.webhookEndpoints().map((e) => e.path),
  }));
  if (channels.length) opts.logger.info({ channels: info }, 'text channels mounted');
  return {
    channels,
    info,
    handle: (req, res) => (handler ? handler(req, res) : Promise.resolve(false)),
    // The kit closes the channels (outboxes, SMTP listener) itself.
    close: async () => {},
  };
}

function warnUnless(value: string | undefined, provider: string, variable: string, logger: Logger): void {
  if (!value) logger.warn({ provider }, `${variable} is not set: ${provider} webhooks will be refused (403)`);
}
