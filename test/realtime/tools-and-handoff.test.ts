import { afterEach, describe, expect, it, vi } from 'vitest';
import { HookResult, HookTrigger, ProviderError, Tool } from '../../src/index.js';
import type { RealtimeCapabilities } from '../../src/realtime/provider.js';
import { MockRealtimeProvider } from '../../src/testing/mock-realtime-provider.js';
import { deferred, type RealtimeRig, realtimeRig, toneFrames } from './helpers.js';

let rig: RealtimeRig | undefined;
afterEach(async () => {
  await rig?.kit.close();
  rig = undefined;
});

const weather = new Tool({
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  handler: async ({ city }: { city: string }) => `{"city":"${city}","temp":21}`,
});

const results = (r: RealtimeRig) => r.provider.callsTo('submitToolResult').map((c) => c.args);

describe('tool calls', () => {
  it('sends Tool definitions to the provider and runs their handlers', async () => {
    rig = await realtimeRig({ tools: [weather] });
    const s = await rig.channel.startSession('room-1', 'user-1');
    expect((rig.provider.callsTo('connect')[0].args[0] as any).tools).toEqual([weather.definition]);
    rig.provider.simulateToolCall(s.providerSession!, 'c1', 'get_weather', { city: 'Paris' });
    await rig.kit.waitForIdle();
    expect(results(rig)).toEqual([['c1', '{"city":"Paris","temp":21}', { isError: false }]]);
  });

  it('precedence: an ON_TOOL_CALL result wins, then the Tool, then toolHandler; unknown tools get an error', async () => {
    const handled: string[] = [];
    rig = await realtimeRig({
      tools: [weather],
      toolHandler: (name, args, { session, callId }) => {
        handled.push(`${session.participantId}:${callId}:${name}:${JSON.stringify(args)}`);
        return name === 'lookup' ? { found: true } : undefined;
      },
    });
    rig.kit.hook(HookTrigger.ON_TOOL_CALL, (p) =>
      p.name === 'override' ? HookResult.allow({ metadata: { result: 'from hook' } }) : undefined,
    );
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.provider.simulateToolCall(ps, 'c1', 'override', {});
    rig.provider.simulateToolCall(ps, 'c2', 'get_weather', { city: 'Rome' });
    rig.provider.simulateToolCall(ps, 'c3', 'lookup', { id: 7 });
    await rig.kit.waitForIdle();
    // Calls run concurrently: compare by call id.
    expect(results(rig).sort((a, b) => String(a[0]).localeCompare(String(b[0])))).toEqual([
      ['c1', 'from hook', { isError: false }],
      ['c2', '{"city":"Rome","temp":21}', { isError: false }],
      ['c3', '{"found":true}', { isError: false }],
    ]);
    expect(handled).toEqual(['user-1:c3:lookup:{"id":7}']);
    const bare = await realtimeRig();
    try {
      const s2 = await bare.channel.startSession('room-1', 'user-2');
      bare.provider.simulateToolCall(s2.providerSession!, 'c9', 'nope', {});
      await bare.kit.waitForIdle();
      expect(bare.provider.callsTo('submitToolResult')[0].args).toEqual([
        'c9',
        '{"error":"unknown tool: nope"}',
        { isError: true },
      ]);
    } finally {
      await bare.kit.close();
    }
  });

  it('a blocking hook, a throwing handler and bad arguments come back to the model as error results', async () => {
    rig = await realtimeRig({
      tools: [weather],
      toolHandler: () => {
        throw new Error('backend down');
      },
    });
    rig.kit.hook(HookTrigger.ON_TOOL_CALL, (p) =>
      p.name === 'forbidden' ? HookResult.block('not allowed') : undefined,
    );
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.provider.simulateToolCall(ps, 'c1', 'forbidden', {});
    rig.provider.simulateToolCall(ps, 'c2', 'other', {});
    rig.provider.simulateToolCall(ps, 'c3', 'get_weather', {});
    await rig.kit.waitForIdle();
    const r = results(rig).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    expect(r.map((x) => x[2])).toEqual([{ isError: true }, { isError: true }, { isError: true }]);
    expect(r[0][1]).toContain('not allowed');
    expect(r[1][1]).toContain('backend down');
    expect(r[2][1]).toContain('missing city');
    expect(rig.channel.sessions[0].state).toBe('active');
  });

  it('truncates long results to toolResultMaxLength', async () => {
    rig = await realtimeRig({ toolResultMaxLength: 40, toolHandler: () => 'x'.repeat(1000) });
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateToolCall(s.providerSession!, 'c1', 'big', {});
    await rig.kit.waitForIdle();
    const out = results(rig)[0][1] as string;
    expect(out).toHaveLength(40);
    expect(out.endsWith('[truncated]')).toBe(true);
  });

  it('muteOnToolCall mutes the transport input while the tool runs, and only then', async () => {
    const gate = deferred<string>();
    rig = await realtimeRig({ muteOnToolCall: true, toolHandler: () => gate.promise });
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    const frame = toneFrames(20, 16000)[0];
    rig.provider.simulateToolCall(ps, 'c1', 'slow', {});
    await vi.waitFor(() => expect(rig!.transport.isInputMuted(s.transportSession)).toBe(true));
    await rig.transport.simulateAudioReceived(s.transportSession, frame);
    expect(rig.provider.callsTo('sendAudio')).toEqual([]);
    gate.resolve('done');
    await rig.kit.waitForIdle();
    expect(rig.transport.isInputMuted(s.transportSession)).toBe(false);
    expect(rig.transport.callsOf('setInputMuted').map((c) => c.args.muted)).toEqual([true, false]);
    await rig.transport.simulateAudioReceived(s.transportSession, frame);
    expect(rig.provider.callsTo('sendAudio')).toHaveLength(1);
    const plain = await realtimeRig({ toolHandler: () => 'ok' });
    try {
      const s2 = await plain.channel.startSession('room-1', 'user-2');
      plain.provider.simulateToolCall(s2.providerSession!, 'c1', 'x', {});
      await plain.kit.waitForIdle();
      expect(plain.transport.callsOf('setInputMuted')).toEqual([]);
    } finally {
      await plain.kit.close();
    }
  });
});

