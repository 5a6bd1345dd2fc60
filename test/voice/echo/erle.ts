/**
 * Echo return loss enhancement of the Speex AEC stage as the pipeline drives it, on flite
 * replies played through the EchoLoopBackend's echo path: how much quieter the echo is
 * after the canceller (linear filter alone, and with residual suppression), with the
 * reference aligned to the estimated delay or fed as played (no alignment).
 */
import { EchoLoopBackend } from '../../../src/testing/echo-loop-backend.js';
import { int16ToBytes } from '../../../src/voice/audio/pcm.js';
import { EchoGuard } from '../../../src/voice/echo/echo-guard.js';
import { ManualClock } from '../../../src/voice/pacer.js';
import { SpeexAECProvider } from '../../../src/voice/pipeline/speex-aec.js';
import type { AECStage } from '../../../src/voice/pipeline/stages.js';
import { VoiceCapability } from '../../../src/voice/types.js';
import { REPLIES, type SpeechCache } from './speech-fixtures.js';

export interface ErleCase {
  filterLengthMs: number;
  delayMs: number;
  roomTailMs: number;
  /** Reference delayed to the estimated echo path (what the pipeline does), or fed as played. */
  aligned: boolean;
  /** Replies played (the first two are convergence, not measured). Default 6. */
  replies?: number;
}

export interface ErleResult extends ErleCase {
  /** Echo reduction by the linear filter (dB), after convergence, while echo is present. */
  linearDb: number;
  /** Echo reduction with residual suppression too. */
  totalDb: number;
}

const RATE = 16_000;
const FRAME = 320;

export async function erleOf(speech: SpeechCache, c: ErleCase): Promise<ErleResult> {
  const clock = new ManualClock(0);
  const backend = new EchoLoopBackend({
    clock,
    delayMs: c.delayMs,
    gainDb: -6,
    // Quiet enough that the line's noise does not cap the figure.
    noiseDbfs: -70,
    roomTailMs: c.roomTailMs,
  });
  const aec = new SpeexAECProvider({ filterLengthMs: c.filterLengthMs }).createStage({
    sessionId: 'erle',
    sampleRate: RATE,
    capabilities: VoiceCapability.NONE,
  }) as AECStage;
  let residual = new Int16Array(0);
  const watched: AECStage = {
    filterLengthMs: aec.filterLengthMs,
    feedReference: (f) => aec.feedReference(f),
    reset: () => aec.reset?.(),
    get linearOutput() {
      return aec.linearOutput;
    },
    process: (f) => {
      const out = aec.process(f);
      residual = out.data.slice();
      return out;
    },
  };
  const guard = new EchoGuard(RATE, c.aligned ? {} : { fixedDelayMs: 0 });
  const session = await backend.connect('room', 'caller', 'erle');
  let measuring = false;
  let echoActive = 0;
  const sums = { mic: 0, linear: 0, total: 0 };
  backend.onAudioReceived((_s, frame) => {
    guard.process(frame, clock.now(), watched);
    if (!measuring || echoActive <= 0) return;
    sums.mic += energy(frame.data);
    sums.linear += energy(aec.linearOutput!.data);
    sums.total += energy(residual);
  });
  const replies = c.replies ?? 6;
  for (let r = 0; r < replies; r++) {
    measuring = r >= 2;
    const pcm = await speech.speech(REPLIES[r % REPLIES.length]);
    for (let at = 0; at < pcm.length + RATE; at += FRAME) {
      const frame = pcm.subarray(at, at + FRAME);
      // Echo is "present" from a frame's playback until the path and the room have passed.
      if (frame.length > 0 && energy(frame) > FRAME * 1e4) echoActive = c.delayMs + c.roomTailMs + 60;
      else echoActive -= 20;
      if (frame.length > 0) {
        guard.feedReference(frame, clock.now());
        void backend.sendAudio(session, {
          data: int16ToBytes(frame),
          sampleRate: RATE,
          channels: 1,
          format: 'pcm_s16le',
        });
      }
      clock.advance(20);
    }
  }
  await backend.disconnect(session);
  aec.close?.();
  const db = (removed: number) => Math.round(10 * Math.log10(sums.mic / Math.max(1, removed)) * 10) / 10;
  return { ...c, replies, linearDb: db(sums.linear), totalDb: db(sums.total) };
}

/** The bench's table: filter lengths against echo paths, aligned or not. */
export async function measureErle(speech: SpeechCache, quick = false): Promise<ErleResult[]> {
  const rows: ErleResult[] = [];
  const filters = quick ? [200] : [100, 200, 300, 500, 800];
  const delays = quick ? [250] : [40, 120, 250, 400];
  for (const roomTailMs of quick ? [100] : [0, 100]) {
    for (const delayMs of delays) {
      for (const filterLengthMs of filters) {
        for (const aligned of [true, false]) {
          rows.push(await erleOf(speech, { filterLengthMs, delayMs, roomTailMs, aligned }));
        }
      }
    }
  }
  return rows;
}

function energy(data: Int16Array): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  return sum;
}
