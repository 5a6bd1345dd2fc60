/**
 * The carrier's side of one media stream, as the fakes play it: opens the WebSocket to our
 * stream URL, sends the start message, streams caller audio in real time (20 ms messages,
 * or the carrier's chunk size), and plays what we send back through a playback buffer that
 * runs at real time: marks are echoed when playback reaches them, `clear` drops the buffer
 * (echoing pending marks where the carrier does). Everything is recorded with its time.
 * With `lineEcho`, the caller's line returns what it played (a hybrid, a speakerphone).
 */
import { WebSocket } from 'ws';
import {
  decodeWire,
  encodeWire,
  type WireEncoding,
} from '../../../providers/shared/media-stream/wire-audio.js';
import { decodeWav } from '../../../voice/audio/wav.js';
import { Resampler } from '../../../voice/audio/resampler.js';

/** What the carrier says and how it reads what we say: one per carrier protocol. */
export interface FakeStreamDialect {
  readonly carrier: string;
  readonly encoding: WireEncoding;
  readonly sampleRate: number;
  /** Caller audio per message (ms): 20, Exotel 100. */
  readonly chunkMs: number;
  /** Messages on open (connected + start; Vonage's websocket:connected). */
  opening(call: FakeStreamInfo): (string | Buffer)[];
  media(call: FakeStreamInfo, payload: Uint8Array, seq: number): string | Buffer;
  dtmf(call: FakeStreamInfo, digit: string): string;
  /** The carrier's stop message when the caller hangs up (undefined: it just closes). */
  stop(call: FakeStreamInfo): string | undefined;
  /** One message of ours. */
  read(data: Buffer, isBinary: boolean): FakeReceived;
  markEcho(call: FakeStreamInfo, name: string): string;
  /** Acknowledgement of a clear, where the carrier sends one. */
  clearedEcho?(call: FakeStreamInfo): string;
  /** Twilio and Exotel echo every pending mark when they clear. */
  readonly echoesMarksOnClear: boolean;
}

export type FakeReceived =
  | { type: 'media'; payload: Uint8Array }
  | { type: 'mark'; name: string }
  | { type: 'clear' }
  | { type: 'other'; message: unknown };

export interface FakeStreamInfo {
  streamId: string;
  callId: string;
  from: string;
  to: string;
  parameters: Record<string, string>;
}

export interface FakeStreamCallOptions {
  /** Delay before audio that arrives on an idle buffer starts playing (a jitter buffer; default 0). */
  playoutDelayMs?: number;
  /**
   * The caller's line echoes what the fake played to them (a 2-wire hybrid, a speakerphone):
   * each sample comes back as caller media `delayMs` after it played, at `gainDb` (negative),
   * mixed with what the test streams as the caller's voice. What a `clear` drops never plays,
   * so never echoes. The stream then sends caller media continuously from the open on, one
   * message per `chunkMs` (silence included), as a carrier does; `streamAudio` mixes into it.
   */
  lineEcho?: { delayMs: number; gainDb: number };
}

/** One media message of ours, as the fake received it (performance.now() time). */
export interface FakeReceivedMedia {
  at: number;
  payload: Uint8Array;
}

/** A mark we sent, when it arrived, and when the fake echoed it (undefined: still pending/dropped). */
export interface FakeMarkRecord {
  name: string;
  at: number;
  echoedAt?: number;
  cleared?: boolean;
}

/** A clear: when, and how much of our audio had been played by then (ms). */
export interface FakeClearRecord {
  at: number;
  playedMs: number;
}

