/**
 * A FakeStreamCall run in a child process, read and driven from this one. The carrier's side
 * of a call keeps real time whatever this process is doing, as a real carrier's does: its
 * playback clock, its line echo and the caller's uplink. In one process a test's server and
 * the fake share the event loop, and a stall of the server's (a GC, a burst of work) delays
 * the fake's reading of our audio: it then plays, and echoes, later than our echo reference
 * says it did, by as much as the stall. A canceller that tracks a real line's delay loses an
 * echo that jumps like that; the test would be measuring its own harness.
 *
 * Same records as FakeStreamCall, times on this process's `performance.now()`. They arrive
 * every few milliseconds (the child reports what changed), so a test that polls sees them a
 * little later than they happened; the times themselves are the child's, exact.
 */
import { type ChildProcess, fork } from 'node:child_process';
import {
  type FakeClearRecord,
  type FakeMarkRecord,
  type FakeReceivedMedia,
  type FakeStreamCallOptions,
  type FakeStreamDialect,
  type FakeStreamInfo,
  receivedMs,
  receivedPcm,
} from './fake-stream-call.js';
import {
  dialectName,
  type FromStreamChild,
  type StreamRecords,
  type ToStreamChild,
} from './stream-call-messages.js';

/** How long the child may take to start (tsx compiles it when run from source). */
const START_TIMEOUT_MS = 20_000;

export class StreamCallProcess {
  readonly received: FakeReceivedMedia[] = [];
  readonly marks: FakeMarkRecord[] = [];
  readonly clears: FakeClearRecord[] = [];
  readonly other: unknown[] = [];
  playedMs = 0;
  closeCode?: number;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private readonly child: ChildProcess;
  /** Add to a child's time to get ours. */
  private clockOffset = 0;
  private isOpened = false;
  private nextSend = 0;
  private readonly sending = new Map<number, () => void>();

  constructor(
    readonly dialect: FakeStreamDialect,
    readonly info: FakeStreamInfo,
    url: string,
    headers: Record<string, string> = {},
    opts: FakeStreamCallOptions = {},
  ) {
    const entry = new URL(
      `./stream-call-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    this.child = fork(entry, [], {
      serialization: 'advanced',
      execArgv: entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settleOpened!: (error?: Error) => void;
    this.opened = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => settleOpened(new Error(`${dialect.carrier} fake: stream process did not open in time`)),
        START_TIMEOUT_MS,
      );
      settleOpened = (error) => {
        clearTimeout(timer);
        if (error) {
          this.child.kill();
          reject(error);
        } else resolve();
      };
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      const end = (code: number) => {
        if (this.closeCode !== undefined) return;
        this.closeCode = code;
        this.isOpened = false;
        for (const done of this.sending.values()) done();
        this.sending.clear();
        resolve(code);
      };
      this.child.on('message', (message: FromStreamChild) => {
        if (message.type === 'ready') {
          this.clockOffset = message.timeOrigin - performance.timeOrigin;
          this.post({ type: 'open', dialect: dialectName(dialect), info, url, headers, opts });
        } else if (message.type === 'opened') {
          this.isOpened = true;
          settleOpened();
        } else if (message.type === 'failed') settleOpened(new Error(message.message));
        else if (message.type === 'records') this.record(message);
        else if (message.type === 'sent') {
          this.sending.get(message.id)?.();
          this.sending.delete(message.id);
        } else if (message.type === 'closed') end(message.code);
      });
      // A child that dies without saying its stream closed: abnormal closure, as a dropped socket.
      this.child.once('exit', () => {
        settleOpened(new Error(`${dialect.carrier} fake: stream process exited`));
        end(1006);
      });
    });
  }

  get isOpen(): boolean {
    return this.isOpened;
  }

  /** Our audio as PCM at the stream's rate, everything received so far. */
  receivedPcm(): Int16Array {
    return receivedPcm(this.dialect, this.received);
  }

  /** Milliseconds of our audio received so far. */
  get receivedMs(): number {
    return receivedMs(this.dialect, this.received);
  }

  /** As FakeStreamCall.streamAudio: resolves when the child has sent it all. */
  streamAudio(audio: Int16Array | Uint8Array): Promise<void> {
    return this.stream(audio, false);
  }

  /** As FakeStreamCall.streamWire. */
  streamWire(wire: Uint8Array): Promise<void> {
    return this.stream(wire, true);
  }

  sendDtmf(digit: string): void {
    this.post({ type: 'dtmf', digit });
  }

  /** The caller hangs up: the carrier's stop message, then the socket closes. */
  hangup(): Promise<number> {
    this.post({ type: 'hangup' });
    return this.closed;
  }

  /** The carrier tears the stream down (REST hang-up, transfer). */
  end(): void {
    void this.hangup();
  }

  private stream(audio: Int16Array | Uint8Array, wire: boolean): Promise<void> {
    if (!this.isOpened) return Promise.resolve();
    const id = this.nextSend++;
    return new Promise((done) => {
      this.sending.set(id, done);
      this.post({ type: 'audio', id, audio, wire });
    });
  }

  private post(message: ToStreamChild): void {
    if (this.child.connected) this.child.send(message);
  }

  private record(records: StreamRecords): void {
    const offset = this.clockOffset;
    for (const r of records.received) {
      // A Buffer, as the in-process fake's payloads are.
      const payload = Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
      this.received.push({ at: r.at + offset, payload });
    }
    for (const m of records.newMarks) this.marks.push(this.ourTimes(m, offset));
    for (const { index, echoedAt, cleared } of records.settledMarks) {
      const mark = this.marks[index];
      if (!mark) continue;
      if (echoedAt !== undefined) mark.echoedAt = echoedAt + offset;
      if (cleared) mark.cleared = true;
    }
    for (const c of records.clears) this.clears.push({ at: c.at + offset, playedMs: c.playedMs });
    this.other.push(...records.other);
    this.playedMs = records.playedMs;
  }

  private ourTimes(mark: FakeMarkRecord, offset: number): FakeMarkRecord {
    const ours: FakeMarkRecord = { name: mark.name, at: mark.at + offset };
    if (mark.echoedAt !== undefined) ours.echoedAt = mark.echoedAt + offset;
    if (mark.cleared) ours.cleared = true;
    return ours;
  }
}
