import type { AudioFrame, STTStreamEvent } from '../../voice/types.js';
import { AsyncQueue } from './async-queue.js';

/**
 * The life cycle every streaming STT shares: start on first iteration, read the audio
 * source (without waiting on it once stopped), finish when the input ends, stop at once on
 * abort (nothing already queued is delivered) or when the consumer breaks, and fail the
 * stream with a typed error. Vendors implement the four hooks.
 */
export abstract class SttStreamBase implements AsyncIterable<STTStreamEvent> {
  protected readonly events = new AsyncQueue<STTStreamEvent>();
  /** Aborted on stop: pass it to connects and sleeps. */
  protected readonly halt = new AbortController();
  protected stopped = false;
  private readonly waiters = new Set<() => void>();
  private started = false;

  constructor(
    private readonly audio: AsyncIterable<AudioFrame>,
    private readonly signal?: AbortSignal,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<STTStreamEvent> {
    if (!this.started) {
      this.started = true;
      void this.run();
    }
    return {
      next: () => this.events.next(),
      return: async () => {
        this.stop();
        return this.events.return();
      },
    };
  }

  /** Before the first frame is read (check keys, connect, load wasm). */
  protected abstract begin(): Promise<void>;
  protected abstract onFrame(frame: AudioFrame): void;
  /** The input ended: flush the vendor, emit the last final. */
  protected abstract finish(): Promise<void>;
  /** Closes sockets and timers; called once. */
  protected abstract release(): void;

  protected fatal(err: unknown): void {
    if (this.stopped) return;
    this.events.fail(err);
    this.stop();
  }

  protected stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.halt.abort();
    this.release();
    this.notify();
  }

  /** Wakes `waitUntil` callers to re-check their condition. */
  protected notify(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  protected async waitUntil(ready: () => boolean): Promise<void> {
    while (!ready()) {
      if (this.stopped) throw new Error('stream stopped');
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  private async run(): Promise<void> {
    const onAbort = () => {
      this.stop();
      this.events.clear(); // aborted: nothing already received is delivered any more
      this.events.end();
    };
    if (this.signal?.aborted) {
      onAbort();
      return;
    }
    this.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await this.begin();
      await this.readInput();
      if (!this.stopped) {
        await this.finish();
        this.events.end();
      }
    } catch (err) {
      if (!this.stopped) this.events.fail(err);
    } finally {
      this.signal?.removeEventListener('abort', onAbort);
      this.stop();
    }
  }

  private async readInput(): Promise<void> {
    const it = this.audio[Symbol.asyncIterator]();
    const halted = new Promise<IteratorResult<AudioFrame>>((resolve) =>
      this.halt.signal.addEventListener('abort', () => resolve({ done: true, value: undefined }), {
        once: true,
      }),
    );
    try {
      for (;;) {
        const r = await Promise.race([it.next(), halted]);
        if (r.done || this.stopped) break;
        this.onFrame(r.value);
      }
    } finally {
      if (this.stopped) void it.return?.();
    }
  }
}