/** Our audio as PCM at the stream's rate. */
export function receivedPcm(dialect: FakeStreamDialect, received: readonly FakeReceivedMedia[]): Int16Array {
  const parts = received.map((r) => decodeWire(r.payload, dialect.encoding));
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Milliseconds of our audio. */
export function receivedMs(dialect: FakeStreamDialect, received: readonly FakeReceivedMedia[]): number {
  const bytesPerMs = (dialect.sampleRate / 1000) * (dialect.encoding === 'mulaw' ? 1 : 2);
  return received.reduce((n, r) => n + r.payload.byteLength, 0) / bytesPerMs;
}

/** Caller audio waiting to be mixed into the uplink, and who waits for its end. */
interface CallerAudio {
  pcm: Int16Array;
  at: number;
  done: () => void;
}

interface Queued {
  startAt: number;
  endAt: number;
  ms: number;
  mark?: string;
}

export class FakeStreamCall {
  /** Our media messages, as they arrived. */
  readonly received: FakeReceivedMedia[] = [];
  /** Marks we sent, in order. */
  readonly marks: FakeMarkRecord[] = [];
  readonly clears: FakeClearRecord[] = [];
  readonly other: unknown[] = [];
  /** Audio played to the caller so far (ms). */
  playedMs = 0;
  closeCode?: number;
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private queue: Queued[] = [];
  private lastEndAt = 0;
  private player?: NodeJS.Timeout;
  private seq = 0;
  /** lineEcho: the echo to send, by uplink chunk index (chunk n covers [n, n+1) * chunkMs from the open). */
  private readonly echoLine = new Map<number, Float32Array>();
  private readonly callerAudio: CallerAudio[] = [];
  private uplinkStart = 0;
  /** The next uplink chunk to send. */
  private uplinkNext = 0;
  private uplinkTimer?: NodeJS.Timeout;

  constructor(
    readonly dialect: FakeStreamDialect,
    readonly info: FakeStreamInfo,
    url: string,
    headers: Record<string, string> = {},
    private readonly opts: FakeStreamCallOptions = {},
  ) {
    this.socket = new WebSocket(url, { headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => {
        for (const message of dialect.opening(info)) this.socket.send(message);
        if (opts.lineEcho) this.startUplink();
        resolve();
      });
      this.socket.once('unexpected-response', (_req, res) =>
        reject(new Error(`${dialect.carrier} fake: stream upgrade refused (${res.statusCode})`)),
      );
      this.socket.once('error', reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.socket.once('close', (code) => {
        this.closeCode = code;
        clearInterval(this.player);
        clearTimeout(this.uplinkTimer);
        for (const audio of this.callerAudio.splice(0)) audio.done();
        resolve(code);
      });
    });
    this.socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    this.socket.on('error', () => {});
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  /** Our audio as PCM at the stream's rate, everything received so far. */
  receivedPcm(): Int16Array {
    return receivedPcm(this.dialect, this.received);
  }

  /** Milliseconds of our audio received so far. */
  get receivedMs(): number {
    return receivedMs(this.dialect, this.received);
  }

  /**
   * Stream caller audio in real time, one message per `chunkMs`: PCM at the stream's rate, or a
   * WAV (any rate, resampled) as the carrier would encode it. Resolves when all was sent.
   */
  async streamAudio(audio: Int16Array | Uint8Array): Promise<void> {
    const pcm = audio instanceof Int16Array ? audio : await this.fromWav(audio);
    if (this.opts.lineEcho) return this.mixIntoUplink(pcm);
    await this.streamWire(encodeWire(pcm, this.dialect.encoding));
  }

  /** Stream bytes already in the wire encoding (exact codes, unless lineEcho mixes them), in real time. */
  async streamWire(wire: Uint8Array): Promise<void> {
    if (this.opts.lineEcho) return this.mixIntoUplink(decodeWire(wire, this.dialect.encoding));
    const bytesPerSample = this.dialect.encoding === 'mulaw' ? 1 : 2;
    const chunk = Math.round((this.dialect.sampleRate * this.dialect.chunkMs) / 1000) * bytesPerSample;
    const startedAt = performance.now();
    for (let i = 0, n = 0; i < wire.length; i += chunk, n++) {
      if (!this.isOpen) return;
      // Drift-free real time: each message leaves at its own due time.
      const due = startedAt + n * this.dialect.chunkMs;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const payload = wire.subarray(i, Math.min(wire.length, i + chunk));
      this.socket.send(this.dialect.media(this.info, payload, ++this.seq));
    }
  }

  sendDtmf(digit: string): void {
    this.socket.send(this.dialect.dtmf(this.info, digit));
  }

  /** The caller hangs up: the carrier's stop message, then the socket closes. */
  hangup(): Promise<number> {
    const stop = this.dialect.stop(this.info);
    if (stop && this.isOpen) this.socket.send(stop);
    if (this.isOpen) this.socket.close(1000);
    return this.closed;
  }

  /** The carrier tears the stream down (REST hang-up, transfer): stop, then close. */
  end(): void {
    void this.hangup();
  }

  private async fromWav(bytes: Uint8Array): Promise<Int16Array> {
    const wav = decodeWav(bytes);
    if (wav.sampleRate === this.dialect.sampleRate) return wav.samples;
    const resampler = await Resampler.create({
      inputRate: wav.sampleRate,
      outputRate: this.dialect.sampleRate,
    });
    try {
      return resampler.process(wav.samples).slice();
    } finally {
      resampler.close();
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const now = performance.now();
    const msg = this.dialect.read(data, isBinary);
    if (msg.type === 'media') {
      this.received.push({ at: now, payload: msg.payload });
      const bytesPerMs = (this.dialect.sampleRate / 1000) * (this.dialect.encoding === 'mulaw' ? 1 : 2);
      const ms = msg.payload.byteLength / bytesPerMs;
      const idle = this.lastEndAt <= now;
      const startAt = idle ? now + (this.opts.playoutDelayMs ?? 0) : this.lastEndAt;
      this.lastEndAt = startAt + ms;
      this.queue.push({ startAt, endAt: this.lastEndAt, ms });
      if (this.opts.lineEcho) this.echoLater(msg.payload, startAt);
      this.armPlayer();
    } else if (msg.type === 'mark') {
      this.marks.push({ name: msg.name, at: now });
      const at = Math.max(now, this.lastEndAt);
      this.queue.push({ startAt: at, endAt: at, ms: 0, mark: msg.name });
      this.armPlayer();
    } else if (msg.type === 'clear') {
      this.clear(now);
    } else {
      this.other.push(msg.message);
    }
  }

  private clear(now: number): void {
    this.play(now);
    // The item playing now counts for what was played of it.
    for (const item of this.queue) {
      if (item.mark || item.startAt >= now) continue;
      this.playedMs += Math.min(item.ms, now - item.startAt);
    }
    const pendingMarks = this.queue.filter((q) => q.mark).map((q) => q.mark!);
    this.queue = [];
    this.lastEndAt = now;
    if (this.opts.lineEcho) this.cutEcho(now);
    this.clears.push({ at: now, playedMs: this.playedMs });
    for (const name of pendingMarks) {
      const record = this.marks.find((m) => m.name === name && m.echoedAt === undefined);
      if (record) record.cleared = true;
      if (this.dialect.echoesMarksOnClear) this.echo(name, now);
    }
    const ack = this.dialect.clearedEcho?.(this.info);
    if (ack && this.isOpen) this.socket.send(ack);
  }

  /** Uplink sample index (from the open) of a performance.now() time. */
  private uplinkSample(at: number): number {
    return Math.round(((at - this.uplinkStart) * this.dialect.sampleRate) / 1000);
  }

  private get uplinkChunk(): number {
    return Math.round((this.dialect.sampleRate * this.dialect.chunkMs) / 1000);
  }

  /** Our audio starts playing at `startAt`: it comes back `delayMs` later, attenuated. */
  private echoLater(payload: Uint8Array, startAt: number): void {
    const { delayMs, gainDb } = this.opts.lineEcho!;
    const gain = 10 ** (gainDb / 20);
    const pcm = decodeWire(payload, this.dialect.encoding);
    const n = this.uplinkChunk;
    const from = this.uplinkSample(startAt + delayMs);
    for (let i = 0; i < pcm.length; i++) {
      const at = from + i;
      const index = Math.floor(at / n);
      // Echo due before the uplink's next chunk is lost (only a timer late by more than delayMs).
      if (index < this.uplinkNext) continue;
      let chunk = this.echoLine.get(index);
      if (!chunk) this.echoLine.set(index, (chunk = new Float32Array(n)));
      chunk[at - index * n] = pcm[i]! * gain;
    }
  }

  /** A clear at `now`: what had not played yet never echoes. */
  private cutEcho(now: number): void {
    const n = this.uplinkChunk;
    const from = this.uplinkSample(now + this.opts.lineEcho!.delayMs);
    for (const [index, chunk] of this.echoLine) {
      if ((index + 1) * n <= from) continue;
      chunk.fill(0, Math.max(0, from - index * n));
    }
  }

  /** Caller audio joins the uplink (mixed with the echo); resolves once it was all sent. */
  private mixIntoUplink(pcm: Int16Array): Promise<void> {
    if (!this.isOpen) return Promise.resolve();
    return new Promise((done) => this.callerAudio.push({ pcm, at: 0, done }));
  }

  /** lineEcho: one caller message per chunkMs from the open, echo plus caller voice (or silence). */
  private startUplink(): void {
    this.uplinkStart = performance.now();
    const n = this.uplinkChunk;
    const tick = () => {
      if (!this.isOpen) return;
      // Drift-free: every chunk that is due leaves now (a late timer sends two).
      const due = Math.floor((performance.now() - this.uplinkStart) / this.dialect.chunkMs);
      for (; this.uplinkNext <= due; this.uplinkNext++) {
        const mixed = new Int16Array(n);
        const echo = this.echoLine.get(this.uplinkNext);
        this.echoLine.delete(this.uplinkNext);
        for (let i = 0; i < n; ) {
          const caller = this.callerAudio[0];
          const take = caller ? Math.min(n - i, caller.pcm.length - caller.at) : n - i;
          for (let k = 0; k < take; k++, i++) {
            const v = (echo ? echo[i]! : 0) + (caller ? caller.pcm[caller.at + k]! : 0);
            mixed[i] = Math.max(-32768, Math.min(32767, Math.round(v)));
          }
          if (!caller) break;
          caller.at += take;
          if (caller.at >= caller.pcm.length) {
            this.callerAudio.shift();
            caller.done();
          }
        }
        this.socket.send(this.dialect.media(this.info, encodeWire(mixed, this.dialect.encoding), ++this.seq));
      }
      const wait = this.uplinkStart + this.uplinkNext * this.dialect.chunkMs - performance.now();
      this.uplinkTimer = setTimeout(tick, Math.max(0, wait));
    };
    tick();
  }

  private armPlayer(): void {
    this.player ??= setInterval(() => this.play(performance.now()), 5);
  }

  private play(now: number): void {
    while (this.queue.length > 0 && this.queue[0]!.endAt <= now) {
      const item = this.queue.shift()!;
      if (item.mark) this.echo(item.mark, now);
      else this.playedMs += item.ms;
    }
    if (this.queue.length === 0 && this.player) {
      clearInterval(this.player);
      this.player = undefined;
    }
  }

  private echo(name: string, now: number): void {
    const record = this.marks.find((m) => m.name === name && m.echoedAt === undefined);
    if (record) record.echoedAt = now;
    if (this.isOpen) this.socket.send(this.dialect.markEcho(this.info, name));
  }
}
