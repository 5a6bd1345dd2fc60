import { ProviderError, type RoomKitError } from '../../core/errors.js';
import type { AudioConverter } from '../../realtime/audio-converter.js';
import type { RealtimeSocket } from '../shared/realtime-socket.js';

/**
 * Per-session state of a Gemini Live session. The socket changes on resumption (goAway,
 * reconfigure); everything else — the handle, the turn in progress — outlives it.
 */
export class GeminiLiveState {
  /** Latest resumption handle from `sessionResumptionUpdate`. */
  handle?: string;
  turn = 1;
  /** Model output of the current turn has started. */
  responding = false;
  /** Audio of the current turn is dropped (interrupted). */
  dropTurn = false;
  userSpeaking = false;
  userText = '';
  assistantText = '';
  /** Manual activity: an activityStart was sent and no activityEnd yet. */
  activityOpen = false;
  /** Tool call id -> name (toolResponse must repeat the name). */
  readonly toolNames = new Map<string, string>();
  resuming?: Promise<void>;
  outputRate: number;

  constructor(
    public socket: RealtimeSocket,
    readonly input: AudioConverter,
    public output: AudioConverter,
    wireOutputRate: number,
  ) {
    this.outputRate = wireOutputRate;
  }

  get itemId(): string {
    return `turn-${this.turn}`;
  }

  nextTurn(): void {
    this.turn += 1;
    this.responding = false;
    this.dropTurn = false;
    this.assistantText = '';
  }

  release(): void {
    this.socket.close(1000, '');
    this.input.close();
    this.output.close();
  }
}

/** Resolves on `setupComplete` of one socket; rejects if it closes or times out first. */
export class SetupWaiter {
  readonly done: Promise<void>;
  resolve!: () => void;
  reject!: (err: RoomKitError) => void;
  private readonly timer: NodeJS.Timeout;
  settled = false;

  constructor(provider: string, timeoutMs: number) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = () => {
        this.settle();
        resolve();
      };
      this.reject = (err) => {
        this.settle();
        reject(err);
      };
    });
    this.timer = setTimeout(
      () =>
        this.reject(
          new ProviderError(provider, `no setupComplete within ${timeoutMs} ms`, {
            code: 'timeout',
            retryable: true,
          }),
        ),
      timeoutMs,
    );
  }

  private settle(): void {
    this.settled = true;
    clearTimeout(this.timer);
  }
}
