import { AuthenticationError, type ProviderError } from '../../core/errors.js';
import { AsyncQueue } from './async-queue.js';
import type { MultiplexedSocket, MuxStream } from './multiplexed-socket.js';
import type { ProviderLogger } from './provider-logger.js';
import type { ReusableSocket } from './reusable-socket.js';

export interface SocketRequestOptions {
  provider: string;
  logger: ProviderLogger;
  /** Fresh sockets to try when the socket dies before the reply started (default 2). */
  maxReplays?: number;
}

/**
 * An error message that arrives within this long of our last send was already on its way:
 * the vendor closed the socket (idle timeout...) before our request reached it. A genuine
 * inactivity timeout of the request itself comes seconds after its last send.
 */
const IN_FLIGHT_MS = 250;

/**
 * One request (a TTS reply) on a warm socket shared by consecutive replies. Vendors drop
 * idle sockets; a request sent just before the client notices is lost with the socket
 * (`connection closed (1006)`), though the vendor never saw it. So until the first answer
 * arrives, every message sent is kept: if the socket dies first (dropped, or closed by an
 * error that crossed our request), the request is replayed on a fresh one, and the caller
 * never knows. After the first answer a failure is reported, as replaying would speak the
 * same words twice.
 */
export class SocketRequest<M> {
  /** The reply's messages; ends when the reply ends, throws if it fails. */
  readonly messages = new AsyncQueue<M>();
  private replayLog: Record<string, unknown>[] | undefined = [];
  private socket?: MultiplexedSocket<M>;
  private stream?: MuxStream<M>;
  private done = false;
  private replays = 0;
  private lastSendAt = 0;

  private constructor(
    private readonly pool: ReusableSocket<MultiplexedSocket<M>>,
    readonly id: string,
    private readonly opts: SocketRequestOptions,
  ) {}

  /** Opens the request on the pool's socket (connecting one if needed). */
  static async open<M>(
    pool: ReusableSocket<MultiplexedSocket<M>>,
    id: string,
    opts: SocketRequestOptions,
  ): Promise<SocketRequest<M>> {
    const request = new SocketRequest(pool, id, opts);
    await request.attach();
    return request;
  }

  /** Still wants messages and sends (false once finished, failed or abandoned). */
  get active(): boolean {
    return !this.done;
  }

  send(message: Record<string, unknown>): void {
    if (this.done) return;
    this.replayLog?.push(message);
    this.lastSendAt = performance.now();
    this.socket?.send(message);
  }

  /** Ends the request on our side; `discard` drops what is queued (barge-in). */
  finish(discard = false): void {
    if (this.done) return;
    this.done = true;
    this.stream?.finish(undefined, discard);
    if (discard) this.messages.return();
    else this.messages.end();
  }

  private async attach(): Promise<void> {
    const socket = await this.pool.acquire();
    if (this.done) return;
    this.socket = socket;
    const stream = socket.open(this.id);
    this.stream = stream;
    for (const message of this.replayLog ?? []) socket.send(message);
    void this.pump(socket, stream);
  }

  private async pump(socket: MultiplexedSocket<M>, stream: MuxStream<M>): Promise<void> {
    try {
      for await (const message of stream.messages) {
        this.replayLog = undefined; // the reply started: it can no longer be replayed
        this.messages.push(message);
      }
      if (!this.done) this.finish();
    } catch (err) {
      if (this.done) return;
      let failure = err;
      if (this.canReplay(socket, err)) {
        this.replays += 1;
        this.opts.logger.debug(
          { provider: this.opts.provider, request: this.id, err: String(err) },
          'socket died before the reply started; replaying the request on a fresh socket',
        );
        try {
          await this.attach();
          return;
        } catch (reconnectError) {
          failure = reconnectError; // no fresh socket either: that is the error to report
        }
      }
      this.done = true;
      this.messages.fail(failure);
    }
  }

  /** Nothing came back yet, the socket (not the request) failed, and a retry may help. */
  private canReplay(socket: MultiplexedSocket<M>, err: unknown): boolean {
    const error = err as Partial<ProviderError>;
    const crossed = !socket.failure?.byMessage || performance.now() - this.lastSendAt <= IN_FLIGHT_MS;
    return (
      this.replayLog !== undefined &&
      !socket.usable &&
      crossed &&
      !(err instanceof AuthenticationError) &&
      error.retryable !== false &&
      this.replays < (this.opts.maxReplays ?? 2)
    );
  }
}
