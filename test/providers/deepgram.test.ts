import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthenticationError } from '../../src/core/errors.js';
import { DeepgramSTTProvider, type DeepgramSTTOptions } from '../../src/providers/deepgram/index.js';
import {
  FakeDeepgramServer,
  renderSpeech,
  scriptText,
  speechFrames,
  streamFrames,
} from '../../src/testing/fake-speech/index.js';
import type { AudioFrame, STTStreamEvent } from '../../src/voice/types.js';
import { describeSTTConformance } from '../conformance/stt.js';

const speech = renderSpeech(
  [{ text: 'hello there how are you today' }, { text: 'please book a table for two' }],
  { sampleRate: 16_000 },
);
let fake: FakeDeepgramServer;
beforeAll(async () => {
  fake = await new FakeDeepgramServer({ vocabulary: speech.vocabulary }).start();
});
afterAll(async () => {
  await fake.close();
});

const provider = (opts: DeepgramSTTOptions = {}) =>
  new DeepgramSTTProvider({ apiKey: 'test-key', baseUrl: fake.baseUrl, ...opts });

async function collect(
  stt: DeepgramSTTProvider,
  frames: AsyncIterable<AudioFrame> = streamFrames(speechFrames(speech)),
) {
  const events: STTStreamEvent[] = [];
  for await (const e of stt.transcribeStream(frames)) events.push(e);
  return events;
}
const finals = (events: STTStreamEvent[]) =>
  events.flatMap((e) => (e.type === 'final' ? [e.result.text] : []));

describeSTTConformance({
  name: 'DeepgramSTTProvider (fake server)',
  create: () => provider(),
  audio: () => speechFrames(speech),
  expectedText: scriptText(speech),
  minWordOverlap: 1,
});

describe('DeepgramSTTProvider', () => {
  it('opens /v1/listen with the query options and token auth, streams binary linear16, ends with CloseStream', async () => {
    const before = fake.connections.length;
    await collect(provider({ model: 'nova-2', keyterms: ['roomkit'], utteranceEndMs: 1200 }));
    const conn = fake.connections[before];
    expect(conn.headers.authorization).toBe('Token test-key');
    expect(Object.fromEntries(conn.query)).toMatchObject({
      model: 'nova-2',
      encoding: 'linear16',
      sample_rate: '16000',
      interim_results: 'true',
      vad_events: 'true',
      utterance_end_ms: '1200',
      keyterm: 'roomkit',
    });
    const binary = conn.received.filter((m) => m.kind === 'binary');
    expect(binary.length).toBeGreaterThan(0);
    for (const m of binary) expect(m.data.byteLength).toBe(1280 * 2); // 80 ms at 16 kHz
    const last = conn.received[conn.received.length - 1];
    expect(last.kind === 'json' && last.data.type).toBe('CloseStream');
    await vi.waitFor(() => expect(conn.closeCode).toBe(1000));
  });

  it('turns interim and final Results into partials and one final per utterance (endpointing)', async () => {
    const events = await collect(provider());
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    const ends = events.flatMap((e) => (e.type === 'end-of-turn' ? [e.reason] : []));
    expect(ends).toEqual(['endpointing', 'endpointing']);
    expect(events.filter((e) => e.type === 'speech-start')).toHaveLength(2);
    expect(events.findIndex((e) => e.type === 'speech-start')).toBeLessThan(
      events.findIndex((e) => e.type === 'partial'),
    );
  });

  it('uses UtteranceEnd as the turn signal when endpointing is off', async () => {
    const events = await collect(provider({ endpointingMs: false, utteranceEndMs: 1000 }));
    const ends = events.flatMap((e) => (e.type === 'end-of-turn' ? [e.reason] : []));
    expect(ends).toEqual(['utterance-end', 'utterance-end']);
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
  });

  it('sends KeepAlive while the caller is silent, and keeps the socket', async () => {
    const quiet = await new FakeDeepgramServer({
      vocabulary: speech.vocabulary,
      inactivityTimeoutMs: 300,
    }).start();
    try {
      const stt = new DeepgramSTTProvider({
        apiKey: 'test-key',
        baseUrl: quiet.baseUrl,
        keepAliveIntervalMs: 50,
      });
      const frames = speechFrames(speech);
      async function* pausing() {
        yield* streamFrames(frames.slice(0, 10));
        await new Promise((r) => setTimeout(r, 600)); // longer than the server's inactivity timeout
        yield* streamFrames(frames.slice(10));
      }
      const events = await collect(stt, pausing());
      expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
      expect(quiet.connections).toHaveLength(1);
      const keepAlives = quiet.connections[0].received.filter(
        (m) => m.kind === 'json' && m.data.type === 'KeepAlive',
      );
      expect(keepAlives.length).toBeGreaterThan(0);
    } finally {
      await quiet.close();
    }
  });

  it('recovers from a socket dropped mid-utterance without losing or duplicating words', async () => {
    const before = fake.connections.length;
    fake.dropAtAudio(1.7);
    const events = await collect(provider());
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    expect(fake.connections.length - before).toBe(2);
    expect(fake.connections[before].closeCode).toBe(1006);
  });

  it('reports a bad key as an AuthenticationError naming deepgram', async () => {
    const err = await collect(new DeepgramSTTProvider({ apiKey: 'bad', baseUrl: fake.baseUrl })).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).provider).toBe('deepgram');
    expect((err as Error).message).toMatch(/Invalid credentials/);
  });
});
