import {
  type RTCDataChannel,
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  type RTCRtpTransceiver,
  useOPUS,
} from 'werift';
import { OpusCodec } from '../../../src/voice/audio/opus.js';

/**
 * A WebRTC client made of werift (no browser): offers over the backend's HTTP signalling,
 * streams Opus from PCM it is given, decodes what comes back, records the control messages.
 * Tests use it where a browser adds nothing; the bench runs many of them in another process.
 */
export interface WeriftClientOptions {
  /** Signalling URL, e.g. http://127.0.0.1:1234/rtc */
  url: string;
  token?: string;
  roomId?: string;
  metadata?: Record<string, unknown>;
  /** PCM rate of what is sent and received (default 48000). */
  sampleRate?: 16000 | 24000 | 48000;
  /** Rewrite the answer before applying it (tests route media through a relay this way). */
  transformAnswer?: (sdp: string) => string;
  /** Rewrite our offer before sending it. */
  transformOffer?: (sdp: string) => string;
  /** Create the control data channel (default true). */
  dataChannel?: boolean;
}

export interface ReceivedFrame {
  at: number;
  samples: number;
  marker: boolean;
}

export class WeriftClient {
  readonly pc: RTCPeerConnection;
  connectionId?: string;
  readonly messages: Record<string, unknown>[] = [];
  readonly received: Int16Array[] = [];
  readonly frames: ReceivedFrame[] = [];
  control?: RTCDataChannel;
  private readonly codec: OpusCodec;
  private readonly rate: number;
  private transceiver?: RTCRtpTransceiver;
  private seq = Math.floor(Math.random() * 65535);
  private ts = Math.floor(Math.random() * 2 ** 31);
  private sendTimer?: NodeJS.Timeout;
  private readonly waiters: {
    test: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];

  constructor(private readonly opts: WeriftClientOptions) {
    this.rate = opts.sampleRate ?? 48000;
    this.codec = new OpusCodec({ sampleRate: this.rate as 48000, channels: 1 });
    this.pc = new RTCPeerConnection({
      iceServers: [],
      iceAdditionalHostAddresses: ['127.0.0.1'],
      codecs: { audio: [useOPUS()], video: [] },
    });
  }

  static async connect(opts: WeriftClientOptions): Promise<WeriftClient> {
    const { loadOpus } = await import('../../../src/voice/audio/opus.js');
    await loadOpus();
    const client = new WeriftClient(opts);
    await client.start();
    return client;
  }

  get state(): string {
    return this.pc.connectionState;
  }

  /** POST the offer; resolves when the answer is applied (not yet connected). */
  async start(): Promise<void> {
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.pc.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const pcm = this.codec.decode(rtp.payload);
        this.received.push(pcm);
        this.frames.push({ at: performance.now(), samples: pcm.length, marker: rtp.header.marker });
      }),
    );
    if (this.opts.dataChannel !== false) {
      const dc = this.pc.createDataChannel('roomkit');
      this.control = dc;
      dc.onMessage.subscribe((data) => {
        const msg = JSON.parse(data.toString()) as Record<string, unknown>;
        this.messages.push(msg);
        for (const w of [...this.waiters]) {
          if (!w.test(msg)) continue;
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      });
    }
    await this.pc.setLocalDescription(await this.pc.createOffer());
    const offer = this.opts.transformOffer
      ? this.opts.transformOffer(this.pc.localDescription!.sdp)
      : this.pc.localDescription!.sdp;
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {}),
      },
      body: JSON.stringify({ sdp: offer, roomId: this.opts.roomId, metadata: this.opts.metadata }),
    });
    const body = (await res.json()) as { sdp: string; connectionId: string; error?: { message: string } };
    if (res.status !== 201) throw new Error(`offer refused: ${res.status} ${JSON.stringify(body)}`);
    this.connectionId = body.connectionId;
    const sdp = this.opts.transformAnswer ? this.opts.transformAnswer(body.sdp) : body.sdp;
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
  }

  async waitConnected(timeoutMs = 10_000): Promise<void> {
    if (this.pc.connectionState === 'connected') return;
    await within(
      new Promise<void>((resolve) =>
        this.pc.connectionStateChange.subscribe((s) => {
          if (s === 'connected') resolve();
        }),
      ),
      timeoutMs,
      'webrtc connect',
    );
  }

  /** The next control message matching `test` (or one already received). */
  waitMessage(
    test: (m: Record<string, unknown>) => boolean,
    timeoutMs = 10_000,
  ): Promise<Record<string, unknown>> {
    const seen = this.messages.find(test);
    if (seen) return Promise.resolve(seen);
    return within(
      new Promise((resolve) => this.waiters.push({ test, resolve })),
      timeoutMs,
      'control message',
    );
  }

  sendControl(message: unknown): void {
    this.control?.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** One 20 ms frame of PCM (at the client's rate) as an RTP packet now. */
  sendFrame(pcm: Int16Array): void {
    const payload = this.codec.encode(pcm);
    const packet = new RtpPacket(
      new RtpHeader({ sequenceNumber: this.seq, timestamp: this.ts >>> 0, marker: false }),
      Buffer.from(payload),
    );
    this.seq = (this.seq + 1) & 0xffff;
    this.ts += 960;
    this.transceiver?.sender.sendRtp(packet).catch(() => {});
  }

  /** Stream PCM in real time, 20 ms per packet; `loop` repeats it until stopSending(). */
  streamPcm(pcm: Int16Array, loop = false): Promise<void> {
    const frame = this.rate / 50;
    let offset = 0;
    this.stopSending();
    return new Promise((resolve) => {
      const start = performance.now();
      let sent = 0;
      const tick = () => {
        // Catch up by wall time so a busy event loop does not slow the stream down.
        const due = Math.floor((performance.now() - start) / 20) + 1;
        while (sent < due) {
          if (offset + frame > pcm.length) {
            if (!loop) {
              this.stopSending();
              resolve();
              return;
            }
            offset = 0;
          }
          this.sendFrame(pcm.subarray(offset, offset + frame));
          offset += frame;
          sent++;
        }
      };
      this.sendTimer = setInterval(tick, 10);
    });
  }

  stopSending(): void {
    clearInterval(this.sendTimer);
    this.sendTimer = undefined;
  }

  /** Everything received, joined. */
  receivedPcm(): Int16Array {
    const out = new Int16Array(this.received.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of this.received) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  async hangUp(): Promise<number> {
    const res = await fetch(`${this.opts.url}/${this.connectionId}`, {
      method: 'DELETE',
      headers: this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {},
    });
    return res.status;
  }

  async close(): Promise<void> {
    this.stopSending();
    await this.pc.close().catch(() => {});
  }
}

export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
