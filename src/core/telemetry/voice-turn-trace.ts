import { type Attributes, type Link, ROOT_CONTEXT, SpanKind, type Tracer, trace } from '@opentelemetry/api';

/** A finished voice turn's timeline (the voice channel's TurnClock), all relative to the user's stop. */
export interface TurnTimeline {
  /** `performance.now()` when the user stopped speaking. */
  userStopAt: number;
  metrics: {
    transcriptFinalMs?: number;
    firstTokenMs?: number;
    firstTtsAudioMs?: number;
    firstFrameSentMs?: number;
  };
}

/** The stages of a turn as child spans: [name, from, to] over the turn's marks. */
const STAGES = [
  ['roomkit.voice.stt', undefined, 'transcriptFinalMs'],
  ['roomkit.voice.llm', 'transcriptFinalMs', 'firstTokenMs'],
  ['roomkit.voice.tts', 'firstTokenMs', 'firstTtsAudioMs'],
  ['roomkit.voice.playout', 'firstTtsAudioMs', 'firstFrameSentMs'],
] as const;

/**
 * A voice turn as one trace, written when the turn's first audio went out: `roomkit.voice.turn`
 * from the user's stop to the first frame sent, with `roomkit.voice.stt` (stop -> final
 * transcript), `roomkit.voice.llm` (-> first token), `roomkit.voice.tts` (-> first TTS audio)
 * and `roomkit.voice.playout` (-> first frame sent). The spans are written after the fact with
 * their measured times, so nothing runs on the audio path. `link` points at the room event
 * the transcript became.
 */
export function recordVoiceTurn(
  tracer: Tracer,
  turn: TurnTimeline,
  attributes: Attributes,
  link: Link | undefined,
): void {
  const at = (ms: number | undefined) => performance.timeOrigin + turn.userStopAt + (ms ?? 0);
  const m = turn.metrics;
  const root = tracer.startSpan('roomkit.voice.turn', {
    kind: SpanKind.INTERNAL,
    startTime: at(0),
    attributes,
    links: link ? [link] : undefined,
    root: true,
  });
  const parent = trace.setSpan(ROOT_CONTEXT, root);
  for (const [name, from, to] of STAGES) {
    const end = m[to];
    const start = from === undefined ? 0 : m[from];
    if (end === undefined || start === undefined) continue;
    tracer
      .startSpan(
        name,
        { startTime: at(start), attributes: { 'roomkit.voice.latency_ms': round(end) } },
        parent,
      )
      .end(at(end));
  }
  root.end(at(m.firstFrameSentMs ?? m.firstTtsAudioMs ?? m.firstTokenMs ?? m.transcriptFinalMs));
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
