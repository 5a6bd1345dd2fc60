/**
 * The inbound-email vendors as they call our webhooks: SendGrid Inbound Parse (multipart,
 * parsed or raw, signed with ECDSA P-256 under a security policy) and Mailgun routes
 * (signature in the body: HMAC-SHA256 of timestamp + token).
 */
import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { encodeForm, encodeMultipart, type FormFile } from '../../providers/shared/form-body.js';
import { hmac } from '../../providers/shared/webhook-signature.js';
import { type DispatchedWebhook, postWebhook } from './fake-carrier-server.js';

export interface FakeEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html?: string;
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  attachments?: { filename: string; contentType: string; data: Buffer }[];
}

function rawHeaders(email: FakeEmail): string {
  return [
    `From: ${email.from}`,
    `To: ${email.to}`,
    `Subject: ${email.subject}`,
    ...(email.messageId ? [`Message-ID: ${email.messageId}`] : []),
    ...(email.inReplyTo ? [`In-Reply-To: ${email.inReplyTo}`] : []),
    ...(email.references?.length ? [`References: ${email.references.join(' ')}`] : []),
    'MIME-Version: 1.0',
  ].join('\n');
}

export class FakeSendGridInboundParse {
  /** The policy's verification key (base64 DER), as SendGrid returns it. */
  readonly publicKey: string;
  private readonly privateKey: KeyObject;
  readonly webhooks: DispatchedWebhook[] = [];
  clockSkewSeconds = 0;

  constructor(public webhookUrl?: string) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    this.privateKey = privateKey;
    this.publicKey = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  }

  /** Post an email in parsed mode, signed. */
  async deliver(email: FakeEmail): Promise<DispatchedWebhook> {
    const files: FormFile[] = (email.attachments ?? []).map((a, i) => ({
      field: `attachment${i + 1}`,
      filename: a.filename,
      contentType: a.contentType,
      data: a.data,
    }));
    const info = Object.fromEntries(
      files.map((f) => [f.field, { filename: f.filename, name: f.filename, type: f.contentType }]),
    );
    const { body, contentType } = encodeMultipart(
      {
        headers: rawHeaders(email),
        dkim: '{@example.com : pass}',
        to: email.to,
        from: email.from,
        subject: email.subject,
        text: email.text,
        ...(email.html ? { html: email.html } : {}),
        envelope: JSON.stringify({ to: [email.to], from: email.from.replace(/^.*<|>.*$/g, '') }),
        attachments: String(files.length),
        ...(files.length ? { 'attachment-info': JSON.stringify(info) } : {}),
        charsets: '{"to":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}',
        SPF: 'pass',
      },
      files,
    );
    const dispatched = await postWebhook(
      this.url(),
      { 'content-type': contentType, ...this.signHeaders(body) },
      body,
    );
    this.webhooks.push(dispatched);
    return dispatched;
  }

  signHeaders(body: Buffer, timestamp = String(Math.floor(Date.now() / 1000) + this.clockSkewSeconds)) {
    const signature = sign('sha256', Buffer.concat([Buffer.from(timestamp), body]), this.privateKey).toString(
      'base64',
    );
    return {
      'x-twilio-email-event-webhook-signature': signature,
      'x-twilio-email-event-webhook-timestamp': timestamp,
    };
  }

  private url(): string {
    if (!this.webhookUrl) throw new Error('set webhookUrl first');
    return this.webhookUrl;
  }
}

export class FakeMailgunRoutes {
  readonly signingKey: string;
  readonly webhooks: DispatchedWebhook[] = [];
  clockSkewSeconds = 0;

  constructor(
    public webhookUrl?: string,
    signingKey?: string,
  ) {
    this.signingKey = signingKey ?? `key-${randomBytes(16).toString('hex')}`;
  }

  /** Forward an email as a route does (multipart when there are attachments). */
  async forward(email: FakeEmail): Promise<DispatchedWebhook> {
    const timestamp = String(Math.floor(Date.now() / 1000) + this.clockSkewSeconds);
    const token = randomBytes(25).toString('hex');
    const fields: Record<string, string> = {
      recipient: email.to,
      sender: email.from.replace(/^.*<|>.*$/g, ''),
      from: email.from,
      subject: email.subject,
      'body-plain': email.text,
      'stripped-text': email.text.split(/\n\s*On .* wrote:/)[0]!.trim(),
      ...(email.html ? { 'body-html': email.html } : {}),
      ...(email.messageId ? { 'Message-Id': email.messageId } : {}),
      ...(email.inReplyTo ? { 'In-Reply-To': email.inReplyTo } : {}),
      ...(email.references?.length ? { References: email.references.join(' ') } : {}),
      'message-headers': JSON.stringify(
        rawHeaders(email)
          .split('\n')
          .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
      ),
      'attachment-count': String(email.attachments?.length ?? 0),
      timestamp,
      token,
      signature: hmac('sha256', this.signingKey, timestamp + token, 'hex'),
    };
    const files: FormFile[] = (email.attachments ?? []).map((a, i) => ({
      field: `attachment-${i + 1}`,
      filename: a.filename,
      contentType: a.contentType,
      data: a.data,
    }));
    if (!this.webhookUrl) throw new Error('set webhookUrl first');
    const request = files.length
      ? encodeMultipart(fields, files)
      : { body: Buffer.from(encodeForm(fields)), contentType: 'application/x-www-form-urlencoded' };
    const dispatched = await postWebhook(
      this.webhookUrl,
      { 'content-type': request.contentType },
      request.body,
    );
    this.webhooks.push(dispatched);
    return dispatched;
  }
}
