import { Emitter } from './emitter.js';
import type { RoomClientEvents, RoomEventJson, TextState } from './types.js';
import { VoiceCall, type VoiceCallOptions } from './voice-call.js';

export interface RoomClientOptions {
  /** Server origin (default: the page's). */
  url?: string;
  /** A roomkit token (the console's, or one from `roomkit token`). */
  token?: string;
  /** Text WebSocket path (default '/ws'). */
  wsPath?: string;
  /** Reconnect the text socket when it drops, rejoining rooms (default true). */
  reconnect?: boolean;
  /** How long send/join wait for the server's answer (default 10 s). */
  requestTimeoutMs?: number;
}

type Content = { type: 'text'; body: string } | { type: string; [key: string]: unknown };

interface Waiter {
  match(frame: Record<string, any>): boolean;
  resolve(frame: Record<string, any>): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** The server refused a request (`code` as in its error frame). */
export class RoomClientError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RoomClientError';
  }
}

/**
 * A browser's way into roomkit rooms: text over the WebSocket channel (join, history, send,
 * live events, streamed AI replies) and voice calls (`startVoice`: WebRTC, falling back to
 * the WebSocket voice endpoint). Every server push becomes an event:
 *
 *     const client = new RoomClient({ token });
 *     client.on('message', (e) => render(e));
 *     await client.connect();
 *     await client.join('lobby');
 *     await client.send('lobby', 'hello');
 */
export class RoomClient extends Emitter<RoomClientEvents> {
  state: TextState = 'idle';
  userId?: string;
  voice?: VoiceCall;
  private ws?: WebSocket;
  private readonly rooms = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  private retryMs = 500;
  private closed = false;
  private seq = 0;

  constructor(private readonly opts: RoomClientOptions = {}) {
    super();
  }

  /** Open the text socket; resolves when the server said ready. */
  connect(): Promise<void> {
    this.closed = false;
    const ready = this.wait((f) => f.type === 'ready');
    this.open();
    return ready.then(() => undefined);
  }

  /** Join a room; resolves with its recent history (oldest first). */
  async join(roomId: string, opts: { history?: number } = {}): Promise<RoomEventJson[]> {
    this.rooms.add(roomId);
    const joined = this.wait((f) => f.type === 'joined' && f.roomId === roomId, roomId);
    this.sendFrame({ type: 'join', roomId, history: opts.history ?? 50 });
    return (await joined).events ?? [];
  }

  leave(roomId: string): void {
    this.rooms.delete(roomId);
    this.sendFrame({ type: 'leave', roomId });
  }

  /** Post into a room; resolves with the stored event (or undefined when a hook blocked it). */
  async send(
    roomId: string,
    content: string | Content,
    opts: { idempotencyKey?: string } = {},
  ): Promise<RoomEventJson | undefined> {
    const clientId = `c${++this.seq}-${Math.random().toString(36).slice(2, 8)}`;
    const ack = this.wait((f) => f.clientId === clientId && (f.type === 'ack' || f.type === 'error'));
    this.sendFrame({
      type: 'message',
      roomId,
      clientId,
      content: typeof content === 'string' ? { type: 'text', body: content } : content,
      idempotencyKey: opts.idempotencyKey,
    });
    const frame = await ack;
    if (frame.type === 'error') throw new RoomClientError(frame.code, frame.message);
    return frame.blocked ? undefined : frame.event;
  }

  typing(roomId: string, typing: boolean): void {
    this.sendFrame({ type: 'typing', roomId, typing });
  }

  /** Start a voice call in a room (events are re-emitted on this client too). */
  async startVoice(roomId: string, opts: Partial<VoiceCallOptions> = {}): Promise<VoiceCall> {
    this.voice?.hangUp('replaced');
    const call = VoiceCall.create({ url: this.opts.url, token: this.opts.token, ...opts, roomId });
    this.voice = call;
    for (const name of ['state', 'transcript', 'speaking', 'level', 'notice', 'clear'] as const) {
      call.on(name, (payload) => this.emit(name, payload as never));
    }
    await call.connect();
    return call;
  }

  stopVoice(): void {
    this.voice?.hangUp();
    this.voice = undefined;
  }

  close(): void {
    this.closed = true;
    this.stopVoice();
    this.ws?.close(1000);
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(new RoomClientError('closed', 'the client was closed'));
    }
    this.waiters.clear();
    this.setState('closed');
  }

  private open(): void {
    const url = new URL(this.opts.wsPath ?? '/ws', this.opts.url ?? location.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.opts.token) url.searchParams.set('token', this.opts.token);
    this.setState(this.state === 'idle' || this.state === 'closed' ? 'connecting' : 'reconnecting');
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (e) => {
      try {
        this.onFrame(JSON.parse(String(e.data)));
      } catch {
        // Not JSON: nothing this client can use.
      }
    };
    ws.onclose = (e) => {
      if (this.ws !== ws || this.closed) return;
      if (e.code === 1008 || e.code === 4401 || this.opts.reconnect === false) {
        this.emit('notice', {
          level: 'error',
          code: 'disconnected',
          message: e.reason || 'the server closed the connection',
        });
        this.setState('closed');
        return;
      }
      this.setState('reconnecting');
      setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private onFrame(frame: Record<string, any>): void {
    for (const w of [...this.waiters]) {
      if (!w.match(frame)) continue;
      this.waiters.delete(w);
      clearTimeout(w.timer);
      w.resolve(frame);
    }
    switch (frame.type) {
      case 'ready':
        this.userId = frame.userId;
        this.retryMs = 500;
        this.setState('connected');
        // After a reconnect, pick the rooms up again (the server forgot them).
        for (const roomId of this.rooms) this.sendFrame({ type: 'join', roomId, history: 0 });
        return;
      case 'event':
      case 'ack':
        if (frame.event) this.emit('message', frame.event);
        return;
      case 'stream':
        this.emit('stream', {
          roomId: frame.roomId,
          streamId: frame.streamId,
          text: frame.text ?? '',
          done: Boolean(frame.done),
        });
        return;
      case 'ephemeral': {
        const event = frame.event ?? {};
        this.emit('ephemeral', event);
        // The room's agent or channels reporting a failure (a provider down, a carrier error).
        if (event.type === 'notice') {
          const data = event.data ?? {};
          this.emit('notice', {
            level: data.level === 'error' ? 'error' : data.level === 'info' ? 'info' : 'warning',
            code: String(data.code ?? 'notice'),
            message: String(data.message ?? 'something failed'),
          });
        }
        return;
      }
      case 'error':
        if (!frame.clientId)
          this.emit('notice', { level: 'error', code: String(frame.code), message: String(frame.message) });
        return;
    }
  }

  private sendFrame(frame: Record<string, unknown>): void {
    if (this.ws?.readyState !== WebSocket.OPEN)
      throw new RoomClientError('not_connected', 'call connect() first');
    this.ws.send(JSON.stringify(frame));
  }

  private wait(
    match: (frame: Record<string, any>) => boolean,
    roomId?: string,
  ): Promise<Record<string, any>> {
    return new Promise((resolve, reject) => {
      const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
      const waiter: Waiter = {
        // A room-scoped error (not joined, not found) answers a join too.
        match: (f) => match(f) || (roomId !== undefined && f.type === 'error' && f.roomId === roomId),
        resolve: (f) =>
          f.type === 'error' && roomId !== undefined
            ? reject(new RoomClientError(f.code, f.message))
            : resolve(f),
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new RoomClientError('timeout', `no answer from the server within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  private setState(state: TextState): void {
    if (this.state === state) return;
    this.state = state;
    this.emit('connection', { state });
  }
}
