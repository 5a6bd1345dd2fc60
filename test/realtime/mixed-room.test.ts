import { afterEach, expect, it } from 'vitest';
import { RoomKit, WebSocketChannel } from '../../src/index.js';
import { RealtimeVoiceChannel } from '../../src/realtime/realtime-voice-channel.js';
import { MockRealtimeProvider } from '../../src/testing/mock-realtime-provider.js';
import { MockRealtimeTransport } from '../../src/testing/mock-realtime-transport.js';
import { connectClient, type TestClient } from '../helpers/ws-client.js';
import { silent } from './helpers.js';

let kit: RoomKit | undefined;
let client: TestClient | undefined;
afterEach(async () => {
  await client?.close();
  await kit?.close();
});

it('a realtime voice caller and a WebSocket text user in one room see each other', async () => {
  kit = new RoomKit({ logger: silent });
  const ws = new WebSocketChannel('ws', {
    authenticate: (_req, token) => (token ? { userId: token } : null),
  });
  const provider = new MockRealtimeProvider();
  const voice = new RealtimeVoiceChannel('voice', { provider, transport: new MockRealtimeTransport() });
  kit.registerChannel(ws);
  kit.registerChannel(voice);
  const port = await ws.listen(0);
  await kit.createRoom({ roomId: 'room-1' });
  // The WebSocket channel's clients only see rooms it is attached to.
  await kit.attachChannel('room-1', 'ws');
  const session = await voice.startSession('room-1', 'caller');

  client = await connectClient(`ws://127.0.0.1:${port}/ws?token=typist`);
  await client.next('ready');
  client.send({ type: 'join', roomId: 'room-1' });
  await client.next('joined');

  // The caller speaks: the typist sees the transcript, from the caller.
  provider.simulateTranscription(session.providerSession!, 'Hi, can you hear me?');
  const heard = await client.next(
    (f) => f.type === 'event' && f.event.content.body === 'Hi, can you hear me?',
  );
  expect(heard.event.source).toMatchObject({ channelId: 'voice', participantId: 'caller' });
  // So does the model's answer.
  provider.simulateTranscription(session.providerSession!, 'Yes, loud and clear.', { role: 'assistant' });
  const answer = await client.next(
    (f) => f.type === 'event' && f.event.content.body === 'Yes, loud and clear.',
  );
  expect(answer.event.source.participantId).toBe('assistant');

  // The typist writes: the realtime model gets it as a user turn.
  client.send({
    type: 'message',
    roomId: 'room-1',
    clientId: 'c1',
    content: { type: 'text', body: 'typing here' },
  });
  await client.next('ack');
  await kit.waitForIdle();
  expect(provider.callsTo('sendText', session.providerSession!).map((c) => c.args[0])).toEqual([
    'typing here',
  ]);
});
