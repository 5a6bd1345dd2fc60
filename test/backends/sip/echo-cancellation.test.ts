import { afterEach, describe, expect, it } from 'vitest';
import { SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import { Channel, ChannelType, HookTrigger, RoomKit } from '../../../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import { EnergyVADProvider, SpeexAECProvider, VoiceChannel } from '../../../src/voice/index.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

class Feed extends Channel {
  readonly channelType = ChannelType.WEBHOOK;
  override async deliver() {
    return {};
  }
}

/**
 * SIPp echoes every packet we send (-rtp_echo): the caller's line returns the agent's own
 * voice, as a hybrid or a speakerphone does. With an echo canceller fed at playback time by
 * the SIP backend, the agent must not hear itself as the caller speaking.
 */
async function echoedCall(aec: boolean): Promise<string[]> {
  const logger = memoryLogger();
  const kit = new RoomKit({ logger });
  cleanup.push(() => kit.close());
  const backend = new SIPVoiceBackend({
    host: '127.0.0.1',
    port: 0,
    transports: ['udp'],
    logger,
    rtcpInterval: 0,
    roomId: 'echo',
    codecs: ['PCMU'],
  });
  const voice = new VoiceChannel('phone', {
    stt: new MockSTTProvider({ transcripts: ['echo'] }),
    tts: new MockTTSProvider({ msPerChar: 40, sampleRate: 8000 }),
    backend,
    pipeline: {
      vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 100, silenceMs: 300 }),
      ...(aec ? { aec: new SpeexAECProvider() } : {}),
    },
  });
  kit.registerChannel(voice);
  kit.registerChannel(new Feed('feed'));
  await kit.createRoom({ roomId: 'echo' });
  await kit.attachChannel('echo', 'feed');
  const heard: string[] = [];
  kit.hook(HookTrigger.ON_SPEECH_START, () => void heard.push('speech_start'));
  kit.hook(HookTrigger.ON_BARGE_IN, () => void heard.push('barge_in'));
  kit.hook(HookTrigger.ON_SESSION_STARTED, ({ session }) => {
    void kit.processInbound({
      channelId: 'feed',
      roomId: session.roomId,
      content: { type: 'text', body: 'a long enough answer to echo' },
    });
  });
  const { udp } = await backend.listen();
  const call = sippCaller('uac-echo.xml', udp!, cleanup, { extra: ['-rtp_echo'] });
  const result = await call;
  expect(result.code, result.errors).toBe(0);
  return heard;
}

describe('echo cancellation on SIP calls (playback-time reference from the backend)', () => {
  it('without an echo canceller the agent hears its own echo as the caller', async () => {
    expect(await echoedCall(false)).toContain('speech_start');
  });

  it('with one, the echo is cancelled: no speech, no barge-in', async () => {
    expect(await echoedCall(true)).toEqual([]);
  });
});
