/**
 * Referee: `@deepgram/sdk`'s live transcription socket (listen.v1) against FakeDeepgramServer.
 * Audio streamed in real-time-sized chunks, interim and final results, SpeechStarted,
 * UtteranceEnd, Finalize, KeepAlive and CloseStream -> Metadata; then our DeepgramSTTProvider,
 * whose query options must be ones the SDK's connect() takes.
 */
import { DeepgramClient, type listen } from '@deepgram/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeepgramSTTProvider } from '../../src/providers/deepgram/index.js';
import {
  FakeDeepgramServer,
  renderSpeech,
  speechFrames,
  streamFrames,
} from '../../src/testing/fake-speech/index.js';
import { shapeProblems, TYPE_CHECK_TIMEOUT } from './shape-check.js';

const KEY = 'dg-referee-key';
const speech = renderSpeech([{ text: 'hello there how are you' }, { text: 'book a table for two' }], {
  sampleRate: 16_000,
});
type Message =
  | listen.ListenV1Results
  | listen.ListenV1Metadata
  | listen.ListenV1UtteranceEnd
  | listen.ListenV1SpeechStarted;

describe('@deepgram/sdk live client referees FakeDeepgramServer', TYPE_CHECK_TIMEOUT, () => {
  let fake: FakeDeepgramServer;

  beforeAll(async () => {
    fake = await new FakeDeepgramServer({ apiKeys: [KEY], vocabulary: speech.vocabulary }).start();
  });
  afterAll(() => fake.close());

  it('streams audio and gets interim, final, SpeechStarted, UtteranceEnd and Metadata in the SDK types', async () => {
    const client = new DeepgramClient({ apiKey: KEY, baseUrl: fake.wsUrl });
    const socket = await client.listen.v1.connect({
      model: 'nova-3',
      language: 'en',
      encoding: 'linear16',
      sample_rate: 16_000,
      channels: 1,
      interim_results: 'true',
      utterance_end_ms: 1000,
      vad_events: 'true',
      endpointing: 300,
      punctuate: 'true',
      reconnectAttempts: 0,
    });
    const messages: Message[] = [];
    const errors: Error[] = [];
    let closed: number | undefined;
    socket.on('message', (m: Message) => messages.push(m));
    socket.on('error', (e) => errors.push(e));
    socket.on('close', (e) => (closed = e.code));
    socket.connect();
    await socket.waitForOpen();

    const frames = speechFrames(speech, 100);
    for (const [i, frame] of frames.entries()) {
      socket.sendMedia(new Uint8Array(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength));
      if (i === 5) socket.sendKeepAlive({ type: 'KeepAlive' });
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.sendFinalize({ type: 'Finalize' });
    socket.sendCloseStream({ type: 'CloseStream' });
    const deadline = Date.now() + 5_000;
    while (closed === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    expect(closed).toBe(1000);
    expect(errors).toEqual([]);
    const finals = messages.flatMap((m) =>
      m.type === 'Results' && m.is_final ? [m.channel.alternatives[0].transcript] : [],
    );
    expect(finals.join(' ')).toBe('hello there how are you book a table for two');
    const types = new Set(messages.map((m) => m.type));
    expect([...types].sort()).toEqual(['Metadata', 'Results', 'SpeechStarted', 'UtteranceEnd']);
    expect(messages.some((m) => m.type === 'Results' && !m.is_final)).toBe(true);
    expect(messages.some((m) => m.type === 'Results' && m.speech_final)).toBe(true);
    expect(fake.connections.at(-1)?.headers.authorization).toBe(`Token ${KEY}`);
    expect(
      shapeProblems([
        {
          label: 'fake -> SDK: live messages',
          from: '@deepgram/sdk',
          type: 'T.listen.ListenV1Results | T.listen.ListenV1Metadata | T.listen.ListenV1UtteranceEnd | T.listen.ListenV1SpeechStarted',
          values: messages,
        },
        {
          label: 'SDK -> fake: control messages',
          from: '@deepgram/sdk',
          type: 'T.listen.ListenV1Finalize | T.listen.ListenV1CloseStream | T.listen.ListenV1KeepAlive',
          values: fake.connections.at(-1)!.received.flatMap((m) => (m.kind === 'json' ? [m.data] : [])),
        },
      ]),
    ).toEqual([]);
  });

  it('our DeepgramSTTProvider dials with query options the SDK connect() accepts and the same auth', async () => {
    const provider = new DeepgramSTTProvider({ apiKey: KEY, baseUrl: fake.wsUrl, keyterms: ['table'] });
    const before = fake.connections.length;
    const events = [];
    for await (const e of provider.transcribeStream(streamFrames(speechFrames(speech)))) events.push(e);
    expect(events.some((e) => e.type === 'final')).toBe(true);
    const conn = fake.connections[before];
    expect(conn.headers.authorization).toBe(`Token ${KEY}`);
    // Query values travel as strings; the SDK's typed connect() arguments say which keys exist.
    const query: Record<string, unknown> = {};
    for (const [k, v] of conn.query) query[k] = k in query ? [query[k], v].flat() : v;
    expect(
      shapeProblems([
        {
          label: 'DeepgramSTTProvider -> fake: /v1/listen query',
          from: '@deepgram/sdk',
          type:
            "{ [K in Exclude<keyof Parameters<T.DeepgramClient['listen']['v1']['connect']>[0], 'keyterm'>]?: string }" +
            ' & { keyterm?: string | string[] }',
          values: [query],
        },
        {
          label: 'DeepgramSTTProvider -> fake: control messages',
          from: '@deepgram/sdk',
          type: 'T.listen.ListenV1Finalize | T.listen.ListenV1CloseStream | T.listen.ListenV1KeepAlive',
          values: conn.received.flatMap((m) => (m.kind === 'json' ? [m.data] : [])),
        },
      ]),
    ).toEqual([]);
  });
});
