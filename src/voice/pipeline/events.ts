import type { DiarizationResult } from '../types.js';
import type { DTMFDigit } from './stages.js';

/** Where a stage error came from; `listener` is an event listener that threw. */
export type PipelineStageName =
  | 'inboundResampler'
  | 'recorder'
  | 'dtmf'
  | 'aec'
  | 'agc'
  | 'denoiser'
  | 'vad'
  | 'diarization'
  | 'postProcessor'
  | 'outboundResampler'
  | 'listener';

export interface AudioPipelineEvents {
  speechStart: { sessionId: string; timestampMs?: number };
  /** `audio` is the utterance at `sampleRate`, pre-roll included; the listener owns it. */
  speechEnd: {
    sessionId: string;
    audio: Int16Array;
    sampleRate: number;
    durationMs: number;
    /** The silence that ended the utterance (absent when it was cut at the length limit). */
    silenceMs?: number;
    timestampMs?: number;
  };
  dtmf: { sessionId: string; digit: DTMFDigit; timestampMs?: number };
  /** The diarization stage heard another speaker (or the first one) on this frame. */
  speakerChange: { sessionId: string; result: DiarizationResult; timestampMs?: number };
  /**
   * Emitted every `levelIntervalMs` per direction, only while someone listens. `isSpeech` is
   * the VAD's state inbound, and "above -50 dBFS" outbound.
   */
  audioLevel: { sessionId: string; direction: 'inbound' | 'outbound'; levelDb: number; isSpeech: boolean };
  /** A stage threw; reported once per session per stage, and the frame went on unchanged. */
  error: { sessionId: string; stage: PipelineStageName; error: unknown };
}

export type AudioPipelineEventName = keyof AudioPipelineEvents;
export type AudioPipelineListener<K extends AudioPipelineEventName> = (event: AudioPipelineEvents[K]) => void;

/**
 * A minimal typed event emitter. Listeners run synchronously on the audio path, so they
 * should be quick; one that throws is reported as an `error` event, never to the caller.
 */
export class PipelineEmitter {
  private readonly listeners: { [K in AudioPipelineEventName]?: AudioPipelineListener<K>[] } = {};

  /** Subscribes; returns the unsubscribe function. */
  on<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): () => void {
    const list = (this.listeners[name] ??= []) as AudioPipelineListener<K>[];
    list.push(listener);
    return () => this.off(name, listener);
  }

  off<K extends AudioPipelineEventName>(name: K, listener: AudioPipelineListener<K>): void {
    const list = this.listeners[name] as AudioPipelineListener<K>[] | undefined;
    const at = list?.indexOf(listener) ?? -1;
    if (list && at >= 0) list.splice(at, 1);
  }

  hasListeners(name: AudioPipelineEventName): boolean {
    const list = this.listeners[name];
    return list !== undefined && list.length > 0;
  }

  /** Calls every listener; returns the errors listeners threw (rare, so usually undefined). */
  emit<K extends AudioPipelineEventName>(name: K, event: AudioPipelineEvents[K]): unknown[] | undefined {
    const list = this.listeners[name] as AudioPipelineListener<K>[] | undefined;
    if (!list || list.length === 0) return undefined;
    let errors: unknown[] | undefined;
    for (const listener of list.slice()) {
      try {
        listener(event);
      } catch (err) {
        (errors ??= []).push(err);
      }
    }
    return errors;
  }
}
