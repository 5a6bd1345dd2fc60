import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { AuthenticationError, CircuitOpenError, ProviderError } from '../../src/core/errors.js';
import {
  type GradiumEndOfTurnEvent,
  GradiumSTTProvider,
  type GradiumSTTOptions,
} from '../../src/providers/gradium/index.js';
import {
  FakeGradiumSTTServer,
  receivedOfType,
  renderSpeech,
  scriptText,
  speechFrames,
  streamFrames,
} from '../../src/testing/fake-speech/index.js';
import type { STTStreamEvent } from '../../src/voice/types.js';
import { describeSTTConformance } from '../conformance/stt.js';

const speech = renderSpeech(
  [{ text: 'hello there how are you today' }, { text: 'please book a table for two' }],
  { sampleRate: 16_000 },
);
let fake: FakeGradiumSTTServer;

beforeAll(async () => {
  fake = await new FakeGradiumSTTServer({ vocabulary: speech.vocabulary }).start();
});
afterAll(async () => {
  await fake.close();
});

function provider(opts: GradiumSTTOptions = {}): GradiumSTTProvider {
  return new GradiumSTTProvider({ apiKey: 'test-key', endpoint: fake.endpoint, ...opts });
}

async function collect(stt: GradiumSTTProvider, frames = speechFrames(speech)): Promise<STTStreamEvent[]> {
  const events: STTStreamEvent[] = [];
  for await (const e of stt.transcribeStream(streamFrames(frames))) events.push(e);
  return events;
}

const finals = (events: STTStreamEvent[]) =>
  events.flatMap((e) => (e.type === 'final' ? [e.result.text] : []));

describeSTTConformance({
  name: 'GradiumSTTProvider (fake server)',
  create: () => provider(),
  audio: () => speechFrames(speech),
  expectedText: scriptText(speech),
  minWordOverlap: 1,
});

