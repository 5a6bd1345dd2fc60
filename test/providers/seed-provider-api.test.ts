/**
 * Issue 9 part 1, provider side: the seed's provider properties and names, options that are
 * never dropped silently, and the Gradium article's GradiumSTTProvider options
 * (`vadThreshold` acting on the turn).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { AnthropicAIProvider, AnthropicProvider } from '../../src/providers/anthropic/index.js';
import { DeepgramSTTProvider } from '../../src/providers/deepgram/index.js';
import {
  ElevenLabsRealtimeConfig,
  ElevenLabsRealtimeProvider,
  ElevenLabsTTSProvider,
} from '../../src/providers/elevenlabs/index.js';
import { GeminiAIProvider, GeminiLiveProvider, GeminiProvider } from '../../src/providers/gemini/index.js';
import {
  type GradiumEndOfTurnEvent,
  GradiumSTTProvider,
  GradiumTTSProvider,
} from '../../src/providers/gradium/index.js';
import { LocalSTTProvider, LocalTTSProvider } from '../../src/providers/local/index.js';
import {
  OpenAIAIProvider,
  OpenAIProvider,
  OpenAIRealtimeProvider,
} from '../../src/providers/openai/index.js';
import { XAIRealtimeProvider } from '../../src/providers/xai/index.js';
import {
  FakeAnthropicServer,
  FakeGeminiServer,
  FakeGradiumSTTServer,
  FakeOpenAIServer,
  renderSpeech,
  speechFrames,
  streamFrames,
} from '../../src/testing/index.js';
import type { STTStreamEvent } from '../../src/voice/types.js';

describe('the seed provider properties, read from capabilities', () => {
  it('TTS: name, defaultVoice, supportsStreaming, supportsStreamingInput, sampleRate', () => {
    const gradium = new GradiumTTSProvider({ apiKey: 'k' });
    expect(gradium).toMatchObject({
      name: 'gradium',
      defaultVoice: 'YTpq7expH9539ERJ',
      supportsStreaming: true,
      supportsStreamingInput: true,
      sampleRate: 48_000,
    });
    expect(
      new GradiumTTSProvider({ apiKey: 'k', voiceId: 'axlOaUiFyOZhy4nv', outputFormat: 'pcm_16000' }),
    ).toMatchObject({ defaultVoice: 'axlOaUiFyOZhy4nv', sampleRate: 16_000 });
    const eleven = new ElevenLabsTTSProvider({ apiKey: 'k', outputFormat: 'pcm_16000' });
    expect(eleven).toMatchObject({
      name: 'elevenlabs',
      defaultVoice: 'JBFqnCBsd6RMkjVDRZzb',
      sampleRate: 16_000,
    });
    const local = new LocalTTSProvider({ engine: 'espeak-ng' });
    expect(local).toMatchObject({
      defaultVoice: 'en-us+klatt2',
      sampleRate: 22_050,
      supportsStreamingInput: true,
    });
    for (const tts of [gradium, eleven, local]) {
      expect(tts.sampleRate).toBe(tts.capabilities.sampleRate);
      expect(tts.supportsStreaming).toBe(tts.capabilities.streaming);
      expect(tts.supportsStreamingInput).toBe(tts.capabilities.streamingInput);
    }
  });

  it('STT: name and supportsStreaming', () => {
    for (const stt of [
      new GradiumSTTProvider({ apiKey: 'k' }),
      new DeepgramSTTProvider({ apiKey: 'k' }),
      new LocalSTTProvider(),
    ]) {
      expect(stt.name).toMatch(/\S/);
      expect(stt.supportsStreaming).toBe(stt.capabilities.streaming);
    }
  });

  it("the article's provider names are the same classes", () => {
    expect(AnthropicAIProvider).toBe(AnthropicProvider);
    expect(OpenAIAIProvider).toBe(OpenAIProvider);
    expect(GeminiAIProvider).toBe(GeminiProvider);
  });
});

describe('no option is dropped silently', () => {
  const constructors: [string, (opts: Record<string, unknown>) => unknown][] = [
    ['GradiumSTTProvider', (o) => new GradiumSTTProvider({ apiKey: 'k', ...o })],
    ['GradiumTTSProvider', (o) => new GradiumTTSProvider({ apiKey: 'k', ...o })],
    ['DeepgramSTTProvider', (o) => new DeepgramSTTProvider({ apiKey: 'k', ...o })],
    ['ElevenLabsTTSProvider', (o) => new ElevenLabsTTSProvider({ apiKey: 'k', ...o })],
    ['LocalSTTProvider', (o) => new LocalSTTProvider(o)],
    ['LocalTTSProvider', (o) => new LocalTTSProvider(o)],
    ['AnthropicProvider', (o) => new AnthropicProvider({ apiKey: 'k', ...o })],
    ['OpenAIProvider', (o) => new OpenAIProvider({ apiKey: 'k', ...o })],
    ['GeminiProvider', (o) => new GeminiProvider({ apiKey: 'k', ...o })],
    ['OpenAIRealtimeProvider', (o) => new OpenAIRealtimeProvider({ apiKey: 'k', ...o })],
    ['XAIRealtimeProvider', (o) => new XAIRealtimeProvider({ apiKey: 'k', ...o })],
    ['GeminiLiveProvider', (o) => new GeminiLiveProvider({ apiKey: 'k', ...o })],
    [
      'ElevenLabsRealtimeProvider',
      (o) => new ElevenLabsRealtimeProvider({ apiKey: 'k', agentId: 'a', ...o }),
    ],
    ['ElevenLabsRealtimeConfig', (o) => ElevenLabsRealtimeConfig({ apiKey: 'k', agentId: 'a', ...o })],
  ];

  it.each(constructors)(
    '%s: an unknown option is a ValidationError naming it (plain JS callers)',
    (_name, make) => {
      expect(() => make({})).not.toThrow();
      const err = (() => {
        try {
          make({ notAnOption: 1 });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe('notAnOption');
      expect((err as Error).message).toMatch(/unknown option "notAnOption"/);
    },
  );

  it('suggests the known name for a typo or a snake_case name from the Python seed', () => {
    const js = (o: object) => () => new GradiumSTTProvider(o as never);
    expect(js({ vad_threshold: 0.9 })).toThrow(
      /unknown option "vad_threshold" \(did you mean "vadThreshold"\?\)/,
    );
    expect(js({ vadTreshold: 0.9 })).toThrow(/did you mean "vadThreshold"/);
    expect(js({ model_name: 'default' })).toThrow(/did you mean "modelName"/);
  });

  it('is a type error for TypeScript callers', () => {
    // @ts-expect-error vadTreshold is not an option (tsc checks this line)
    expect(() => new GradiumSTTProvider({ vadTreshold: 0.9 })).toThrow(ValidationError);
    // @ts-expect-error system_prompt is the Python spelling
    expect(() => new AnthropicAIProvider({ system_prompt: 'x' })).toThrow(ValidationError);
  });
});

describe("the Gradium article's GradiumSTTProvider options", () => {
  // A 3 s pause: the 2 s horizon passes 0.9 only after ~1.8 s of silence.
  const speech = renderSpeech([{ text: 'bonjour je voudrais une table', pauseAfterS: 3 }], {
    sampleRate: 16_000,
  });
  let fake: FakeGradiumSTTServer;
  beforeAll(async () => {
    fake = await new FakeGradiumSTTServer({ vocabulary: speech.vocabulary }).start();
  });
  afterAll(() => fake.close());

  async function endOfTurn(stt: GradiumSTTProvider) {
    const events: STTStreamEvent[] = [];
    for await (const e of stt.transcribeStream(streamFrames(speechFrames(speech)))) events.push(e);
    const vad = events.flatMap((e) => (e.type === 'vad' ? [e] : []));
    const end = events.find(
      (e): e is GradiumEndOfTurnEvent => e.type === 'end-of-turn' && e.reason === 'semantic-vad',
    );
    const at = vad.findIndex((v) => Math.abs((v.totalDurationS ?? -1) - (end?.decidedAtAudioS ?? -2)) < 1e-6);
    const twoSeconds = (i: number) => vad[i].horizons.find((h) => h.horizonS === 2)?.inactivityProb ?? -1;
    return { events, at, twoSeconds };
  }

  it('regression: vadThreshold 0.9 ends the turn on the 2 s horizon above 0.9, not at the default', async () => {
    const stt = new GradiumSTTProvider({
      apiKey: 'test-key',
      modelName: 'default',
      language: 'fr',
      endpoint: fake.endpoint,
      vadThreshold: 0.9,
    });
    const setup = fake.connections.at(-1);
    const { events, at, twoSeconds } = await endOfTurn(stt);
    expect(events.filter((e) => e.type === 'final').map((e) => e.type === 'final' && e.result.text)).toEqual([
      'bonjour je voudrais une table',
    ]);
    expect(at).toBeGreaterThan(0);
    // The balanced policy's three steps, each above 0.9, and the step before them not.
    for (let i = at - 2; i <= at; i++) expect(twoSeconds(i)).toBeGreaterThan(0.9);
    expect(twoSeconds(at - 3)).toBeLessThanOrEqual(0.9);
    expect(setup).not.toBe(fake.connections.at(-1));
    const sent = fake.connections.at(-1)!.received.find((m) => m.kind === 'json' && m.data.type === 'setup');
    expect(sent?.kind === 'json' && sent.data).toMatchObject({
      model_name: 'default',
      json_config: { language: 'fr' },
    });

    const byDefault = await endOfTurn(
      new GradiumSTTProvider({ apiKey: 'test-key', endpoint: fake.endpoint }),
    );
    expect(byDefault.at).toBeLessThan(at);
  });

  it('vadThreshold outside (0, 1), twice, or without turn detection is a ValidationError', () => {
    const make = (o: ConstructorParameters<typeof GradiumSTTProvider>[0]) => () =>
      new GradiumSTTProvider({ apiKey: 'k', ...o });
    expect(make({ vadThreshold: 1.5 })).toThrow(/between 0 and 1/);
    expect(make({ vadThreshold: 0.9, turn: false })).toThrow(/needs turn detection/);
    expect(make({ vadThreshold: 0.9, turn: { threshold: 0.8 } })).toThrow(/once/);
    expect(make({ vadThreshold: 0.9, turn: 'fastAssistant' })).not.toThrow();
  });
});

describe('a provider-level systemPrompt (the seed puts it on the provider)', () => {
  it.each([
    ['anthropic', () => new FakeAnthropicServer(), (b: any) => b.system],
    [
      'openai',
      () => new FakeOpenAIServer(),
      (b: any) => b.messages[0].role === 'system' && b.messages[0].content,
    ],
    ['gemini', () => new FakeGeminiServer(), (b: any) => b.systemInstruction?.parts[0].text],
  ] as const)('%s: used when a request has none; the request wins', async (vendor, fake, read) => {
    const server = fake();
    const baseUrl = await server.start();
    try {
      const Provider = { anthropic: AnthropicAIProvider, openai: OpenAIAIProvider, gemini: GeminiAIProvider }[
        vendor
      ];
      const provider = new Provider({ apiKey: 'test-key', baseUrl, systemPrompt: 'Réponds en français.' });
      await provider.generate({ messages: [{ role: 'user', content: 'hi' }] });
      expect(read(server.lastRequest!.body)).toBe('Réponds en français.');
      await provider.generate({ messages: [{ role: 'user', content: 'hi' }], systemPrompt: 'Be brief.' });
      expect(read(server.lastRequest!.body)).toBe('Be brief.');
    } finally {
      await server.stop();
    }
  });
});
