import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeWav } from '../../../src/voice/audio/wav.js';
import { RecordingChannelMode, RecordingMode } from '../../../src/voice/pipeline/stages.js';
import { WavFileRecorder } from '../../../src/voice/pipeline/wav-recorder.js';
import { frames, goertzelPower, sine } from '../audio/signals.js';
import { expectIsolatedSessions, stageContext } from './isolation.js';

const dir = mkdtempSync(join(tmpdir(), 'roomkit-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const frame = (data: Int16Array) => ({ data, sampleRate: 16000, channels: 1 });

function channel(samples: Int16Array, channels: number, which: number): Int16Array {
  return Int16Array.from({ length: samples.length / channels }, (_, i) => samples[i * channels + which]);
}

describe('WavFileRecorder', () => {
  it('records both directions as stereo: inbound left, outbound right', () => {
    const stage = new WavFileRecorder({ directory: dir }).createStage(stageContext('call/1'));
    const inbound = frames(sine(440, 16000, 1000), 16000);
    const outbound = frames(sine(1000, 16000, 500), 16000);
    // TTS arrives in a burst ahead of real time; inbound keeps the clock.
    for (const f of outbound) stage.tapOutbound(frame(f));
    for (const f of inbound) stage.tapInbound(frame(f));
    const result = stage.close();
    expect(result).toMatchObject({
      channels: 2,
      sampleRate: 16000,
      mode: RecordingMode.BOTH,
      sessionId: 'call/1',
    });
    expect(result.path).toBe(join(dir, 'call_1.wav'));
    expect(result.durationSeconds).toBeCloseTo(1, 6);
    const wav = decodeWav(new Uint8Array(readFileSync(result.path)));
    expect(wav.channels).toBe(2);
    expect(wav.samples.length).toBe(32000);
    expect(result.sizeBytes).toBe(44 + 64000);
    const left = channel(wav.samples, 2, 0);
    const right = channel(wav.samples, 2, 1);
    expect(goertzelPower(left, 440, 16000)).toBeGreaterThan(1e6);
    expect(goertzelPower(left, 1000, 16000)).toBeLessThan(1);
    expect(goertzelPower(right.subarray(0, 8000), 1000, 16000)).toBeGreaterThan(1e6);
    expect(Math.max(...right.subarray(8000))).toBe(0); // TTS ended after 0.5 s
    expect(stage.close()).toBe(result); // closing twice is harmless
  });

  it('keeps outbound audio that outlasts the last inbound frame', () => {
    const stage = new WavFileRecorder({ path: (id) => join(dir, `${id}-tail.wav`) }).createStage(
      stageContext('t'),
    );
    stage.tapOutbound(frame(sine(900, 16000, 600)));
    stage.tapInbound(frame(sine(300, 16000, 200)));
    expect(stage.close().durationSeconds).toBeCloseTo(0.6, 6);
  });

  it('drops queued outbound audio on barge-in (clearOutbound)', () => {
    const stage = new WavFileRecorder({ directory: dir }).createStage(stageContext('barge'));
    stage.tapOutbound(frame(sine(1000, 16000, 500)));
    stage.tapInbound(frame(sine(300, 16000, 100)));
    stage.clearOutbound?.();
    stage.tapInbound(frame(sine(300, 16000, 100)));
    const wav = decodeWav(new Uint8Array(readFileSync(stage.close().path)));
    const right = channel(wav.samples, 2, 1);
    expect(right.length).toBe(3200);
    expect(goertzelPower(right.subarray(0, 1600), 1000, 16000)).toBeGreaterThan(1e6);
    expect(Math.max(...right.subarray(1600).map(Math.abs))).toBe(0);
  });

  it('records inbound only, outbound only, or mixed to mono', () => {
    const tone = sine(500, 16000, 300);
    const results = [RecordingMode.INBOUND_ONLY, RecordingMode.OUTBOUND_ONLY].map((mode) => {
      const stage = new WavFileRecorder({ directory: dir, mode }).createStage(stageContext(`m-${mode}`));
      stage.tapInbound(frame(tone));
      stage.tapOutbound(frame(tone.subarray(0, 1600)));
      return stage.close();
    });
    expect(results.map((r) => [r.channels, r.durationSeconds])).toEqual([
      [1, 0.3],
      [1, 0.1],
    ]);
    const mixed = new WavFileRecorder({
      directory: dir,
      channelMode: RecordingChannelMode.MIXED,
    }).createStage(stageContext('mixed'));
    mixed.tapOutbound(frame(Int16Array.from([1000, 30000])));
    mixed.tapInbound(frame(Int16Array.from([500, 30000, 7])));
    const r = mixed.close();
    expect(Array.from(decodeWav(new Uint8Array(readFileSync(r.path))).samples)).toEqual([1500, 32767, 7]);
  });

  it('keeps state per session', async () => {
    const provider = new WavFileRecorder({ directory: dir });
    await expectIsolatedSessions({
      create: (id) => provider.createStage(stageContext(id)),
      step: (stage, input: { dir: 'in' | 'out'; data: Int16Array }) => {
        if (input.dir === 'in') stage.tapInbound(frame(input.data));
        else stage.tapOutbound(frame(input.data));
        return null;
      },
      inputsA: frames(sine(300, 16000, 200), 16000).map(
        (data, i) => ({ dir: i % 3 ? 'in' : 'out', data }) as const,
      ),
      inputsB: frames(sine(700, 16000, 200), 16000).map((data) => ({ dir: 'in', data }) as const),
      // The file's samples (not its name, which differs per session) are the output.
      close: (stage) => Array.from(decodeWav(new Uint8Array(readFileSync(stage.close().path))).samples),
    });
  });
});
