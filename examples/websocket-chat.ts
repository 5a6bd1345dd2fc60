// A WebSocket chat room with an AI in it: start the server, connect a client, talk, stop.
// Run: node --import tsx examples/websocket-chat.ts
import { WebSocket } from 'ws';
import { AIChannel, ChannelCategory, RoomKit, WebSocketChannel } from 'roomkit';
import { MockAIProvider } from 'roomkit/testing';

const kit = new RoomKit();
const web = new WebSocketChannel('web', {
  // Real apps check a session or JWT here; returning null refuses the connection.
  authenticate: (_req, token) => (token === 'demo-token' ? { userId: 'ana' } : null),
});
kit.registerChannel(web);
kit.registerChannel(
  new AIChannel('assistant', { provider: new MockAIProvider({ responses: ['Hi Ana, how can I help?'] }) }),
);
await kit.createRoom({ roomId: 'chat' });
await kit.attachChannel('chat', 'web');
await kit.attachChannel('chat', 'assistant', { category: ChannelCategory.INTELLIGENCE });
const port = await web.listen(0);

const client = new WebSocket(`ws://127.0.0.1:${port}/ws?token=demo-token`);
client.on('message', (data) => {
  const frame = JSON.parse(data.toString());
  if (frame.type === 'ready') client.send(JSON.stringify({ type: 'join', roomId: 'chat' }));
  if (frame.type === 'joined') {
    client.send(
      JSON.stringify({ type: 'message', roomId: 'chat', content: { type: 'text', body: 'hello' } }),
    );
  }
  if (frame.type === 'ack') console.log(`sent, stored at index ${frame.event.index}`);
  if (frame.type === 'event' && frame.event.source.channelId === 'assistant') {
    console.log(`assistant: ${frame.event.content.body}`);
    client.close();
    void kit.close();
  }
});
