import { parseProviderMessage } from '../shared/message-validation.js';
import { MultiplexedSocket, type MultiplexProtocol, type MuxStream } from '../shared/multiplexed-socket.js';
import type { ProviderLogger } from '../shared/provider-logger.js';
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

/** One reply on the shared socket: its own setup (close_ws_on_eos false), text and end_of_stream. */
export class TtsRequest {
  readonly stream: MuxStream<GradiumTtsMessage>;
  private ended = false;

  constructor(
    private readonly socket: GradiumTtsSocket,
    setup: Record<string, unknown>,
  ) {
    this.stream = socket.open(`roomkit-${nextRequest++}`);
    if (this.stream.active)
      this.socket.send({ type: 'setup', ...setup, client_req_id: this.stream.id, close_ws_on_eos: false });
  }

  get active(): boolean {
    return this.stream.active;
  }

  sendText(text: string): void {
    if (this.active) this.socket.send({ type: 'text', text, client_req_id: this.stream.id });
  }

  /** No more text. Once only: a second end_of_stream for a finished id is a protocol error that closes the socket. */
  end(): void {
    if (!this.active || this.ended) return;
    this.ended = true;
    this.socket.send({ type: 'end_of_stream', client_req_id: this.stream.id });
  }

  /** Barge-in: nothing more is yielded; the server is told to wrap up, and what it still sends is dropped. */
  abandon(): void {
    this.end();
    this.stream.finish(undefined, true);
  }
}