describe('GradiumSTTProvider', () => {
  it('sends setup with the options, then 80 ms frames resampled to 24 kHz', async () => {
    const before = fake.connections.length;
    await collect(provider({ language: 'fr', delayInFrames: 16, modelName: 'default' }));
    const conn = fake.connections[before];
    const [setup] = receivedOfType(conn, 'setup');
    expect(setup).toMatchObject({
      model_name: 'default',
      input_format: 'pcm',
      json_config: { language: 'fr', delay_in_frames: 16 },
    });
    expect(conn.headers['x-api-key']).toBe('test-key');
    const audio = receivedOfType(conn, 'audio');
    expect(audio.length).toBe(Math.ceil(speech.durationS / 0.08 - 1e-9));
    for (const a of audio) expect(Buffer.from(String(a.audio), 'base64').byteLength).toBe(1920 * 2);
    expect(receivedOfType(conn, 'end_of_stream')).toHaveLength(1);
  });

  it('yields speech-start, growing partials, then one final and end-of-turn per utterance', async () => {
    const events = await collect(provider({ turn: 'fastAssistant' }));
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    const kinds = events.filter((e) => e.type !== 'vad' && e.type !== 'partial').map((e) => e.type);
    expect(kinds).toEqual(['speech-start', 'final', 'end-of-turn', 'speech-start', 'final', 'end-of-turn']);
    const partials = events.flatMap((e) => (e.type === 'partial' ? [e.result.text] : []));
    expect(partials[0]).toBe('hello');
    expect(partials).toContain('hello there how');
    const final = events.find((e) => e.type === 'final');
    expect(final?.type === 'final' && final.result.words?.[1]).toMatchObject({
      word: 'there',
      startMs: 800,
      endMs: 1120,
    });
  });

  it.each([
    ['fastAssistant', 0.5, 0.5, 1],
    ['carefulAssistant', 2, 0.7, 2],
    ['noisyTelephony', 1, 0.6, 5],
  ] as const)(
    'ends the turn on the %s horizon/threshold/N and not before',
    async (preset, horizonS, threshold, n) => {
      const events = await collect(provider({ turn: preset }));
      const vad = events.flatMap((e) => (e.type === 'vad' ? [e] : []));
      const ends = events.filter(
        (e): e is GradiumEndOfTurnEvent => e.type === 'end-of-turn' && e.reason === 'semantic-vad',
      );
      expect(ends.length).toBe(2);
      for (const end of ends) {
        const at = vad.findIndex(
          (v) => Math.abs((v.totalDurationS ?? -1) - (end.decidedAtAudioS ?? -2)) < 1e-6,
        );
        expect(at).toBeGreaterThanOrEqual(n);
        const prob = (i: number) =>
          vad[i].horizons.find((h) => h.horizonS === horizonS)?.inactivityProb ?? -1;
        for (let i = at - n + 1; i <= at; i++) expect(prob(i)).toBeGreaterThan(threshold);
        expect(prob(at - n)).toBeLessThanOrEqual(threshold);
      }
    },
  );

  it('a careful preset waits longer than a fast one on the same audio', async () => {
    const decided = async (turn: GradiumSTTOptions['turn']) =>
      (await collect(provider({ turn }))).flatMap((e) =>
        e.type === 'end-of-turn' ? [(e as GradiumEndOfTurnEvent).decidedAtAudioS ?? 0] : [],
      );
    const fast = await decided('fastAssistant');
    const careful = await decided('carefulAssistant');
    expect(careful[0]).toBeGreaterThan(fast[0]);
  });

  it('keeps words that arrive between flush and flushed in the final', async () => {
    // A long model delay: when the fast preset decides, the last words are still pending.
    const before = fake.connections.length;
    const events = await collect(provider({ turn: 'fastAssistant', delayInFrames: 24 }));
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    const conn = fake.connections[before];
    const flushAt = conn.received.find((m) => m.kind === 'json' && m.data.type === 'flush')?.at ?? 0;
    const flushedAt =
      conn.sent.find((m) => !(m.data instanceof Uint8Array) && m.data.type === 'flushed')?.at ?? 0;
    const between = conn.sent.filter(
      (m) =>
        !(m.data instanceof Uint8Array) && m.data.type === 'text' && m.at >= flushAt && m.at <= flushedAt,
    );
    expect(between.length).toBeGreaterThan(0);
  });

  it('rolls over before the session cap without losing or duplicating words', async () => {
    const long = renderSpeech(
      [
        { text: 'one two three four five six seven', pauseAfterS: 0.4 },
        { text: 'eight nine ten eleven twelve thirteen', pauseAfterS: 0.4 },
        { text: 'fourteen fifteen sixteen seventeen eighteen' },
      ],
      { sampleRate: 16_000 },
    );
    const capped = await new FakeGradiumSTTServer({ vocabulary: long.vocabulary, sessionLimitS: 3 }).start();
    try {
      const stt = new GradiumSTTProvider({
        apiKey: 'test-key',
        endpoint: capped.endpoint,
        turn: false,
        session: { maxDurationS: 3, rolloverMarginS: 1, prerollS: 0.8 },
      });
      const events: STTStreamEvent[] = [];
      for await (const e of stt.transcribeStream(streamFrames(speechFrames(long)))) events.push(e);
      expect(finals(events).join(' ')).toBe(scriptText(long));
      expect(capped.connections.length).toBeGreaterThanOrEqual(4);
      // No session was cut by the server: every one ended with our end_of_stream.
      for (const c of capped.connections) {
        expect(c.sent.some((m) => !(m.data instanceof Uint8Array) && m.data.type === 'error')).toBe(false);
        expect(receivedOfType(c, 'end_of_stream')).toHaveLength(1);
      }
    } finally {
      await capped.close();
    }
  });

  it('recovers from a socket dropped mid-utterance without losing or duplicating words', async () => {
    const before = fake.connections.length;
    fake.dropAtAudio(1.6); // inside "how are you"
    const events = await collect(provider({ turn: 'fastAssistant' }));
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    expect(fake.connections.length - before).toBe(2);
    expect(fake.connections[before].closeCode).toBe(1006);
  });

  it('recovers from a server error (1011) the same way', async () => {
    const before = fake.connections.length;
    fake.errorAtAudio(4.0, 1011, 'worker crashed');
    const events = await collect(provider({ turn: 'fastAssistant' }));
    expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
    expect(fake.connections.length - before).toBe(2);
  });

  it('recovers when the server ends a session at its cap (client cap set too high)', async () => {
    const capped = await new FakeGradiumSTTServer({
      vocabulary: speech.vocabulary,
      sessionLimitS: 2.4,
    }).start();
    try {
      const stt = new GradiumSTTProvider({
        apiKey: 'test-key',
        endpoint: capped.endpoint,
        turn: 'fastAssistant',
      });
      const events = await collect(stt);
      expect(finals(events)).toEqual(['hello there how are you today', 'please book a table for two']);
      const errors = capped.connections.flatMap((c) =>
        c.sent.filter((m) => !(m.data instanceof Uint8Array) && m.data.type === 'error'),
      );
      expect(errors.length).toBeGreaterThan(0);
      expect(String((errors[0].data as Record<string, unknown>).message)).toMatch(/limit/);
    } finally {
      await capped.close();
    }
  });

  it('fake: multiplexes two requests on one socket by client_req_id', async () => {
    const ws = new WebSocket(fake.endpoint, { headers: { 'x-api-key': 'test-key' } });
    const got: Record<string, unknown>[] = [];
    ws.on('message', (d) => got.push(JSON.parse(String(d))));
    await new Promise((r) => ws.once('open', r));
    const pcm = Buffer.from(new Int16Array(1920 * 12).fill(64).buffer).toString('base64'); // word code 1
    for (const id of ['a', 'b']) {
      ws.send(
        JSON.stringify({
          type: 'setup',
          input_format: 'pcm',
          client_req_id: id,
          close_ws_on_eos: false,
          json_config: '{"language":"en"}',
        }),
      );
      ws.send(JSON.stringify({ type: 'audio', audio: pcm, client_req_id: id }));
    }
    ws.send(JSON.stringify({ type: 'flush', flush_id: '7', client_req_id: 'b' }));
    ws.send(JSON.stringify({ type: 'end_of_stream', client_req_id: 'a' }));
    await vi.waitFor(() => expect(got.filter((m) => m.type === 'end_of_stream')).toHaveLength(1));
    await vi.waitFor(() => expect(got.some((m) => m.type === 'flushed')).toBe(true));
    expect(got.filter((m) => m.type === 'ready').map((m) => m.client_req_id)).toEqual(['a', 'b']);
    expect(got.filter((m) => m.type === 'step' && m.client_req_id === 'a')).toHaveLength(12);
    expect(got.find((m) => m.type === 'flushed')).toEqual({
      type: 'flushed',
      flush_id: '7',
      client_req_id: 'b',
    });
    expect(
      got
        .filter((m) => m.type === 'text')
        .map((m) => `${m.client_req_id}:${m.text}`)
        .sort(),
    ).toEqual(['a:hello', 'b:hello']);
    ws.close();
  });

  it('reports a bad key as an AuthenticationError naming gradium', async () => {
    const stt = new GradiumSTTProvider({ apiKey: 'wrong', endpoint: fake.endpoint });
    const err = await collect(stt).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).provider).toBe('gradium');
    expect((err as Error).message).toMatch(/^gradium: /);
  });

  it('opens the circuit instead of hammering an endpoint that keeps failing', async () => {
    const down = await new FakeGradiumSTTServer({ vocabulary: speech.vocabulary }).start();
    try {
      down.refuseConnections(100, 503);
      const stt = new GradiumSTTProvider({
        apiKey: 'test-key',
        endpoint: down.endpoint,
        reconnect: { maxRetries: 6, baseDelayMs: 1, maxDelayMs: 2, jitter: false },
        circuitBreaker: { failureThreshold: 3, resetTimeoutMs: 60_000 },
      });
      const err = await collect(stt).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CircuitOpenError);
      expect(stt.breaker.state).toBe('open');
      expect(down.connections.length).toBe(0);
      // Only the three failing handshakes reached the server; the rest were refused locally.
      const second = await collect(stt).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(CircuitOpenError);
    } finally {
      await down.close();
    }
  });

  it('rejects an invalid option at setup with a clear error', async () => {
    const err = await collect(provider({ language: 'xx' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).retryable).toBe(false);
    expect((err as Error).message).toMatch(/language/);
  });

  it('ends a turn on demand (push-to-talk) with endTurn()', async () => {
    const one = renderSpeech([{ text: 'take a note', pauseAfterS: 0.2 }], { sampleRate: 16_000 });
    const quiet = await new FakeGradiumSTTServer({ vocabulary: one.vocabulary }).start();
    try {
      const stt = new GradiumSTTProvider({ apiKey: 'test-key', endpoint: quiet.endpoint, turn: 'dictation' });
      const frames = speechFrames(one);
      let release!: () => void;
      const hold = new Promise<void>((r) => (release = r));
      async function* mic() {
        yield* streamFrames(frames);
        await hold;
      }
      const stream = stt.transcribeStream(mic());
      const events: STTStreamEvent[] = [];
      for await (const e of stream) {
        events.push(e);
        if (e.type === 'partial' && e.result.text === 'take') stream.endTurn();
        if (e.type === 'end-of-turn') release();
      }
      const end = events.find((e) => e.type === 'end-of-turn');
      expect(end?.type === 'end-of-turn' && end.reason).toBe('manual');
      expect(finals(events)).toEqual(['take a note']);
    } finally {
      await quiet.close();
    }
  });
});
