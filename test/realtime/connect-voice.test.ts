import { afterEach, expect, it } from 'vitest';
import { RoomKit } from '../../src/index.js';
import { RealtimeVoiceChannel } from '../../src/realtime/index.js';
import { MockRealtimeProvider, MockRealtimeTransport } from '../../src/testing/index.js';

let kit: RoomKit | undefined;
afterEach(async () => kit?.close());

// Regression: kit.connectVoice passed metadata where RealtimeVoiceChannel expects options.
it('kit.connectVoice opens a realtime session with its options, disconnectVoice ends it', async () => {
  kit = new RoomKit();
  const provider = new MockRealtimeProvider();
  const transport = new MockRealtimeTransport();
  const channel = new RealtimeVoiceChannel('rt', { provider, transport, systemPrompt: 'default prompt' });
  kit.registerChannel(channel);
  await kit.createRoom({ roomId: 'r' });
  const session = await kit.connectVoice('r', 'caller', 'rt', {
    metadata: { plan: 'gold' },
    systemPrompt: 'per-call prompt',
  });
  expect(session.roomId).toBe('r');
  expect(session.metadata).toMatchObject({ plan: 'gold' });
  expect(channel.getSession(session.id)?.state).toBe('active');
  const [connect] = provider.callsTo('connect');
  expect((connect!.args[0] as { systemPrompt?: string }).systemPrompt).toBe('per-call prompt');
  await kit.disconnectVoice(session);
  expect(channel.getSession(session.id)?.state ?? 'ended').toBe('ended');
});
