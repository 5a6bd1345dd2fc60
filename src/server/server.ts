import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AIProvider } from '../ai/types.js';
import { AIChannel } from '../channels/ai-channel.js';
import { WebSocketChannel } from '../channels/websocket/websocket-channel.js';
import { errorMessage } from '../core/errors.js';
import { RoomKit } from '../core/roomkit.js';
import { ChannelCategory } from '../models/index.js';
import type { ConversationStore } from '../store/conversation-store.js';
import { aiProviderFromEnv } from './ai-provider-from-env.js';
import { handleHttp } from './http-routes.js';
import { type ServerVoice, voiceFromEnv } from './voice-from-env.js';
import { attachVoice } from './voice-wiring.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** SQLite file (default ./roomkit.db); ignored when `store` is given. */
  dbPath?: string;
  store?: ConversationStore;
  /** The agent; default from the environment (Anthropic, OpenAI, else the local rules). */
  aiProvider?: AIProvider;
  systemPrompt?: string;
  /** When set, the API and WebSocket require it (Bearer header or ?token=). */
  token?: string;
  /** Speech for the talk button; default from the environment (Gradium, else offline), false for none. */
  voice?: ServerVoice | false;
}

export interface RunningServer {
  kit: RoomKit;
  http: Server;
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_ROOM = 'lobby';
export const AGENT_CHANNEL_ID = 'agent';

/** Everything `roomkit serve` runs: one kit, HTTP API + console, WebSocket clients, an agent. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const store = opts.store ?? (await openSqlite(opts.dbPath ?? './roomkit.db'));
  const kit = new RoomKit({ store });
  const provider = opts.aiProvider ?? (await aiProviderFromEnv());
  const agent = new AIChannel(AGENT_CHANNEL_ID, {
    provider,
    systemPrompt: opts.systemPrompt ?? 'You are a helpful assistant in a chat room. Keep answers short.',
  });
  const http = createServer();
  const ws = new WebSocketChannel('web', {
    server: http,
    authenticate: (req, token) => {
      if (opts.token && token !== opts.token) return null;
      const user = new URL(req.url ?? '/', 'http://localhost').searchParams.get('user') ?? '';
      return { userId: /^[\w.-]{1,40}$/.test(user) ? user : 'guest' };
    },
  });
  kit.registerChannel(agent);
  kit.registerChannel(ws);
  const voice = opts.voice === false ? undefined : (opts.voice ?? (await voiceFromEnv(kit.logger)));
  if (voice) attachVoice(kit, http, voice, opts.token);

  const createRoom = async (roomId?: string) => {
    const room = await kit.createRoom({ roomId });
    await kit.attachChannel(room.id, ws.id);
    await kit.attachChannel(room.id, agent.id, { category: ChannelCategory.INTELLIGENCE });
    return room;
  };
  if (!(await kit.getRoom(DEFAULT_ROOM))) await createRoom(DEFAULT_ROOM);

  const info = {
    agent: { name: provider.name, model: provider.model },
    voice: voice ? { label: voice.label, path: '/voice' } : null,
    store: store.name,
    version: '0.1.0',
  };
  http.on('request', (req, res) => {
    handleHttp(req, res, { kit, info, createRoom, token: opts.token }).catch((error) => {
      kit.logger.error({ err: errorMessage(error), url: req.url }, 'http request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = http.address() as AddressInfo;
  const url = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  return {
    kit,
    http,
    url,
    async close() {
      await kit.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function openSqlite(path: string): Promise<ConversationStore> {
  const { SqliteStore } = await import('../store/sqlite/index.js');
  return new SqliteStore({ path });
}
