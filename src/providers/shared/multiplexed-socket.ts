import type { WebSocket } from 'ws';
import type { ProviderError } from '../../core/errors.js';
import { AsyncQueue } from './async-queue.js';
import type { ProviderLogger } from './provider-logger.js';
import { closeQuietly, connectWebSocket, messageText, sendJson } from './ws-connection.js';

/** How one vendor tags and ends the streams it multiplexes on a socket. */
export interface MultiplexProtocol<M> {
  provider: string;
  /** Validates a raw message (undefined = ignore it). */
  parse(raw: string): M | undefined;
  /** The stream a message belongs to; undefined = the whole socket. */
  streamOf(msg: M): string | undefined;
  /** The error a message carries, if it is one. */
  errorOf(msg: M): ProviderError | undefined;
  /** True for the message that completes its stream (it is not delivered). */
  isEnd(msg: M): boolean;
  closeError(code: number, reason: string): ProviderError;
}

export interface MultiplexedSocketOptions {
  url: string;
  headers?: Record<string, string>;
  logger: ProviderLogger;
  connectTimeoutMs: number;
}

/** One logical stream (a TTS reply) on a shared socket. */
export class MuxStream<M> {
  readonly messages = new AsyncQueue<M>();
  private done = false;

  constructor(
    readonly id: string,
    private readonly onDone: (id: string) => void,
  ) {}

  get active(): boolean {
    return !this.done;
  }

  /** Ends the stream: queued messages drain first, unless `discard` (barge-in). */
  finish(error?: ProviderError, discard = false): void {
    if (this.done) return;
    this.done = true;
    this.onDone(this.id);
    if (discard) this.messages.return();
    else if (error) this.messages.fail(error);
    else this.messages.end();
  }
}

/**
 * A socket shared by several replies, each with its own id (Gradium client_req_id,
 * ElevenLabs context_id): no connect round trip per reply, and one reply can be dropped
 * without touching the others. Messages for streams nobody waits for are discarded.
 */
export class MultiplexedSocket<M> {
  readonly openedAt = performance.now();
  private readonly streams = new Map<string, MuxStream<M>>();
  private fatal?: ProviderError;
  private closed = false;
  /**
   * How the socket died, when it did: by a socket-level error message from the vendor, or
   * by closing (dropped) without one. Requests use it to decide whether they can be replayed.
   */
  failure?: { byMessage: boolean };

  private constructor(
    private readonly ws: WebSocket,
    private readonly protocol: MultiplexProtocol<M>,
    logger: ProviderLogger,
  ) {
    ws.on('message', (data) => {
      const msg = protocol.parse(messageText(data));
      if (msg !== undefined) this.route(msg);
    });
    ws.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    ws.on('error', (err) => logger.debug({ err: err.message }, `${protocol.provider} socket error`));
  }

  static async open<M>(
    protocol: MultiplexProtocol<M>,
    opts: MultiplexedSocketOptions,
  ): Promise<MultiplexedSocket<M>> {
    const ws = await connectWebSocket({
      provider: protocol.provider,
      url: opts.url,
      headers: opts.headers,
      timeoutMs: opts.connectTimeoutMs,
    });
    return new MultiplexedSocket(ws, protocol, opts.logger);
  }

  get usable(): boolean {
    return !this.closed && !this.fatal && this.ws.readyState === this.ws.OPEN;
  }

  get activeStreams(): number {
    return this.streams.size;
  }

  ageS(): number {
    return (performance.now() - this.openedAt) / 1000;
  }

  /** Registers a stream; if the socket already failed, the stream fails at once. */
  open(id: string): MuxStream<M> {
    const stream = new MuxStream<M>(id, (done) => this.streams.delete(done));
    this.streams.set(id, stream);
    if (!this.usable) stream.finish(this.fatal ?? this.protocol.closeError(1006, ''));
    return stream;
  }

  send(message: Record<string, unknown>): boolean {
    return sendJson(this.ws, message);
  }

  close(): void {
    this.closed = true;
    closeQuietly(this.ws);
  }

  private route(msg: M): void {
    const id = this.protocol.streamOf(msg);
    const stream = id !== undefined ? this.streams.get(id) : undefined;
    const error = this.protocol.errorOf(msg);
    if (error) {
      if (stream) stream.finish(error);
      else this.failAll(error);
      return;
    }
    if (!stream) return; // an abandoned reply still streaming
    if (this.protocol.isEnd(msg)) stream.finish();
    else stream.messages.push(msg);
  }

  private failAll(error: ProviderError): void {
    this.fatal = error;
    this.failure ??= { byMessage: true };
    for (const s of [...this.streams.values()]) s.finish(error);
  }

  private onClose(code: number, reason: string): void {
    this.closed = true;
    this.failure ??= { byMessage: false };
    const error = this.fatal ?? this.protocol.closeError(code, reason);
    for (const s of [...this.streams.values()]) s.finish(error);
  }
}
