import { afterEach, describe, expect, it } from 'vitest';
import { HookTrigger, ProviderError } from '../../src/index.js';
import type { RealtimeToolContext } from '../../src/realtime/realtime-channel-types.js';
import type { VoiceErrorEvent } from '../../src/voice/voice-hooks.js';
import { type RealtimeRig, realtimeRig, toneFrames } from './helpers.js';

let rig: RealtimeRig | undefined;
afterEach(async () => {
  await rig?.kit.close();
  rig = undefined;
});

describe('RealtimeVoiceChannel with the seed API', () => {
  it('a seed-style toolHandler async (name, args) => string just works; the session comes third', async () => {
    const seen: unknown[] = [];
    async function handleTool(name: string, args: Record<string, unknown>) {
      seen.push([name, args]);
      if (name === 'get_weather') return JSON.stringify({ temperature: 72, city: args.city });
      return JSON.stringify({ error: `Unknown tool: ${name}` });
    }
    let context: RealtimeToolContext | undefined;
    rig = await realtimeRig({
      toolHandler: (name, args, ctx) => {
        context = ctx;
        return handleTool(name, args);
      },
    });
    const s = await rig.channel.startSession('room-1', 'user-1');
    const answer = await rig.provider.simulateToolCall(s, 'call-1', 'get_weather', { city: 'NYC' });
    expect(answer).toEqual({ result: '{"temperature":72,"city":"NYC"}', isError: false });
    expect(seen).toEqual([['get_weather', { city: 'NYC' }]]);
    expect(context).toMatchObject({ session: s, roomId: 'room-1', callId: 'call-1' });
  });

  it('every simulate* helper takes the session startSession returned', async () => {
    rig = await realtimeRig();
    const starts: string[] = [];
    rig.kit.hook(HookTrigger.ON_SPEECH_START, (p) => void starts.push(p.session.id));
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateSpeechStart(s);
    rig.provider.simulateSpeechEnd(s);
    rig.provider.simulateResponseStart(s);
    rig.provider.simulateAudio(s, toneFrames(40, 24000)[0]!);
    rig.provider.simulateResponseEnd(s);
    rig.provider.simulateTranscription(s, 'hello there', { role: 'assistant' });
    await rig.kit.waitForIdle();
    expect(starts).toEqual([s.id]);
    expect(rig.inbox.texts()).toEqual(['hello there']);
    expect(rig.transport.sentPcm(s.transportSession).length).toBeGreaterThan(0);
    rig.provider.simulateSessionEnded(s);
    await rig.kit.waitForIdle();
    expect(s.state).toBe('ended');
  });

  it('a provider error reaches ON_ERROR with its stage and code; the session goes on', async () => {
    rig = await realtimeRig();
    const errors: VoiceErrorEvent[] = [];
    rig.kit.hook(HookTrigger.ON_ERROR, (p: VoiceErrorEvent) => void errors.push(p));
    const s = await rig.channel.startSession('room-1', 'user-1');
    rig.provider.simulateError(
      s,
      new ProviderError('mock', 'rate limited', { code: 'rate_limited', status: 429 }),
    );
    await rig.kit.waitForIdle();
    expect(errors).toEqual([
      expect.objectContaining({ session: s, channelId: 'voice', stage: 'provider', code: 'rate_limited' }),
    ]);
    expect(s.state).toBe('active');
  });

  it('gated input never reaches the model; un-gated it does', async () => {
    rig = await realtimeRig();
    const s = await rig.channel.startSession('room-1', 'user-1');
    const ps = s.providerSession!;
    rig.transport.setInputGated(s, true);
    for (const f of toneFrames(100, 16000)) await rig.transport.simulateClientAudio(s, f);
    expect(rig.provider.sentAudio(ps)).toHaveLength(0);
    rig.transport.setInputGated(s, false);
    for (const f of toneFrames(100, 16000)) await rig.transport.simulateClientAudio(s, f);
    expect(rig.provider.sentAudio(ps)).toHaveLength(5);
  });

  it('speaker changes from the transport become speaker_change events naming the channel session', async () => {
    rig = await realtimeRig();
    const s = await rig.channel.startSession('room-1', 'user-1');
    const changes: unknown[] = [];
    rig.kit.on('speaker_change', (e) => void changes.push(e));
    await rig.transport.simulateSpeakerChange(s, { speakerId: 'b', confidence: 0.8, isNewSpeaker: true });
    expect(changes).toEqual([expect.objectContaining({ session: s, channelId: 'voice' })]);
  });
});
