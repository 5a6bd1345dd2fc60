/**
 * WhatsApp over Meta's Business Cloud API: messages through the Graph API, webhooks signed
 * with `X-Hub-Signature-256`, the `hub.verify_token` handshake, media by id.
 */
import type { ParsedWebhook, SentMessage } from '../../channels/messaging/types.js';
import type { WhatsAppOutbound, WhatsAppProvider } from '../../channels/whatsapp/whatsapp-provider.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import { parseJsonBody, type WebhookRequest, type WebhookResponse } from '../shared/webhook-request.js';
import { cloudApiPayload } from './message-payload.js';
import { type GraphApiOptions, GraphApiClient, GraphApiError } from './rest-client.js';
import { answerVerifyHandshake, checkHubSignature } from './signature.js';
import { parseWhatsAppWebhook } from './webhook.js';

export interface WhatsAppCloudProviderOptions extends GraphApiOptions {
  /** The app secret webhooks are signed with (default `WHATSAPP_APP_SECRET`); POSTs are refused without it. */
  appSecret?: string;
  /** Our token for the subscription handshake (default `WHATSAPP_VERIFY_TOKEN`). */
  verifyToken?: string;
  /** Default 80 messages/s: the Cloud API's default throughput per number. */
  rateLimit?: RateLimit;
}

export class WhatsAppCloudProvider implements WhatsAppProvider {
  readonly name = 'whatsapp';
  readonly rateLimit: RateLimit;
  readonly client: GraphApiClient;
  private readonly appSecret?: string;
  private readonly verifyToken?: string;

  constructor(opts: WhatsAppCloudProviderOptions = {}) {
    this.client = new GraphApiClient(opts);
    this.appSecret = opts.appSecret ?? process.env.WHATSAPP_APP_SECRET;
    this.verifyToken = opts.verifyToken ?? process.env.WHATSAPP_VERIFY_TOKEN;
    this.rateLimit = opts.rateLimit ?? { maxPerSecond: 80, burst: 20 };
  }

  async send(message: WhatsAppOutbound, signal?: AbortSignal): Promise<SentMessage> {
    const answer = await this.client.messages(cloudApiPayload(message), signal);
    const id = Array.isArray(answer.messages)
      ? (answer.messages[0] as { id?: unknown } | undefined)?.id
      : undefined;
    if (typeof id !== 'string') throw new GraphApiError('send answered without a message id', 502);
    return { providerMessageId: id, status: 'queued' };
  }

  async markRead(providerMessageId: string, signal?: AbortSignal): Promise<void> {
    await this.client.messages(
      { messaging_product: 'whatsapp', status: 'read', message_id: providerMessageId },
      signal,
    );
  }

  uploadMedia(data: Buffer, mimeType: string, filename?: string, signal?: AbortSignal): Promise<string> {
    return this.client.uploadMedia(data, mimeType, filename, signal);
  }

  fetchMedia(mediaId: string, signal?: AbortSignal) {
    return this.client.downloadMedia(mediaId, signal);
  }

  async parseWebhook(req: WebhookRequest): Promise<ParsedWebhook> {
    const replayKey = checkHubSignature(this.appSecret, req);
    const body = parseJsonBody('whatsapp', req.rawBody);
    // Meta signs no timestamp: a copy of a request is recognised by its signature.
    return {
      events: parseWhatsAppWebhook(body),
      replayKey,
      timestamped: false,
      ack: { status: 200, body: '' },
    };
  }

  answerHandshake(req: WebhookRequest): WebhookResponse {
    return answerVerifyHandshake(this.verifyToken, req);
  }
}
