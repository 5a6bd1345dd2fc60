import { RoomKit } from '../../src/index.js';
import type { RealtimeVoiceProvider } from '../../src/realtime/provider.js';
import type { RealtimeVoiceChannelOptions } from '../../src/realtime/realtime-channel-types.js';
import { RealtimeVoiceChannel } from '../../src/realtime/realtime-voice-channel.js';
import { tone } from '../../src/testing/fake-realtime/script.js';
import { MockRealtimeProvider } from '../../src/testing/mock-realtime-provider.js';
import { MockRealtimeTransport } from '../../src/testing/mock-realtime-transport.js';
import type { VoiceBackend } from '../../src/voice/backends/voice-backend.js';
import { RecordingChannel } from '../helpers/channels.js';
import { silentLogger } from '../../src/core/logger.js';

export const silent = silentLogger;

export interface RealtimeRig<P extends RealtimeVoiceProvider = MockRealtimeProvider> {
  kit: RoomKit;
  provider: P;
  transport: MockRealtimeTransport;
  channel: RealtimeVoiceChannel;
  /** A text channel in the same room: what the rest of the room sees. */
  inbox: RecordingChannel;
  /** Framework events the channel raised, by name. */
  events: { name: string; payload: any }[];
}

/** A kit with room 'room-1', the realtime channel 'voice' and a recording text channel. */
export async function realtimeRig<P extends RealtimeVoiceProvider = MockRealtimeProvider>(
  opts: Partial<Omit<RealtimeVoiceChannelOptions, 'provider' | 'transport'>> & {
    provider?: P;
    transport?: MockRealtimeTransport;
  } = {},
): Promise<RealtimeRig<P>> {
  const kit = new RoomKit({ logger: silent });
  const provider = (opts.provider ?? new MockRealtimeProvider()) as P;
  const transport = opts.transport ?? new MockRealtimeTransport({ playbackRealtime: false });
  const channel = new RealtimeVoiceChannel('voice', {
    ...opts,
    provider,
    transport: transport as VoiceBackend,
  });
  kit.registerChannel(channel);
  const inbox = new RecordingChannel('inbox');
  kit.registerChannel(inbox);
  await kit.createRoom({ roomId: 'room-1' });
  await kit.attachChannel('room-1', 'inbox');
  const events: RealtimeRig['events'] = [];
  for (const name of ['channel_error', 'realtime_session_ended', 'realtime_session_rollover', 'metric']) {
    kit.on(name, (payload) => events.push({ name, payload }));
  }
  return { kit, provider, transport, channel, inbox, events };
}

/** `ms` of a loud tone in 20 ms frames, at `rate`. */
export function toneFrames(ms: number, rate: number): Int16Array[] {
  const pcm = tone(ms, rate);
  const frame = rate / 50;
  const frames: Int16Array[] = [];
  for (let i = 0; i < pcm.length; i += frame) frames.push(pcm.slice(i, i + frame));
  return frames;
}

/** A promise with its resolve, for holding a handler or a connect open. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
