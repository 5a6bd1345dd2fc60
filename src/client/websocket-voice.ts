import { dbfs } from './levels.js';
import { ConnectError } from './webrtc-voice.js';
import type { VoiceLink, VoiceLinkEvents, VoiceLinkOptions } from './voice-link.js';
import { epochNow } from './types.js';

export type WebSocketVoiceOptions = VoiceLinkOptions;

const RATE = 16000;
const FRAME = 320; // 20 ms at 16 kHz

// The capture worklet, inlined so the library is one import with no extra files to serve.
const WORKLET = `class RoomkitMic extends AudioWorkletProcessor {
  process(inputs) { const c = inputs[0] && inputs[0][0]; if (c) this.port.postMessage(c.slice(0)); return true; }
}
registerProcessor('roomkit-mic', RoomkitMic);`;

/**
 * The fallback: roomkit's WebSocketVoiceBackend protocol (PCM s16le at 16 kHz in binary
 * frames, JSON control). Replies are scheduled on Web Audio; `clear_audio` stops every
 * scheduled buffer at once. Used where WebRTC cannot connect (UDP blocked, no WebRTC mount).
 */
export class WebSocketVoice implements VoiceLink {
  readonly transport = 'websocket' as const;
  sessionId?: string;
  private ws?: WebSocket;
  private ctx?: AudioContext;
  private node?: AudioWorkletNode;
  private analyser?: AnalyserNode;
  private readonly sources = new Set<AudioBufferSourceNode>();
  private pending = new Float32Array(0);
  private playAt = 0;
  private inputDb = -100;
  private muted = false;
  private ready = false;
  private ended = false;
  private readonly probe = new Float32Array(512);

  constructor(
    private readonly opts: WebSocketVoiceOptions,
    private readonly events: VoiceLinkEvents,
  ) {}

  async start(): Promise<void> {
    const ctx = new AudioContext({ sampleRate: RATE });
    this.ctx = ctx;
    await ctx.resume();
    const url = URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' }));
    try {
      await ctx.audioWorklet.addModule(url);
    } finally {
      URL.revokeObjectURL(url);
    }
    this.node = new AudioWorkletNode(ctx, 'roomkit-mic');
    this.node.port.onmessage = (e) => this.onMic(e.data as Float32Array);
    ctx.createMediaStreamSource(this.opts.microphone).connect(this.node);
    this.analyser = ctx.createAnalyser();
    this.analyser.fftSize = this.probe.length;
    this.analyser.connect(ctx.destination);
    const target = new URL(this.opts.url);
    // Browsers cannot set headers on a WebSocket: the token rides in the query.
    if (this.opts.token) target.searchParams.set('token', this.opts.token);
    const ws = new WebSocket(target);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      const timeoutMs = this.opts.connectTimeoutMs ?? 10_000;
      const timer = setTimeout(
        () => reject(new ConnectError('websocket_timeout', 'voice socket not ready in time')),
        timeoutMs,
      );
      ws.onopen = () =>
        ws.send(
          JSON.stringify({
            type: 'start',
            sampleRate: RATE,
            roomId: this.opts.roomId,
            framing: 'binary',
            metadata: this.opts.metadata,
          }),
        );
      ws.onmessage = (e) => {
        if (typeof e.data !== 'string') return this.onAudio(e.data as ArrayBuffer);
        const msg = JSON.parse(e.data);
        if (msg.type === 'ready') {
          clearTimeout(timer);
          this.ready = true;
          this.sessionId = msg.sessionId;
          resolve();
        } else if (msg.type === 'error' && !this.ready) {
          clearTimeout(timer);
          reject(new ConnectError(String(msg.code), String(msg.message)));
        }
        this.onControl(msg);
      };
      ws.onclose = () => {
        clearTimeout(timer);
        if (!this.ready)
          reject(new ConnectError('websocket_closed', 'the voice socket closed before it was ready'));
        this.stop('voice disconnected');
      };
    });
  }

  levels(): { input: number; output: number } {
    if (!this.analyser) return { input: -100, output: -100 };
    this.analyser.getFloatTimeDomainData(this.probe);
    return { input: this.inputDb, output: dbfs(this.probe) };
  }

  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  stop(reason = 'hung up'): void {
    if (this.ended) return;
    this.ended = true;
    this.clear();
    this.node?.disconnect();
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
    void this.ctx?.close().catch(() => {});
    this.events.onEnded(reason);
  }

  private onControl(msg: Record<string, any>): void {
    if (msg.type === 'clear_audio') {
      this.clear();
      this.events.onClear({ at: epochNow() });
    } else if (msg.type === 'speaking') {
      this.events.onSpeaking({
        speaking: Boolean(msg.speaking),
        who: msg.who === 'user' ? 'user' : 'assistant',
      });
    } else if (msg.type === 'transcription') {
      this.events.onTranscript({
        text: String(msg.text ?? ''),
        role: msg.role === 'assistant' ? 'assistant' : 'user',
        final: msg.final !== false,
      });
    } else if (msg.type === 'error' && this.ready) {
      this.events.onNotice({ level: 'error', code: String(msg.code), message: String(msg.message) });
    }
  }

  /** Microphone blocks (128 samples) -> 20 ms PCM16 frames. */
  private onMic(block: Float32Array): void {
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return;
    const joined = new Float32Array(this.pending.length + block.length);
    joined.set(this.pending);
    joined.set(block, this.pending.length);
    let offset = 0;
    while (joined.length - offset >= FRAME) {
      const frame = joined.subarray(offset, offset + FRAME);
      offset += FRAME;
      this.inputDb = dbfs(frame);
      const pcm = new Int16Array(FRAME);
      if (!this.muted)
        for (let i = 0; i < FRAME; i++)
          pcm[i] = Math.max(-32768, Math.min(32767, Math.round(frame[i]! * 32767)));
      this.ws.send(pcm.buffer);
    }
    this.pending = joined.slice(offset);
  }

  /** A reply chunk (PCM16 at 16 kHz): played right after the previous one. */
  private onAudio(buffer: ArrayBuffer): void {
    const ctx = this.ctx;
    if (!ctx || !this.analyser) return;
    const pcm = new Int16Array(buffer);
    const audio = ctx.createBuffer(1, pcm.length, RATE);
    const data = audio.getChannelData(0);
    for (let i = 0; i < pcm.length; i++) data[i] = pcm[i]! / 32768;
    const node = ctx.createBufferSource();
    node.buffer = audio;
    node.connect(this.analyser);
    this.playAt = Math.max(this.playAt, ctx.currentTime + 0.02);
    node.start(this.playAt);
    this.playAt += audio.duration;
    this.sources.add(node);
    node.onended = () => this.sources.delete(node);
  }

  private clear(): void {
    for (const node of this.sources) node.stop();
    this.sources.clear();
    this.playAt = 0;
  }
}
