import { expect } from 'vitest';
import { ElevenLabsRealtimeConfig } from '../../src/providers/elevenlabs/realtime-config.js';
import { ElevenLabsRealtimeProvider } from '../../src/providers/elevenlabs/realtime-provider.js';
import { GeminiLiveProvider } from '../../src/providers/gemini/live-provider.js';
import { OpenAIRealtimeProvider } from '../../src/providers/openai/realtime-provider.js';
import { XAIRealtimeProvider } from '../../src/providers/xai/realtime-provider.js';
import { silentRealtimeLogger as logger } from '../../src/realtime/logger.js';
import { base64ToPcm16 } from '../../src/realtime/pcm.js';
import {
  FakeElevenLabsConvaiServer,
  FakeGeminiLiveServer,
  FakeOpenAIRealtimeServer,
  FakeXAIRealtimeServer,
} from '../../src/testing/fake-realtime/index.js';
import { runRealtimeChannelConformance } from '../conformance/realtime.js';

/** OpenAI-style function_call_output followed by response.create (OpenAI and xAI). */
async function openaiStyleToolResult(
  fake: FakeOpenAIRealtimeServer | FakeXAIRealtimeServer,
  callId: string,
  result: string,
) {
  await fake.waitForMessage(
    (m) =>
      m.type === 'conversation.item.create' &&
      m.item?.type === 'function_call_output' &&
      m.item.call_id === callId &&
      m.item.output === result,
  );
  await fake.waitForMessage((m) => m.type === 'response.create');
}

const openaiAudio = (m: any) => (m.type === 'input_audio_buffer.append' ? base64ToPcm16(m.audio) : undefined);

runRealtimeChannelConformance<FakeOpenAIRealtimeServer>({
  name: 'OpenAI',
  startFake: () => new FakeOpenAIRealtimeServer().start(),
  createProvider: (fake) =>
    new OpenAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${fake.url}/v1`, logger }),
  voice: 'alloy',
  inputAudio: openaiAudio,
  wireInputRate: 24000,
  expectToolResult: openaiStyleToolResult,
  async truncatedAtMs(fake) {
    const truncate = await fake.waitForMessage((m) => m.type === 'conversation.item.truncate');
    return truncate.audio_end_ms;
  },
  failSession: (fake, conn) => fake.failSession(conn),
});

runRealtimeChannelConformance<FakeXAIRealtimeServer>({
  name: 'xAI',
  startFake: () => new FakeXAIRealtimeServer().start(),
  createProvider: (fake) =>
    new XAIRealtimeProvider({ apiKey: 'test-key', baseUrl: `${fake.url}/v1`, logger }),
  voice: 'Ara',
  inputAudio: openaiAudio,
  wireInputRate: 16000,
  expectToolResult: openaiStyleToolResult,
  failSession: (fake, conn) => fake.failSession(conn),
});

runRealtimeChannelConformance<FakeGeminiLiveServer>({
  name: 'Gemini Live',
  startFake: () => new FakeGeminiLiveServer().start(),
  createProvider: (fake) => new GeminiLiveProvider({ apiKey: 'test-key', baseUrl: fake.url, logger }),
  voice: 'Aoede',
  inputAudio: (m) =>
    m.realtimeInput?.audio?.mimeType === 'audio/pcm;rate=16000'
      ? base64ToPcm16(m.realtimeInput.audio.data)
      : undefined,
  wireInputRate: 16000,
  async expectToolResult(fake, callId, result) {
    const msg = await fake.waitForMessage((m) => m.toolResponse !== undefined);
    expect(msg.toolResponse.functionResponses[0]).toMatchObject({ id: callId, response: JSON.parse(result) });
  },
  failSession: (fake, conn) => fake.failSession(conn),
});

runRealtimeChannelConformance<FakeElevenLabsConvaiServer>({
  name: 'ElevenLabs',
  startFake: () => new FakeElevenLabsConvaiServer().start(),
  createProvider: (fake) =>
    new ElevenLabsRealtimeProvider(
      ElevenLabsRealtimeConfig({ apiKey: 'test-key', agentId: 'agent_test', baseUrl: fake.url, logger }),
    ),
  voice: '21m00Tcm4TlvDq8ikWAM',
  inputAudio: (m) => (typeof m.user_audio_chunk === 'string' ? base64ToPcm16(m.user_audio_chunk) : undefined),
  wireInputRate: 16000,
  async expectToolResult(fake, callId, result) {
    const msg = await fake.waitForMessage((m) => m.type === 'client_tool_result');
    expect(msg).toEqual({ type: 'client_tool_result', tool_call_id: callId, result, is_error: false });
  },
  failSession: (fake, conn) => fake.failSession(conn),
});
