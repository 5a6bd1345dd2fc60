import { afterEach, describe, expect, it } from 'vitest';
import { SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import { AIChannel, Access, ChannelCategory, HookTrigger, RoomKit } from '../../../src/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import { EnergyVADProvider, VoiceChannel, type VoiceSession } from '../../../src/voice/index.js';
import { RecordingChannel } from '../../helpers/channels.js';
import { eventually } from '../../conformance/backend.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('a phone call into a room through a VoiceChannel', () => {
  it('the caller is transcribed into the room, the AI answers by voice, digits fire ON_DTMF, identity by number', async () => {
    const silent = memoryLogger();
    // The room knows its customers by phone number: the identity resolver sees the caller's.
    const seen: string[] = [];
    const kit = new RoomKit({
      logger: silent,
      identityResolver: (msg) => {
        seen.push(msg.senderId ?? '');
        return msg.senderId === '+15559870000'
          ? { status: 'identified', participantId: 'customer-42' }
          : { status: 'unknown' };
      },
    });
    cleanup.push(() => kit.close());
    const backend = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: silent,
      rtcpInterval: 1,
      roomId: 'support',
    });
    const voice = new VoiceChannel('phone', {
      stt: new MockSTTProvider({ transcripts: ['where is my order'] }),
      tts: new MockTTSProvider({ msPerChar: 5 }),
      backend,
      pipeline: { vad: new EnergyVADProvider({ threshold: 300, minSpeechMs: 60, silenceMs: 300 }) },
    });
    const web = new RecordingChannel('web');
    kit.registerChannel(voice);
    kit.registerChannel(web);
    kit.registerChannel(
      new AIChannel('ai', { provider: new MockAIProvider({ responses: ['It ships today.'] }) }),
    );
    await kit.createRoom({ roomId: 'support' });
    await kit.attachChannel('support', 'web', { access: Access.READ_WRITE });
    await kit.attachChannel('support', 'ai', { category: ChannelCategory.INTELLIGENCE });
    const digits: string[] = [];
    const started: VoiceSession[] = [];
    kit.hook(
      HookTrigger.ON_DTMF,
      (p: { digit: string; source?: string }) => void digits.push(`${p.digit}/${p.source}`),
    );
    kit.hook(HookTrigger.ON_SESSION_STARTED, (p: { session: VoiceSession }) => void started.push(p.session));
    let played = 0;
    backend.onAudioPlayed(() => played++);
    const ports = await backend.listen();
    const call = sippCaller('uac-talk.xml', ports.udp!, cleanup);
    const result = await call;
    expect(result.code, result.errors).toBe(0);
    expect(started).toHaveLength(1);
    expect(started[0].participantId).toBe('+15559870000');
    expect(digits).toEqual(['4/rfc4733', '2/rfc4733', '#/sip-info']);
    // SIPp's recorded speech went through VAD and STT into the room, and the AI answered.
    await eventually(() => {
      const bodies = web.got.map((e) => (e.content.type === 'text' ? e.content.body : ''));
      expect(bodies).toContain('where is my order');
      expect(bodies).toContain('It ships today.');
    }, 8000);
    const said = web.got.find((e) => e.content.type === 'text' && e.content.body === 'where is my order');
    expect(seen).toContain('+15559870000');
    expect(said?.source.participantId).toBe('customer-42');
    // The answer went back down the phone line as RTP frames.
    expect(played).toBeGreaterThan(2);
  });
});
