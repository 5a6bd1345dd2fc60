/**
 * The contract an SMS carrier implements (Twilio, Telnyx, Vonage in `roomkit/providers/*`):
 * send over the carrier's REST API, and verify + parse its webhooks (inbound messages and
 * status callbacks). The SMSChannel does everything else.
 */
import { ProviderError } from '../../core/errors.js';
import type { RateLimit } from '../../core/resilience/rate-limiter.js';
import type { WebhookRequest } from '../../providers/shared/webhook-request.js';
import type { ParsedWebhook, SentMessage } from '../messaging/types.js';

export interface OutboundSMS {
  /** E.164. */
  to: string;
  text?: string;
  /** Public URLs the carrier fetches (MMS). */
  mediaUrls?: string[];
  /** Where the carrier posts this message's status (our webhook, with the delivery ref). */
  statusCallbackUrl?: string;
  /** Our reference (room and event), for carriers that echo one (Vonage `client_ref`). */
  reference?: string;
}

export interface SMSProvider {
  /** 'twilio', 'telnyx', 'vonage'... */
  readonly name: string;
  /** Our sending number (E.164); opt-outs are kept per number. */
  readonly fromNumber: string;
  /** The carrier's send limit for this number; the channel paces deliveries under it. */
  readonly rateLimit: RateLimit;
  /** Can send media (MMS). */
  readonly supportsMms: boolean;
  /** Most segments one message may use (Twilio recommends 10; Telnyx and Vonage concatenate up to 10). */
  readonly maxSegments: number;
  /**
   * The carrier itself confirms STOP/START to the handset (Twilio's default opt-out handling),
   * so the channel must not send its own confirmation as well.
   */
  readonly confirmsOptOut: boolean;

  send(message: OutboundSMS, signal?: AbortSignal): Promise<SentMessage>;

  /** Verify the signature (throws WebhookAuthError) and parse inbound messages and status updates. */
  parseWebhook(req: WebhookRequest): Promise<ParsedWebhook>;

  /** Download inbound media with the carrier's credentials. */
  fetchMedia?(url: string, signal?: AbortSignal): Promise<{ data: Buffer; contentType: string }>;
}

/** The carrier refused a send because the recipient texted STOP (Twilio 21610, Telnyx 40300). */
export class RecipientOptedOutError extends ProviderError {
  constructor(provider: string, detail = 'recipient opted out') {
    super(provider, detail, { code: 'recipient_opted_out', status: 400, retryable: false });
  }
}
