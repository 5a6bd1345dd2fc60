import { ProviderError, type RoomKitError } from '../../core/errors.js';
import type { RealtimeRole } from '../../realtime/provider.js';
import type { AudioConverter } from '../../realtime/audio-converter.js';
import type { RealtimeSocket } from './realtime-socket.js';

interface Waiter {
  type: string;
  resolve: () => void;
  reject: (err: RoomKitError) => void;
  timer: NodeJS.Timeout;
}

/** Per-session state of an OpenAI-family realtime connection. */
export class OpenAIStyleConnection {
  responseActive = false;
  /** The current response is being cancelled (by us, or by the server's VAD). */
  cancelRequested = false;
  /** A response.create is owed once the current response is done. */
  continueAfterResponse = false;
  /** Tool calls of the current response still waiting for their output. */
  readonly pendingCalls = new Set<string>();
  readonly seenCalls = new Set<string>();
  /** Milliseconds of audio received per assistant item (truncation is clamped to it). */
  readonly audioMsByItem = new Map<string, number>();
  /** Items cut by barge-in: their late audio deltas are dropped. */
  readonly droppedItems = new Set<string>();
  lastAudioItemId?: string;
  /** Assistant audio arrived since the user last started speaking. */
  audioSinceSpeech = false;
  /** Set by a `session_expired` error; the close that follows ends the session with it. */
  expiry?: RoomKitError;
  readonly timers: NodeJS.Timeout[] = [];
  private readonly transcripts = new Map<string, string>();
  private waiters: Waiter[] = [];

  constructor(
    private readonly provider: string,
    readonly socket: RealtimeSocket,
    /** Caller rate -> wire rate. */
    readonly input: AudioConverter,
    /** Wire rate -> caller rate. */
    readonly output: AudioConverter,
    readonly wireOutputRate: number,
  ) {}

  /** Text so far of an utterance, with `delta` appended. */
  appendTranscript(role: RealtimeRole, itemId: string, delta: string): string {
    const key = `${role}:${itemId}`;
    const text = (this.transcripts.get(key) ?? '') + delta;
    this.transcripts.set(key, text);
    return text;
  }

  finishTranscript(role: RealtimeRole, itemId: string): string {
    const key = `${role}:${itemId}`;
    const text = this.transcripts.get(key) ?? '';
    this.transcripts.delete(key);
    return text;
  }

  /** Resolves when a server event of `type` arrives (connect and reconfigure acknowledgements). */
  waitFor(type: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(
            new ProviderError(this.provider, `no ${type} within ${timeoutMs} ms`, {
              code: 'timeout',
              retryable: true,
            }),
          );
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  resolveWaiters(type: string): void {
    const index = this.waiters.findIndex((w) => w.type === type);
    if (index < 0) return;
    const [waiter] = this.waiters.splice(index, 1);
    clearTimeout(waiter.timer);
    waiter.resolve();
  }

  /** Fail every pending wait; true when there was one (the error then belongs to that caller). */
  rejectWaiters(error: RoomKitError): boolean {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    return waiters.length > 0;
  }

  release(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.length = 0;
    this.rejectWaiters(new ProviderError(this.provider, 'session ended', { code: 'session_ended' }));
    this.socket.close(1000, 'OK');
    this.input.close();
    this.output.close();
  }
}
