/**
 * The console's voice panel feed: each room sees its own calls, live then recently ended,
 * and keeps the last five ended ones per room.
 */
import { afterEach, expect, it } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { VoiceFeed } from '../../src/server/voice-feed.js';
import { MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { MockVoiceBackend, VoiceChannel } from '../../src/voice/index.js';
import { silent, until } from '../voice/channel/helpers.js';

let kit: RoomKit | undefined;
let feed: VoiceFeed | undefined;
afterEach(async () => {
  feed?.close();
  await kit?.close();
  kit = feed = undefined;
});

it("lists a room's calls only, and keeps its five most recently ended", async () => {
  kit = new RoomKit({ logger: silent });
  kit.registerChannel(
    new VoiceChannel('phone', {
      stt: new MockSTTProvider({ transcripts: [] }),
      tts: new MockTTSProvider(),
      backend: new MockVoiceBackend(),
    }),
  );
  feed = new VoiceFeed(kit, silent);
  await kit.createRoom({ roomId: 'a' });
  await kit.createRoom({ roomId: 'b' });
  const inA = [];
  for (let i = 0; i < 7; i++) inA.push(await kit.connectVoice('a', `caller-${i}`, 'phone'));
  const inB = await kit.connectVoice('b', 'other', 'phone');
  await until(() => expect(feed!.sessionsIn('a')).toHaveLength(7));
  expect(feed.sessionsIn('b').map((s) => s.sessionId)).toEqual([inB.id]);

  for (const session of inA) await kit.disconnectVoice(session);
  await until(() => expect(feed!.sessionsIn('a').every((s) => s.state === 'ended')).toBe(true));
  // The two that ended first are forgotten; the other room is untouched.
  expect(feed.sessionsIn('a').map((s) => s.sessionId)).toEqual(inA.slice(2).map((s) => s.id));
  expect(feed.sessionsIn('b')).toMatchObject([{ sessionId: inB.id, state: 'active' }]);
  expect(feed.sessionsIn('nowhere')).toEqual([]);
});
