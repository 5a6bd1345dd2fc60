import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AIChannel, ChannelCategory, HookResult, HookTrigger, RoomKit, Tool } from '../../src/index.js';
import { MockAIProvider } from '../../src/testing/index.js';
import { RecordingChannel, text } from '../helpers/channels.js';

let kit: RoomKit;
afterEach(async () => kit?.close());

async function room(ai: AIChannel, ...others: RecordingChannel[]) {
  kit = new RoomKit();
  kit.registerChannel(ai);
  for (const o of others) kit.registerChannel(o);
  await kit.createRoom({ roomId: 'r' });
  for (const o of others) await kit.attachChannel('r', o.id);
  await kit.attachChannel('r', ai.id, { category: ChannelCategory.INTELLIGENCE });
}

describe('AIChannel', () => {
  it('answers with the room history as context and the system prompt', async () => {
    const provider = new MockAIProvider({ responses: ['first answer', 'second answer'] });
    const user = new RecordingChannel('user');
    await room(new AIChannel('ai', { provider, systemPrompt: 'Be brief.' }), user);
    await kit.processInbound({ channelId: 'user', roomId: 'r', senderId: 'u1', content: text('one') });
    await kit.waitForIdle();
    await kit.processInbound({ channelId: 'user', roomId: 'r', senderId: 'u1', content: text('two') });
    await kit.waitForIdle();
    expect(user.texts()).toEqual(['first answer', 'second answer']);
    expect(provider.calls[1]!.systemPrompt).toBe('Be brief.');
    expect(provider.calls[1]!.messages).toEqual([
      { role: 'user', content: 'one', name: 'u1' },
      { role: 'assistant', content: 'first answer' },
      { role: 'user', content: 'two', name: 'u1' },
    ]);
  });

  it('leaves out what it may not see (visibility) and blocked events', async () => {
    const provider = new MockAIProvider({ responses: ['ok'] });
    const user = new RecordingChannel('user');
    const secret = new RecordingChannel('secret');
    await room(new AIChannel('ai', { provider }), user, secret);
    await kit.setVisibility('r', 'secret', ['user']);
    await kit.processInbound({ channelId: 'secret', roomId: 'r', content: text('hidden from ai') });
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('visible') });
    await kit.waitForIdle();
    expect(provider.calls).toHaveLength(1);
    expect(provider.calls[0]!.messages.map((m) => m.content)).toEqual(['visible']);
  });

  it('runs tools (zod-validated) and feeds results back until the model answers', async () => {
    const provider = new MockAIProvider({
      responses: [
        { toolCalls: [{ name: 'weather', arguments: { city: 'Paris' } }] },
        'It is sunny in Paris.',
      ],
    });
    const seen: unknown[] = [];
    const weather = new Tool({
      name: 'weather',
      description: 'Weather for a city',
      parameters: z.object({ city: z.string() }),
      handler: async (args: { city: string }) => {
        seen.push(args);
        return `sunny in ${args.city}`;
      },
    });
    const user = new RecordingChannel('user');
    await room(new AIChannel('ai', { provider, tools: [weather] }), user);
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('weather?') });
    await kit.waitForIdle();
    expect(seen).toEqual([{ city: 'Paris' }]);
    expect(user.texts()).toEqual(['It is sunny in Paris.']);
    expect(provider.calls[0]!.tools![0]!.parameters).toMatchObject({
      type: 'object',
      properties: { city: { type: 'string' } },
    });
    const last = provider.calls[1]!.messages.at(-1)!;
    expect(last).toMatchObject({ role: 'tool', name: 'weather', content: 'sunny in Paris' });
  });

  it('bounds the tool loop by maxToolRounds and reports bad arguments to the model', async () => {
    const provider = new MockAIProvider({
      responses: [{ text: 'still calling', toolCalls: [{ name: 'weather', arguments: {} }] }],
    });
    const weather = new Tool({
      name: 'weather',
      description: 'x',
      parameters: z.object({ city: z.string() }),
      handler: () => 'never',
    });
    const user = new RecordingChannel('user');
    await room(new AIChannel('ai', { provider, tools: [weather], maxToolRounds: 3 }), user);
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('loop') });
    await kit.waitForIdle();
    expect(provider.calls).toHaveLength(3);
    const toolMsg = provider.calls[1]!.messages.at(-1)!;
    expect(toolMsg).toMatchObject({ role: 'tool', isError: true });
    expect((toolMsg as { content: string }).content).toContain('invalid arguments for weather');
    expect(user.texts()).toEqual(['still calling']);
  });

  it('regression: ON_TOOL_CALL never fired for AIChannel tool calls; now a hook answers through metadata.result', async () => {
    const provider = new MockAIProvider({
      responses: [
        {
          toolCalls: [
            { id: 'c1', name: 'weather', arguments: { city: 'Paris' } },
            { id: 'c2', name: 'weather', arguments: { city: 'Oslo' } },
            { id: 'c3', name: 'secret', arguments: {} },
          ],
        },
        'done',
      ],
    });
    const ran: string[] = [];
    const weather = new Tool({
      name: 'weather',
      description: 'Weather for a city',
      parameters: z.object({ city: z.string() }),
      handler: async (args: { city: string }) => {
        ran.push(args.city);
        return `tool says ${args.city}`;
      },
    });
    const user = new RecordingChannel('user');
    await room(new AIChannel('ai', { provider, tools: [weather] }), user);
    const seen: unknown[] = [];
    kit.hook(HookTrigger.ON_TOOL_CALL, (call, ctx) => {
      seen.push({ ...call, ctxChannel: ctx.channelId, ctxRoom: ctx.roomId });
      if (call.name === 'secret') return HookResult.block('not for you');
      if (call.arguments.city === 'Paris') return HookResult.allow({ metadata: { result: { temp: 21 } } });
      return undefined; // Oslo: let the Tool answer
    });
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('weather?') });
    await kit.waitForIdle();
    expect(seen).toEqual([
      expect.objectContaining({
        callId: 'c1',
        name: 'weather',
        channelType: 'ai',
        channelId: 'ai',
        roomId: 'r',
      }),
      expect.objectContaining({ callId: 'c2', arguments: { city: 'Oslo' }, ctxChannel: 'ai', ctxRoom: 'r' }),
      expect.objectContaining({ callId: 'c3', name: 'secret' }),
    ]);
    expect(ran).toEqual(['Oslo']);
    const toolMessages = provider.calls[1]!.messages.filter((m) => m.role === 'tool');
    expect(toolMessages).toEqual([
      { role: 'tool', toolCallId: 'c1', name: 'weather', content: '{"temp":21}', isError: false },
      { role: 'tool', toolCallId: 'c2', name: 'weather', content: 'tool says Oslo', isError: false },
      {
        role: 'tool',
        toolCallId: 'c3',
        name: 'secret',
        content: '{"error":"tool call refused: not for you"}',
        isError: true,
      },
    ]);
    expect(user.texts()).toEqual(['done']);
  });

  it('streams deltas to streaming channels and commits the full reply once', async () => {
    const provider = new MockAIProvider({ responses: ['hello there friend'], streaming: true });
    const user = new RecordingChannel('user');
    const live = new RecordingChannel('live', { capabilities: { streaming: true } });
    const deltas: string[] = [];
    live.deliverStreamDelta = async (d) => {
      if (!d.done) deltas.push(d.text);
    };
    await room(new AIChannel('ai', { provider }), user, live);
    await kit.processInbound({ channelId: 'user', roomId: 'r', content: text('hi') });
    await kit.waitForIdle();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join('')).toBe('hello there friend');
    expect(live.texts()).toEqual(['hi', 'hello there friend']);
    const events = await kit.store.listEvents('r');
    expect(events.map((e) => (e.content as { body: string }).body)).toEqual(['hi', 'hello there friend']);
  });
});
