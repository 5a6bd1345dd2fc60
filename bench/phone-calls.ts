/**
 * What the phone benches (sip, carriers) put behind every call: a room of its own with a feed
 * channel, and a VoiceChannel (mock STT/TTS, the default pipeline, the media clock) that is
 * handed a long reply as soon as the call starts, so audio flows both ways for the whole
 * measured window.
 */
import { sharedMediaClock } from '../src/backends/rtp/media-clock.js';
import { Channel, ChannelType, HookTrigger, type RoomKit } from '../src/index.js';
import { MockSTTProvider, MockTTSProvider } from '../src/testing/index.js';
import {
  type VoiceBackend,
  VoiceChannel,
  type VoiceChannelOptions,
  type VoiceSession,
} from '../src/voice/index.js';

/** Speaks into a room: what the AI would, without an AI. */
class Feed extends Channel {
  readonly channelType = ChannelType.WEBHOOK;
  override async deliver() {
    return {};
  }
}

/** A call's room, created as the call arrives, with the feed attached (a backend's `routeCall`). */
export async function roomForCall(kit: RoomKit, roomId: string): Promise<{ roomId: string }> {
  await kit.createRoom({ roomId });
  await kit.attachChannel(roomId, 'feed');
  return { roomId };
}

/** Registers the calls' voice channel and the feed; every call that starts is given `reply`. */
export function replyToEveryCall(
  kit: RoomKit,
  backend: VoiceBackend,
  reply: string,
  pacer?: VoiceChannelOptions['pacer'],
): VoiceChannel {
  const voice = new VoiceChannel('phone', {
    stt: new MockSTTProvider({ transcripts: ['hello'] }),
    tts: new MockTTSProvider({ msPerChar: 40 }),
    backend,
    clock: sharedMediaClock,
    ...(pacer ? { pacer } : {}),
    // The caller talks over the reply: barge-in would cut it, and audio must flow both ways.
    interruption: { mode: 'disabled' },
  });
  kit.registerChannel(voice);
  kit.registerChannel(new Feed('feed'));
  kit.hook(HookTrigger.ON_SESSION_STARTED, ({ session }: { session: VoiceSession }) => {
    void kit.processInbound({
      channelId: 'feed',
      roomId: session.roomId,
      content: { type: 'text', body: reply },
    });
  });
  return voice;
}
