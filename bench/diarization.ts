/**
 * Speaker change: how long after a new speaker starts talking MfccDiarizationProvider says
 * so. Two flite voices take turns (one sentence each, six turns): a male voice (rms, awb or
 * kal) and the female slt, with 0, 300 and 800 ms between turns. The delay runs from the
 * first loud 10 ms of the turn to the event; every event that is not the expected change
 * counts as extra. Also the cost per second of audio.
 *
 * `npm run bench -- diarization` (about ten seconds).
 */
import { MfccDiarizationProvider } from '../src/voice/diarization/index.js';
import { VoiceCapability } from '../src/voice/types.js';
import { conversation, scoreChanges } from '../test/voice/diarization/conversation.js';
import { SpeechCache } from '../test/voice/echo/speech-fixtures.js';

export async function benchDiarization(): Promise<Record<string, unknown>[]> {
  const speech = new SpeechCache();
  try {
    const rows: Record<string, unknown>[] = [];
    const all: number[] = [];
    for (const male of ['rms', 'awb', 'kal']) {
      for (const gapMs of [0, 300, 800]) {
        const conv = await conversation(speech, male, 'slt', gapMs);
        const stage = new MfccDiarizationProvider().createStage({
          sessionId: 'bench',
          sampleRate: 16000,
          capabilities: VoiceCapability.NONE,
        });
        const events: { atMs: number; speakerId: string }[] = [];
        const started = performance.now();
        for (let i = 0; i + 320 <= conv.pcm.length; i += 320) {
          const r = stage.process({ data: conv.pcm.subarray(i, i + 320), sampleRate: 16000, channels: 1 });
          if (r) events.push({ atMs: (i + 320) / 16, speakerId: r.speakerId });
        }
        const cpuMsPerAudioS = (performance.now() - started) / (conv.pcm.length / 16000);
        const score = scoreChanges(conv, events);
        all.push(...score.delays);
        rows.push({
          voices: `${male}+slt`,
          gapMs,
          changes: score.delays.length,
          missed: score.missed,
          extra: score.extra,
          delaysMs: score.delays.map(Math.round),
          cpuMsPerAudioS: Math.round(cpuMsPerAudioS * 10) / 10,
        });
      }
    }
    all.sort((a, b) => a - b);
    const q = (p: number) => Math.round(all[Math.min(all.length - 1, Math.floor(p * all.length))]);
    rows.push({
      voices: 'all',
      changes: all.length,
      minMs: Math.round(all[0]),
      medianMs: q(0.5),
      p90Ms: q(0.9),
      maxMs: Math.round(all.at(-1) ?? 0),
      within500Ms: all.filter((d) => d < 500).length,
    });
    return rows;
  } finally {
    speech.dispose();
  }
}
