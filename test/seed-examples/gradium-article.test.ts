import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIChannel, ChannelCategory, RoomKit } from '../../src/index.js';
import { AnthropicAIProvider } from '../../src/providers/anthropic/index.js';
import { GradiumSTTProvider, GradiumTTSProvider } from '../../src/providers/gradium/index.js';
import {
  FakeAnthropicServer,
  FakeGradiumSTTServer,
  FakeGradiumTTSServer,
  renderSpeech,
  speechFrames,
} from '../../src/testing/index.js';
import { MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import { silent } from '../realtime/helpers.js';

/**
 * Seed 000, the Gradium article: its provider options and its complete example (a French
 * voice agent: Gradium STT/TTS, Claude), ported with the article's names. The vendors are
 * our fakes over real sockets; the only change to the example is where the endpoints point,
 * and a backend for the call (the article leaves the transport to the reader: WebRTC).
 */
const question = renderSpeech([{ text: 'bonjour je voudrais réserver une table' }], { sampleRate: 16_000 });
let sttFake: FakeGradiumSTTServer;
let ttsFake: FakeGradiumTTSServer;
let claude: FakeAnthropicServer;
let claudeUrl: string;

beforeAll(async () => {
  sttFake = await new FakeGradiumSTTServer({ vocabulary: question.vocabulary }).start();
  ttsFake = await new FakeGradiumTTSServer().start();
  claude = new FakeAnthropicServer({ defaultReply: { text: 'Bien sûr, pour combien de personnes ?' } });
  claudeUrl = await claude.start();
});
afterAll(async () => {
  await sttFake.close();
  await ttsFake.close();
  await claude.stop();
});

describe("seed 000: the Gradium article's providers", () => {
  it('GradiumSTTProvider and GradiumTTSProvider take the options the article gives them', () => {
    const stt = new GradiumSTTProvider({
      apiKey: 'gd-key',
      modelName: 'default',
      language: 'fr',
      endpoint: 'wss://eu.api.gradium.ai/api/speech/asr',
      vadThreshold: 0.5,
    });
    const tts = new GradiumTTSProvider({
      apiKey: 'gd-key',
      modelName: 'default',
      voiceId: 'axlOaUiFyOZhy4nv', // Leo - French male voice
      endpoint: 'wss://eu.api.gradium.ai/api/speech/tts',
    });
    expect(stt.supportsStreaming).toBe(true);
    expect(tts.defaultVoice).toBe('axlOaUiFyOZhy4nv');
    expect(tts.sampleRate).toBe(48_000);
    expect(tts.supportsStreamingInput).toBe(true);
  });

  it('an option the provider does not know is a typed error, never silently dropped', () => {
    expect(() => new GradiumSTTProvider({ apiKey: 'k', vad_threshold: 0.9 } as never)).toThrow(
      expect.objectContaining({ code: 'validation_error', message: expect.stringMatching(/vad_threshold/) }),
    );
  });

  it('the complete example: a French call through Gradium and Claude', async () => {
    const kit = new RoomKit({ logger: silent });
    try {
      // Configure Gradium
      const stt = new GradiumSTTProvider({ apiKey: 'test-key', language: 'fr', endpoint: sttFake.endpoint });
      const tts = new GradiumTTSProvider({
        apiKey: 'test-key',
        voiceId: 'axlOaUiFyOZhy4nv', // Leo - French male voice
        endpoint: ttsFake.endpoint,
      });

      // Create channels
      const backend = new MockVoiceBackend();
      const voice = new VoiceChannel('phone', { sttProvider: stt, ttsProvider: tts, backend });
      const ai = new AIChannel('claude', {
        provider: new AnthropicAIProvider({
          apiKey: 'test-key',
          baseUrl: claudeUrl,
          model: 'claude-sonnet-4-20250514',
          systemPrompt: 'Tu es un assistant francophone. Réponds en français.',
        }),
      });
      kit.registerChannel(voice);
      kit.registerChannel(ai);

      // Create room and wire everything
      await kit.createRoom({ roomId: 'conversation-1' });
      await kit.attachChannel('conversation-1', 'phone');
      await kit.attachChannel('conversation-1', 'claude', { category: ChannelCategory.INTELLIGENCE });

      // The voice channel handles the rest: audio in -> Gradium STT -> Claude -> Gradium TTS -> audio out.
      const call = await kit.connectVoice('conversation-1', 'caller', 'phone');
      for (const frame of speechFrames(question)) await backend.simulateAudioReceived(call, frame);
      await expect
        .poll(async () => (await kit.store.listEvents('conversation-1')).length, { timeout: 10_000 })
        .toBe(2);
      const [heard, answer] = await kit.store.listEvents('conversation-1');
      expect(heard!.content).toEqual({ type: 'text', body: 'bonjour je voudrais réserver une table' });
      expect(answer!.content).toEqual({ type: 'text', body: 'Bien sûr, pour combien de personnes ?' });
      const request = claude.lastRequest!.body as { model: string; system: string };
      expect(request.model).toBe('claude-sonnet-4-20250514');
      expect(request.system).toBe('Tu es un assistant francophone. Réponds en français.');
      // The answer is spoken with the article's voice and reaches the caller.
      await expect.poll(() => backend.callsOf('endOfResponse', call).length, { timeout: 10_000 }).toBe(1);
      expect(backend.sentBytes(call).byteLength).toBeGreaterThan(16_000); // over half a second at 16 kHz
      const setups = ttsFake.connections
        .flatMap((c) => c.received)
        .flatMap((m) => (m.kind === 'json' && m.data.type === 'setup' ? [m.data] : []));
      expect(setups.at(-1)?.voice_id).toBe('axlOaUiFyOZhy4nv');
    } finally {
      await kit.close();
    }
  });
});
