/**
 * Referee: `@elevenlabs/elevenlabs-js` against FakeElevenLabsTTSServer. The SDK has no
 * WebSocket client for stream-input, so: its HTTP streaming client (`textToSpeech.stream` and
 * `convert`) runs against the fake; and the stream-input sockets are refereed by the SDK's own
 * runtime schemas (`serialization.*SendMessage*` / `*ReceiveMessage*`, unknown keys refused),
 * with our ElevenLabsTTSProvider on multi-stream-input and an SDK-typed single stream.
 */
import { type ElevenLabs, ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import * as serialization from '@elevenlabs/elevenlabs-js/serialization/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ElevenLabsTTSProvider } from '../../src/providers/elevenlabs/index.js';
import { FakeElevenLabsTTSServer } from '../../src/testing/fake-speech/index.js';

const KEY = 'xi-tts-referee';
const STRICT = { unrecognizedObjectKeys: 'fail' } as const;

/** Problems the SDK's schema finds in each message (empty when all are valid). */
function schemaProblems(
  schema: { parse(raw: unknown, opts: typeof STRICT): { ok: boolean; errors?: unknown[] } },
  messages: unknown[],
): string[] {
  return messages.flatMap((m) => {
    const result = schema.parse(m, STRICT);
    return result.ok ? [] : [`${JSON.stringify(m).slice(0, 200)}: ${JSON.stringify(result.errors)}`];
  });
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('@elevenlabs/elevenlabs-js referees FakeElevenLabsTTSServer', () => {
  let fake: FakeElevenLabsTTSServer;

  beforeAll(async () => {
    fake = await new FakeElevenLabsTTSServer({ apiKeys: [KEY], msPerWord: 100 }).start();
  });
  afterAll(() => fake.close());

  it('streams speech over HTTP to the SDK (textToSpeech.stream and convert)', async () => {
    const client = new ElevenLabsClient({ apiKey: KEY, baseUrl: fake.httpUrl, maxRetries: 0 });
    const stream = await client.textToSpeech.stream('JBFqnCBsd6RMkjVDRZzb', {
      text: 'Hello from the fake server',
      modelId: 'eleven_flash_v2_5',
      outputFormat: 'pcm_24000',
      voiceSettings: { stability: 0.5, similarityBoost: 0.75 },
    });
    const audio = await bytesOf(stream);
    expect(audio.byteLength).toBe(5 * 2400 * 2); // five words of 100 ms at 24 kHz, s16
    const request = fake.httpRequests.at(-1)!;
    expect(request).toMatchObject({
      voiceId: 'JBFqnCBsd6RMkjVDRZzb',
      stream: true,
      query: { output_format: 'pcm_24000' },
      body: { text: 'Hello from the fake server', model_id: 'eleven_flash_v2_5' },
    });
    expect(request.headers['xi-api-key']).toBe(KEY);

    const whole = await bytesOf(
      await client.textToSpeech.convert('JBFqnCBsd6RMkjVDRZzb', {
        text: 'Two words',
        outputFormat: 'ulaw_8000',
      }),
    );
    expect(whole.byteLength).toBe(2 * 800);

    const bad = new ElevenLabsClient({ apiKey: 'wrong', baseUrl: fake.httpUrl, maxRetries: 0 });
    const err = await bad.textToSpeech.stream('v', { text: 'hi', outputFormat: 'pcm_16000' }).catch((e) => e);
    expect(err).toMatchObject({ statusCode: 401 });
  });

  it('multi-stream-input: our provider sends SendMessageMulti, the fake answers ReceiveMessageMulti', async () => {
    const provider = new ElevenLabsTTSProvider({ apiKey: KEY, baseUrl: fake.wsUrl, voiceId: 'voice-a' });
    const before = fake.connections.length;
    try {
      async function* tokens() {
        yield 'Hello there. ';
        yield 'How are you ';
        yield 'today?';
      }
      const chunks = [];
      for await (const chunk of provider.synthesizeStreamInput(tokens())) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(0);
    } finally {
      await provider.close();
    }
    const conn = fake.connections[before];
    expect(conn.path).toBe('/v1/text-to-speech/voice-a/multi-stream-input');
    const sent = conn.received.flatMap((m) => (m.kind === 'json' ? [m.data] : []));
    const got = conn.sent.flatMap((m) => (m.data instanceof Uint8Array ? [] : [m.data]));
    expect(
      schemaProblems(serialization.v1TextToSpeechVoiceIdMultiStreamInput.SendMessageMulti, sent),
    ).toEqual([]);
    expect(
      schemaProblems(serialization.v1TextToSpeechVoiceIdMultiStreamInput.ReceiveMessageMulti, got),
    ).toEqual([]);
  });

  it('stream-input: messages of the SDK types get answers of the SDK schema', async () => {
    const ws = new WebSocket(`${fake.wsUrl}/v1/text-to-speech/voice-b/stream-input?output_format=pcm_16000`, {
      headers: { 'xi-api-key': KEY },
    });
    const received: unknown[] = [];
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('message', (data) => received.push(JSON.parse(data.toString())));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const wire: ElevenLabs.v1TextToSpeechVoiceIdStreamInput.SendMessage[] = [
      { text: ' ', voiceSettings: { stability: 0.4 }, generationConfig: { chunkLengthSchedule: [50] } },
      { text: 'The quick brown fox jumps over the lazy dog. ', flush: true },
      { text: '' },
    ];
    for (const message of wire)
      ws.send(
        JSON.stringify(serialization.v1TextToSpeechVoiceIdStreamInput.SendMessage.jsonOrThrow(message)),
      );
    const timeout = setTimeout(() => ws.terminate(), 5_000);
    expect(await closed).toBe(1000);
    clearTimeout(timeout);
    expect(received.at(-1)).toEqual({ isFinal: true });
    expect(received.length).toBeGreaterThan(5);
    expect(schemaProblems(serialization.v1TextToSpeechVoiceIdStreamInput.ReceiveMessage, received)).toEqual(
      [],
    );
  });
});
