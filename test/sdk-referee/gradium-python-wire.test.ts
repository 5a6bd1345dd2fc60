/**
 * Gradium has no JS SDK: its Python SDK (gradium-py) is the referee, replayed here message for
 * message as it goes on the wire (json_config as a JSON string, `x-api-source:
 * python-client/<v>`, the SDK's default formats, `limit=0` and `include_catalog` when
 * listing voices). The three bugs it found in the fakes are regression tests here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import {
  FakeGradiumSTTServer,
  FakeGradiumTTSServer,
  renderSpeech,
  scriptText,
} from '../../src/testing/fake-speech/index.js';
import { decodeWav, encodeWav } from '../../src/voice/audio/wav.js';

const KEY = 'gd_referee';
const HEADERS = { 'x-api-key': KEY, 'x-api-source': 'python-client/0.5.2' };

/** One request the way gradium-py runs it: connect, messages out, every message in until the socket closes. */
async function exchange(url: string, outgoing: Record<string, unknown>[]): Promise<Record<string, any>[]> {
  const ws = new WebSocket(url, { headers: HEADERS });
  const received: Record<string, any>[] = [];
  const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
  ws.on('message', (data) => received.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  for (const message of outgoing) ws.send(JSON.stringify(message));
  const timer = setTimeout(() => ws.terminate(), 10_000);
  await closed;
  clearTimeout(timer);
  return received;
}

describe('the Gradium Python SDK wire messages against the Gradium fakes', () => {
  const speech = renderSpeech([{ text: 'bonjour tout le monde' }], { sampleRate: 16_000 });
  let tts: FakeGradiumTTSServer;
  let stt: FakeGradiumSTTServer;

  beforeAll(async () => {
    tts = await new FakeGradiumTTSServer({ apiKeys: [KEY] }).start();
    stt = await new FakeGradiumSTTServer({ apiKeys: [KEY], vocabulary: speech.vocabulary }).start();
  });
  afterAll(async () => {
    await tts.close();
    await stt.close();
  });

  for (const [name, format] of [
    ['the SDK default (no output_format)', {}],
    ['output_format "wav"', { output_format: 'wav' }],
  ] as const) {
    it(`regression: TTS with ${name} returns a WAV with a header, not bare PCM`, async () => {
      const messages = await exchange(tts.endpoint, [
        {
          type: 'setup',
          model_name: 'default',
          voice_id: 'YTpq7expH9539ERJ',
          json_config: '{"temp": 0.7}',
          ...format,
        },
        { type: 'text', text: 'Hello world, this is a test.' },
        { type: 'end_of_stream' },
      ]);
      expect(messages[0]).toMatchObject({ type: 'ready', sample_rate: 48_000 });
      const audio = Buffer.concat(
        messages.filter((m) => m.type === 'audio').map((m) => Buffer.from(m.audio, 'base64')),
      );
      expect(audio.subarray(0, 4).toString('ascii')).toBe('RIFF');
      const wav = decodeWav(audio);
      expect(wav.sampleRate).toBe(48_000);
      expect(wav.channels).toBe(1);
      // Six words of 0.24 s; one header only, at the start (no RIFF inside the samples).
      expect(wav.samples.length).toBe(Math.round(6 * 0.24 * 48_000));
      expect(audio.indexOf('RIFF', 4)).toBe(-1);
      expect(messages.at(-1)).toEqual({ type: 'end_of_stream' });
    });
  }

  it('TTS with output_format "pcm" stays headerless 48 kHz PCM', async () => {
    const messages = await exchange(tts.endpoint, [
      { type: 'setup', model_name: 'default', voice_id: 'YTpq7expH9539ERJ', output_format: 'pcm' },
      { type: 'text', text: 'Two words' },
      { type: 'end_of_stream' },
    ]);
    const first = Buffer.from(messages.find((m) => m.type === 'audio')!.audio, 'base64');
    expect(first.subarray(0, 4).toString('ascii')).not.toBe('RIFF');
    expect(first.byteLength).toBe(3840 * 2);
  });

  for (const bits of [16, 24] as const) {
    it(`regression: STT accepts input_format "wav" (${bits}-bit, header split across messages)`, async () => {
      const wav =
        bits === 16 ? encodeWav(speech.samples, { sampleRate: 16_000 }) : wav24(speech.samples, 16_000);
      const chunkBytes = 1920 * (bits / 8);
      const audio = [Buffer.from(wav.subarray(0, 20))];
      for (let i = 20; i < wav.byteLength; i += chunkBytes)
        audio.push(Buffer.from(wav.subarray(i, i + chunkBytes)));
      const messages = await exchange(stt.endpoint, [
        { type: 'setup', model_name: 'default', input_format: 'wav', json_config: '{"language": "fr"}' },
        ...audio.map((a) => ({ type: 'audio', audio: a.toString('base64') })),
        { type: 'end_of_stream' },
      ]);
      expect(messages[0]).toMatchObject({ type: 'ready' });
      expect(messages.filter((m) => m.type === 'error')).toEqual([]);
      const text = messages.filter((m) => m.type === 'text').map((m) => m.text);
      expect(text.join(' ')).toBe(scriptText(speech));
      expect(messages.filter((m) => m.type === 'step').length).toBeGreaterThan(10);
    });
  }

  it('STT refuses a "wav" that is not one, with the 1008 error the SDK raises on', async () => {
    const messages = await exchange(stt.endpoint, [
      { type: 'setup', model_name: 'default', input_format: 'wav' },
      { type: 'audio', audio: Buffer.alloc(64, 7).toString('base64') },
    ]);
    expect(messages.at(-1)).toMatchObject({ type: 'error', code: 1008 });
  });

  it('regression: voices include_catalog=1 (and true) lists the catalog; a non-boolean is a 422', async () => {
    const list = (query: string) =>
      fetch(`${tts.httpUrl}/api/voices/?${query}`, { headers: { 'x-api-key': KEY } });
    const catalog = (await (await list('limit=0&include_catalog=1')).json()) as { name: string }[];
    expect(catalog.map((v) => v.name)).toEqual(['Emma', 'Leo']);
    expect(await (await list('limit=0&include_catalog=true')).json()).toEqual(catalog);
    expect(await (await list('limit=0&include_catalog=0')).json()).toEqual([]);
    expect((await list('include_catalog=maybe')).status).toBe(422);
  });
});

/** A 24-bit PCM WAV (what a recorder might hand the SDK): the top 16 bits are the samples. */
function wav24(samples: Int16Array, sampleRate: number): Buffer {
  const data = Buffer.alloc(samples.length * 3);
  for (const [i, s] of samples.entries()) data.writeIntLE(s * 256, i * 3, 3);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 3, 28);
  header.writeUInt16LE(3, 32);
  header.writeUInt16LE(24, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
