/**
 * Email as a room channel. Outbound goes over SMTP (nodemailer) with a Message-ID that names
 * the room (HMAC-tagged) and In-Reply-To/References continuing the thread, so the person's
 * reply comes back to the same room. Inbound arrives through a real SMTP listener, SendGrid
 * Inbound Parse or Mailgun routes (both signature-checked and replay-guarded); quoted history
 * is stripped, attachments go to the media store as `media` events.
 */
import type { SendMailOptions, Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { normalizeEmail } from '../../core/contact-identity.js';
import { ProviderError } from '../../core/errors.js';
import {
  type ChannelBinding,
  ChannelType,
  contentText,
  type EventContent,
  type RoomEvent,
} from '../../models/index.js';
import type { WebhookRequest, WebhookResponse } from '../../providers/shared/webhook-request.js';
import { DeliveryTracker } from '../messaging/delivery-status.js';
import { mediaIdOf } from '../messaging/media-store.js';
import {
  MessagingChannel,
  type MessagingChannelOptions,
  type Recipient,
} from '../messaging/messaging-channel.js';
import type { WebhookEndpoint } from '../messaging/webhook-endpoint.js';
import type { InboundEmail } from './inbound-email.js';
import { checkMailgunRequest } from './mailgun-route.js';
import { stripQuotedReply } from './quote-stripper.js';
import { checkSendgridRequest, parseSendgridInbound, sendgridPublicKey } from './sendgrid-inbound-parse.js';
import { SmtpListener, type SmtpListenerOptions } from './smtp-listener.js';
import { EmailThreading, replySubject } from './threading.js';

export interface EmailChannelOptions extends MessagingChannelOptions {
  /** Our address, e.g. `Support <support@example.com>` (default `EMAIL_FROM`). */
  from?: string;
  /** Outbound SMTP: a URL (`smtp://user:pass@host:587`), nodemailer SMTP options, or a transporter (default `SMTP_URL`). */
  smtp?: string | SMTPTransport.Options | Transporter;
  /** Subject of an email that starts a thread (default 'New message'). */
  subject?: string;
  /**
   * Key of the Message-ID tags that route replies to rooms (default `EMAIL_THREAD_SECRET`).
   * Set it: without it a random key is made and replies to emails sent before a restart
   * are routed by sender instead.
   */
  threadSecret?: string;
  /** Domain of our Message-IDs (default: the from address's domain). */
  messageIdDomain?: string;
  /** Receive through our own SMTP server. */
  inboundSmtp?: SmtpListenerOptions;
  /** SendGrid Inbound Parse with a signature policy: its verification key (default `SENDGRID_INBOUND_PUBLIC_KEY`). */
  sendgridPublicKey?: string;
  /** Mailgun routes: the webhook signing key (default `MAILGUN_WEBHOOK_SIGNING_KEY`). */
  mailgunSigningKey?: string;
  /** Strip quoted history from replies (default true). */
  stripQuotes?: boolean;
}

interface ThreadState {
  messageId?: string;
  references: string[];
  subject?: string;
  /** Index of the room event that carried it (the newer of inbound and outbound wins). */
  index: number;
}

const MAX_REFERENCES = 20;

export class EmailChannel extends MessagingChannel {
  readonly channelType = ChannelType.EMAIL;
  readonly from: string;
  readonly threading: EmailThreading;
  protected readonly deliveries: DeliveryTracker;
  private transporter?: Promise<Transporter>;
  private readonly smtp?: string | SMTPTransport.Options | Transporter;
  private readonly listener?: SmtpListener;
  /** The last email we sent per room (inbound ones are read from the room's timeline). */
  private readonly lastSent = new Map<string, ThreadState>();
  private readonly opts: EmailChannelOptions;
  private readonly sendgridKey?: ReturnType<typeof sendgridPublicKey>;
  private readonly mailgunKey?: string;

  constructor(id: string, opts: EmailChannelOptions = {}) {
    super(id, opts);
    this.opts = opts;
    const from = opts.from ?? process.env.EMAIL_FROM;
    const address = from ? normalizeEmail(from) : undefined;
    if (!from || !address) throw new TypeError('email: pass a from address (or set EMAIL_FROM)');
    this.from = from;
    this.threading = new EmailThreading(
      opts.threadSecret ?? process.env.EMAIL_THREAD_SECRET,
      opts.messageIdDomain ?? address.split('@')[1]!,
    );
    this.deliveries = new DeliveryTracker(id, 'smtp');
    this.capabilities = { contentTypes: ['text', 'rich', 'media'] };
    this.smtp = opts.smtp ?? process.env.SMTP_URL;
    if (opts.inboundSmtp) this.listener = new SmtpListener(opts.inboundSmtp, (email) => this.receive(email));
    const sendgrid = opts.sendgridPublicKey ?? process.env.SENDGRID_INBOUND_PUBLIC_KEY;
    this.sendgridKey = sendgrid ? sendgridPublicKey(sendgrid) : undefined;
    this.mailgunKey = opts.mailgunSigningKey ?? process.env.MAILGUN_WEBHOOK_SIGNING_KEY;
  }

  /** Start the inbound SMTP listener (when configured); resolves with its port. */
  async listen(): Promise<number | undefined> {
    return this.listener?.listen();
  }

  get smtpPort(): number | undefined {
    return this.listener?.port;
  }

  webhookEndpoints(): WebhookEndpoint[] {
    const endpoints: WebhookEndpoint[] = [];
    if (this.sendgridKey)
      endpoints.push({
        path: `${this.webhookPath}/sendgrid`,
        methods: ['POST'],
        handle: (req) => this.handleSendgrid(req),
      });
    if (this.mailgunKey)
      endpoints.push({
        path: `${this.webhookPath}/mailgun`,
        methods: ['POST'],
        handle: (req) => this.handleMailgun(req),
      });
    return endpoints;
  }

  async handleSendgrid(req: WebhookRequest): Promise<WebhookResponse> {
    const replayKey = checkSendgridRequest(this.sendgridKey, req, this.replay.toleranceMs);
    return this.handleVerified(replayKey, 'sendgrid', () => parseSendgridInbound(req));
  }

  async handleMailgun(req: WebhookRequest): Promise<WebhookResponse> {
    const checked = checkMailgunRequest(this.mailgunKey, req, this.replay.toleranceMs);
    return this.handleVerified(checked.replayKey, 'mailgun', checked.parse);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.listener?.close();
    (await this.transporter?.catch(() => undefined))?.close();
  }

  protected async sendTo(event: RoomEvent, recipient: Recipient, binding?: ChannelBinding): Promise<void> {
    const transporter = await this.transport();
    const thread = await this.threadOf(event.roomId);
    const messageId = this.threading.messageId(event.roomId, event.id);
    const references = [...thread.references, ...(thread.messageId ? [thread.messageId] : [])].slice(
      -MAX_REFERENCES,
    );
    const subject = replySubject(
      thread.subject,
      (binding?.metadata?.subject as string | undefined) ?? this.opts.subject ?? 'New message',
    );
    const mail: SendMailOptions = {
      from: this.from,
      to: recipient.address,
      subject,
      messageId,
      ...(thread.messageId ? { inReplyTo: thread.messageId } : {}),
      ...(references.length ? { references } : {}),
      ...(await this.body(event.content)),
    };
    try {
      await transporter.sendMail(mail);
    } catch (error) {
      throw smtpError(error);
    }
    // Our message continues the thread for the next one we send.
    this.lastSent.set(event.roomId, { messageId, references, subject, index: event.index });
    if (this.lastSent.size > 10_000) this.lastSent.delete(this.lastSent.keys().next().value!);
    this.deliveries.remember(
      messageId,
      { roomId: event.roomId, eventId: event.id },
      recipient.address,
      recipient.participantId,
    );
    await this.recordStatus({ kind: 'status', providerMessageId: messageId, status: 'sent' });
  }

  /** nodemailer is loaded on the first send, so importing roomkit does not load it. */
  private transport(): Promise<Transporter> {
    const smtp = this.smtp;
    if (!smtp)
      throw new ProviderError('smtp', 'no outbound SMTP configured (smtp option or SMTP_URL)', {
        retryable: false,
      });
    this.transporter ??= isTransporter(smtp)
      ? Promise.resolve(smtp)
      : import('nodemailer').then((m) => m.default.createTransport(smtp as SMTPTransport.Options));
    return this.transporter;
  }

  private async body(content: EventContent): Promise<Pick<SendMailOptions, 'text' | 'html' | 'attachments'>> {
    if (content.type === 'rich' && content.format === 'html')
      return { html: content.body, text: contentText(content) };
    if (content.type !== 'media') return { text: contentText(content) };
    const id = /^https?:\/\//.test(content.url) ? undefined : mediaIdOf(content.url);
    const item = id ? await this.mediaStore.get(id) : undefined;
    if (!item) return { text: contentText(content) };
    return {
      text: content.caption ?? '',
      attachments: [
        {
          filename: content.filename ?? item.filename ?? 'attachment',
          contentType: item.mimeType,
          content: item.data,
        },
      ],
    };
  }

  private handleVerified(
    replayKey: string,
    provider: string,
    parse: () => Promise<InboundEmail | undefined>,
  ): Promise<WebhookResponse> {
    const ok = { status: 200, body: 'ok' };
    return this.handleClaimed(provider, replayKey, true, ok, async () => {
      const email = await parse();
      if (email) await this.receive(email);
      return ok;
    });
  }

  /** Post an inbound email into its room: the thread's room when it answers one of ours. */
  async receive(email: InboundEmail): Promise<void> {
    const roomId = this.threading.roomOfReply(email.inReplyTo, email.references);
    const text = (this.opts.stripQuotes ?? true) ? stripQuotedReply(email.text) : email.text.trim();
    const contents: EventContent[] = [];
    if (text) contents.push({ type: 'text', body: text });
    for (const attachment of email.attachments) {
      const stored = await this.mediaStore.put(attachment.data, {
        mimeType: attachment.contentType,
        filename: attachment.filename,
      });
      contents.push({
        type: 'media',
        url: stored.url,
        mimeType: attachment.contentType,
        ...(attachment.filename ? { filename: attachment.filename } : {}),
      });
    }
    if (!contents.length) return;
    await this.submit({
      address: email.from,
      contents,
      roomId: roomId && isOpen((await this.kit?.getRoom(roomId))?.status) ? roomId : undefined,
      idempotencyKey: `email:${email.messageId ?? `${email.from}:${email.subject}:${text.slice(0, 64)}`}`,
      metadata: {
        email: {
          messageId: email.messageId,
          inReplyTo: email.inReplyTo,
          references: email.references,
          subject: email.subject,
          fromName: email.fromName,
          to: email.to,
          via: email.via,
        },
      },
    });
  }

  /**
   * The thread a room's next email continues: the newer of the last email we sent and the
   * last one received (read from the timeline, so it is right after a restart and never races
   * a reply that is sent while the inbound email is still being processed).
   */
  private async threadOf(roomId: string): Promise<ThreadState> {
    const sent = this.lastSent.get(roomId);
    const recent = (await this.kit?.store.listEvents(roomId, { limit: 200, direction: 'backward' })) ?? [];
    for (let i = recent.length - 1; i >= 0; i--) {
      const event = recent[i]!;
      if (sent && event.index <= sent.index) break;
      const email =
        event.source.channelId === this.id
          ? (event.metadata.email as Partial<ThreadState> | undefined)
          : undefined;
      if (email)
        return {
          messageId: email.messageId,
          references: email.references ?? [],
          subject: email.subject,
          index: event.index,
        };
    }
    return sent ?? { references: [], index: -1 };
  }
}

function isOpen(status: string | undefined): boolean {
  return status !== undefined && status !== 'closed' && status !== 'archived';
}

function isTransporter(value: unknown): value is Transporter {
  return typeof (value as Transporter).sendMail === 'function';
}

/** SMTP 4xx and connection failures are worth retrying; a 5xx is a final answer. */
function smtpError(error: unknown): ProviderError {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const retryable = e.responseCode !== undefined ? e.responseCode < 500 : true;
  return new ProviderError('smtp', e.message ?? String(error), {
    code: e.responseCode ? `smtp_${e.responseCode}` : (e.code ?? 'smtp_error'),
    retryable,
    cause: error,
  });
}
