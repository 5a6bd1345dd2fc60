/** What a fake realtime server does when the user "speaks": the script of one turn. */
export interface FakeTurn {
  /** What the fake "heard"; sent as the user transcript (partials word by word, then final). */
  userTranscript?: string;
  /** The model's spoken answer. Ignored when `toolCall` is set (see `afterToolResult`). */
  reply?: FakeReply;
  /** Instead of answering, call a tool; the answer after the result is `afterToolResult`. */
  toolCall?: { name: string; arguments: Record<string, unknown>; callId?: string };
  afterToolResult?: FakeReply;
}

export interface FakeReply {
  /** Transcript of the answer (default 'Hello there.'), spread over the chunks. */
  text?: string;
  /** Length of the generated tone (default 200 ms), at the protocol's output rate. */
  audioMs?: number;
  /** Exact samples to send instead of a tone (at the protocol's output rate). */
  audio?: Int16Array;
  /** Audio deltas the answer is cut into (default 4). */
  chunks?: number;
  /**
   * Stop after this many chunks and hold the response open until `releaseReply()` or a
   * barge-in: makes interruption tests deterministic without timers.
   */
  pauseAfterChunks?: number;
  /** Pause between chunks (default 0: as fast as the socket takes them). */
  chunkIntervalMs?: number;
}

export interface ReplyChunk {
  audio: Int16Array;
  text: string;
  /** The whole reply's text (vendors that send it up front, like ElevenLabs, need it). */
  replyText: string;
  index: number;
  last: boolean;
}

export const DEFAULT_REPLY_TEXT = 'Hello there.';

/** A 440 Hz tone: loud enough for any VAD, and recognisable in assertions. */
export function tone(ms: number, sampleRate: number, amplitude = 8000): Int16Array {
  const samples = Math.round((ms / 1000) * sampleRate);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++)
    out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * 440 * i) / sampleRate));
  return out;
}

export function silence(ms: number, sampleRate: number): Int16Array {
  return new Int16Array(Math.round((ms / 1000) * sampleRate));
}

/** Cut a reply into chunks of audio and words, in order. */
export function renderReply(reply: FakeReply, sampleRate: number): ReplyChunk[] {
  const audio = reply.audio ?? tone(reply.audioMs ?? 200, sampleRate);
  const count = Math.max(1, reply.chunks ?? 4);
  const replyText = reply.text ?? DEFAULT_REPLY_TEXT;
  const words = replyText.split(/(?<=\s)/);
  const per = Math.ceil(audio.length / count);
  const chunks: ReplyChunk[] = [];
  for (let i = 0; i < count; i++) {
    const from = Math.floor((i * words.length) / count);
    const to = Math.floor(((i + 1) * words.length) / count);
    chunks.push({
      audio: audio.slice(i * per, Math.min(audio.length, (i + 1) * per)),
      text: words.slice(from, to).join(''),
      replyText,
      index: i,
      last: i === count - 1,
    });
  }
  return chunks;
}

/** Split a transcript into growing partials, the way streaming ASR reports them. */
export function transcriptDeltas(text: string): string[] {
  return text.split(/(?<=\s)/).filter((w) => w.length > 0);
}

export function peakAmplitude(pcm: Int16Array): number {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i] < 0 ? -pcm[i] : pcm[i];
    if (v > peak) peak = v;
  }
  return peak;
}