class ReconnectingProvider extends MockRealtimeProvider {
  override readonly capabilities: RealtimeCapabilities = {
    serverVad: true,
    sessionResumption: false,
    truncation: false,
    toolsAtConnect: false,
    reconfigure: 'reconnect',
  };
}

describe('handoff', () => {
  it('reconfigures live with new prompt, voice and Tool definitions', async () => {
    rig = await realtimeRig({ systemPrompt: 'General.' });
    const s = await rig.channel.startSession('room-1', 'user-1');
    await rig.channel.reconfigureSession(s.id, {
      systemPrompt: 'Billing.',
      voice: 'shimmer',
      tools: [weather],
      temperature: 0.2,
    });
    expect(rig.provider.callsTo('reconfigure')[0].args[0]).toEqual({
      systemPrompt: 'Billing.',
      voice: 'shimmer',
      tools: [weather.definition],
      temperature: 0.2,
    });
    rig.provider.simulateToolCall(s.providerSession!, 'c1', 'get_weather', { city: 'Oslo' });
    await rig.kit.waitForIdle();
    expect(results(rig)[0][1]).toContain('Oslo');
    await rig.channel.endSession(s.id);
    await expect(rig.channel.reconfigureSession(s.id, { voice: 'x' })).rejects.toMatchObject({
      code: 'session_not_active',
    });
  });

  it('a provider that reconnects to reconfigure gets the conversation so far in the prompt', async () => {
    rig = await realtimeRig({ provider: new ReconnectingProvider(), systemPrompt: 'General.' });
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateTranscription(s.providerSession!, 'my order is late');
    rig.provider.simulateTranscription(s.providerSession!, 'Let me check.', { role: 'assistant' });
    await rig.kit.waitForIdle();
    await rig.channel.reconfigureSession(s.id, { systemPrompt: 'Billing.' });
    const prompt = (rig.provider.callsTo('reconfigure')[0].args[0] as any).systemPrompt as string;
    expect(prompt.startsWith('Billing.')).toBe(true);
    expect(prompt).toContain('User: my order is late\nAssistant: Let me check.');
    expect(prompt).not.toContain('General.');
  });

  it('a non-resumable goAway moves to a new provider session with the transcript, keeping the call', async () => {
    rig = await realtimeRig({ systemPrompt: 'Be kind.' });
    const s = await rig.channel.startSession('room-1', 'user-1');
    const first = s.providerSession!;
    rig.provider.simulateTranscription(first, 'hello there');
    await rig.kit.waitForIdle();
    rig.provider.simulateGoAway(first, 5_000);
    await vi.waitFor(() => expect(s.providerSession).not.toBe(first));
    expect(first.state).toBe('ended');
    expect((rig.provider.callsTo('connect')[1].args[0] as any).systemPrompt).toContain('User: hello there');
    expect(s.state).toBe('active');
    expect(rig.transport.callsOf('disconnect')).toEqual([]);
    await rig.transport.simulateAudioReceived(s.transportSession, toneFrames(20, 16000)[0]);
    expect(rig.provider.sentAudio(s.providerSession!)).toHaveLength(1);
    expect(rig.events.filter((e) => e.name === 'realtime_session_rollover')).toHaveLength(1);
  });

  it('a provider session ended by its time limit rolls over instead of ending the call', async () => {
    rig = await realtimeRig();
    const s = await rig.channel.startSession('room-1', 'user-1');
    const first = s.providerSession!;
    rig.provider.simulateSessionEnded(first, 'session-limit');
    await rig.transport.simulateAudioReceived(s.transportSession, toneFrames(20, 16000)[0]); // buffered meanwhile
    await vi.waitFor(() => expect(s.providerSession).not.toBe(first));
    expect(s.state).toBe('active');
    expect(rig.provider.sentAudio(s.providerSession!)).toHaveLength(1);
  });

  it('a fatal provider error ends the session cleanly and surfaces the typed error', async () => {
    rig = await realtimeRig();
    const ended: string[] = [];
    rig.kit.hook(HookTrigger.ON_SESSION_ENDED, (p) => void ended.push(p.reason));
    const s = await rig.channel.startSession('room-1', 'user-1');
    const error = new ProviderError('mock', 'server exploded', { code: 'server_error' });
    rig.provider.simulateError(s.providerSession!, error, { fatal: true });
    await rig.kit.waitForIdle();
    expect(s.state).toBe('ended');
    expect(s.error).toBe(error);
    expect(rig.transport.callsOf('disconnect')).toHaveLength(1);
    expect(rig.events.find((e) => e.name === 'channel_error')?.payload).toMatchObject({
      channelId: 'voice',
      error,
    });
    expect(rig.events.find((e) => e.name === 'realtime_session_ended')?.payload).toMatchObject({
      reason: 'provider-error',
      error,
    });
    expect(ended).toEqual(['provider-error']);
  });
});
