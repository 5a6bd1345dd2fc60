import { parseProviderMessage } from '../shared/message-validation.js';
import { MultiplexedSocket, type MultiplexProtocol } from '../shared/multiplexed-socket.js';
import type { ProviderLogger } from '../shared/provider-logger.js';
import type { ReusableSocket } from '../shared/reusable-socket.js';
import { SocketRequest } from '../shared/socket-request.js';
import { GRADIUM, gradiumCloseError, gradiumServerError } from './gradium-errors.js';
import { GRADIUM_TTS_TYPES, type GradiumTtsMessage, gradiumTtsMessage } from './tts-messages.js';

export type GradiumTtsSocket = MultiplexedSocket<GradiumTtsMessage>;

/** Opens a Gradium TTS socket whose replies are told apart by client_req_id. */
export function openGradiumTtsSocket(cfg: {
  url: string;
  apiKey: string;
  logger: ProviderLogger;
  connectTimeoutMs: number;
}): Promise<GradiumTtsSocket> {
  const protocol: MultiplexProtocol<GradiumTtsMessage> = {
    provider: GRADIUM,
    parse: (raw) => parseProviderMessage(gradiumTtsMessage, raw, cfg.logger, GRADIUM_TTS_TYPES),
    streamOf: (msg) => msg.client_req_id,
    errorOf: (msg) =>
      msg.type === 'error' ? gradiumServerError(msg.code ?? undefined, msg.message) : undefined,
    isEnd: (msg) => msg.type === 'end_of_stream',
    closeError: gradiumCloseError,
  };
  return MultiplexedSocket.open(protocol, {
    url: cfg.url,
    headers: { 'x-api-key': cfg.apiKey, 'x-api-source': 'roomkit' },
    logger: cfg.logger,
    connectTimeoutMs: cfg.connectTimeoutMs,
  });
}

let nextRequest = 1;

/**
 * One reply on the shared socket: its own setup (close_ws_on_eos false), text and
 * end_of_stream, tagged with its client_req_id. Replayed on a fresh socket if the warm one
 * turns out dead before the reply starts.
 */
export class TtsRequest {
  private ended = false;

  private constructor(private readonly request: SocketRequest<GradiumTtsMessage>) {}

  static async open(
    pool: ReusableSocket<GradiumTtsSocket>,
    setup: Record<string, unknown>,
    logger: ProviderLogger,
  ): Promise<TtsRequest> {
    const request = await SocketRequest.open(pool, `roomkit-${nextRequest++}`, { provider: GRADIUM, logger });
    request.send({ type: 'setup', ...setup, client_req_id: request.id, close_ws_on_eos: false });
    return new TtsRequest(request);
  }

  get messages(): AsyncIterable<GradiumTtsMessage> {
    return this.request.messages;
  }

  get active(): boolean {
    return this.request.active;
  }

  sendText(text: string): void {
    this.request.send({ type: 'text', text, client_req_id: this.request.id });
  }

  /** No more text. Once only: a second end_of_stream for a finished id is a protocol error that closes the socket. */
  end(): void {
    if (!this.active || this.ended) return;
    this.ended = true;
    this.request.send({ type: 'end_of_stream', client_req_id: this.request.id });
  }

  /** Barge-in: nothing more is yielded; the server is told to wrap up, and what it still sends is dropped. */
  abandon(): void {
    this.end();
    this.request.finish(true);
  }
}
