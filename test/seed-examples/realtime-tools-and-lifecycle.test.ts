import { afterEach, describe, expect, it } from 'vitest';
import { HookResult, HookTrigger, RoomKit, Tool } from '../../src/index.js';
import {
  MockRealtimeProvider,
  MockRealtimeTransport,
  RealtimeVoiceChannel,
} from '../../src/realtime/index.js';
import { silent } from '../realtime/helpers.js';

/** Seed 003's "Tool Calling" and "Session Lifecycle" sections, with the mocks as the provider and transport. */
let kit: RoomKit | undefined;
afterEach(async () => {
  await kit?.close();
  kit = undefined;
});

const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string', description: 'City name' } },
  required: ['city'],
};

describe('seed 003: tool calling', () => {
  it('Tool objects: definitions go to the provider, the handler answers', async () => {
    async function getWeather({ city }: { city: string }) {
      return JSON.stringify({ temperature: 72, condition: 'sunny', city });
    }
    const weatherTool = new Tool({
      name: 'get_weather',
      description: 'Get current weather for a city',
      parameters: weatherParameters,
      handler: getWeather,
    });
    const provider = new MockRealtimeProvider();
    const transport = new MockRealtimeTransport();
    const channel = new RealtimeVoiceChannel('voice', {
      provider,
      transport,
      tools: [weatherTool],
      muteOnToolCall: true,
    });
    const session = await channel.startSession('room-1', 'user-1');
    expect((provider.callsTo('connect')[0]!.args[0] as { tools: unknown[] }).tools).toEqual([
      { name: 'get_weather', description: 'Get current weather for a city', parameters: weatherParameters },
    ]);
    const answer = await provider.simulateToolCall(session, 'call-1', 'get_weather', { city: 'Paris' });
    expect(answer?.result).toBe('{"temperature":72,"condition":"sunny","city":"Paris"}');
    // muteOnToolCall: the microphone was muted while the tool ran, then opened again.
    expect(transport.callsOf('setInputMuted').map((c) => c.args.muted)).toEqual([true, false]);
    await channel.close();
  });

  it('via toolHandler: async (name, arguments) => string, with JSON tool definitions', async () => {
    async function handleTool(name: string, args: Record<string, unknown>) {
      if (name === 'get_weather') {
        const city = (args.city as string | undefined) ?? 'Unknown';
        return JSON.stringify({ temperature: 72, condition: 'sunny', city });
      }
      return JSON.stringify({ error: `Unknown tool: ${name}` });
    }
    const provider = new MockRealtimeProvider();
    const channel = new RealtimeVoiceChannel('voice', {
      provider,
      transport: new MockRealtimeTransport(),
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Get current weather for a city',
          parameters: weatherParameters,
        },
      ],
      toolHandler: handleTool,
      muteOnToolCall: true,
    });
    const session = await channel.startSession('room-1', 'user-1');
    expect(await provider.simulateToolCall(session, 'c1', 'get_weather', { city: 'NYC' })).toEqual({
      result: '{"temperature":72,"condition":"sunny","city":"NYC"}',
      isError: false,
    });
    expect((await provider.simulateToolCall(session, 'c2', 'check_order', {}))?.result).toBe(
      '{"error":"Unknown tool: check_order"}',
    );
    await channel.close();
  });

  it('via hooks: ON_TOOL_CALL answers with metadata.result; event.channelType tells the source', async () => {
    kit = new RoomKit({ logger: silent });
    const channelTypes: string[] = [];
    kit.hook(HookTrigger.ON_TOOL_CALL, async (event) => {
      channelTypes.push(event.channelType);
      if (event.name === 'get_weather') {
        const result = JSON.stringify({ city: event.arguments.city, temperature: 18 });
        return HookResult.allow({ metadata: { result } });
      }
      return HookResult.allow();
    });
    const provider = new MockRealtimeProvider();
    const channel = new RealtimeVoiceChannel('voice', { provider, transport: new MockRealtimeTransport() });
    kit.registerChannel(channel);
    await kit.createRoom({ roomId: 'room-1' });
    const session = await channel.startSession('room-1', 'user-1');
    const answer = await provider.simulateToolCall(session, 'c1', 'get_weather', { city: 'Oslo' });
    expect(answer?.result).toBe('{"city":"Oslo","temperature":18}');
    expect(channelTypes).toEqual(['realtime_voice']);
  });
});

describe('seed 003: session lifecycle', () => {
  it('start with per-session metadata overrides, reconfigure mid-conversation, end: connecting -> active -> ended', async () => {
    const provider = new MockRealtimeProvider();
    const channel = new RealtimeVoiceChannel('voice', {
      provider,
      transport: new MockRealtimeTransport(),
      systemPrompt: 'Default prompt',
      voice: 'alloy',
    });
    const session = await channel.startSession('room-1', 'user-1', {
      connection: undefined,
      metadata: { systemPrompt: 'Override prompt', voice: 'echo' },
    });
    expect(session.state).toBe('active');
    expect(provider.callsTo('connect')[0]!.args[0]).toMatchObject({
      systemPrompt: 'Override prompt',
      voice: 'echo',
    });
    await channel.reconfigureSession(session.id, {
      systemPrompt: 'New prompt',
      voice: 'shimmer',
      temperature: 0.5,
    });
    expect(provider.callsTo('reconfigure')[0]!.args[0]).toMatchObject({
      systemPrompt: 'New prompt',
      voice: 'shimmer',
      temperature: 0.5,
    });
    await channel.endSession(session.id);
    expect(session.state).toBe('ended');
    expect(session.providerSession?.state).toBe('ended');
  });
});
