import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { AIProvider } from '../ai/types.js';
import { AIChannel } from '../channels/ai-channel.js';
import { WebSocketChannel } from '../channels/websocket/websocket-channel.js';
import { ContactIdentityResolver } from '../core/contact-identity.js';
import { errorMessage, RoomKitError, ValidationError } from '../core/errors.js';
import { createLogger, type Logger } from '../core/logger.js';
import { RoomKit } from '../core/roomkit.js';
import { redactUrl, refuseUpgrade, requestUrl } from '../core/ws-upgrade.js';
import { ChannelCategory, type RoomTimers } from '../models/index.js';
import type { ConversationStore } from '../store/conversation-store.js';
import type { ClusterOptions } from '../core/cluster/cluster-node.js';
import type { PubSub } from '../core/cluster/pubsub.js';
import { aiProviderFromEnv } from './ai-provider-from-env.js';
import { clusterConsoleToken, logRoomLifecycle } from './cluster-wiring.js';
import type { IssueTokenOptions } from './auth/tokens.js';
import { handleHttp } from './http-routes.js';
import { startOtel } from './otel.js';
import { VoiceFeed } from './voice-feed.js';
import { HttpError, json, sendError } from './http-util.js';
import { RequestGuard } from './request-guard.js';
import { PerConnectionQueue } from './request-queue.js';
import { ServerAuth } from './server-auth.js';
import { type ServerVoice, voiceFromEnv } from './voice-from-env.js';
import { attachVoice } from './voice-wiring.js';
import { attachVoiceWorkers } from './voice-workers-wiring.js';
import type { VoiceWorkerStats } from '../voice/workers/worker-protocol.js';
import { VoiceAdmission, type VoiceAdmissionOptions } from '../voice/admission.js';
import { attachWebRTCVoice, handleClientLibrary, WEBRTC_PATH } from './webrtc-wiring.js';
import { describeIce, type ServeWebRTCOptions, webrtcIceOptions } from './webrtc-ice.js';
import {
  attachRealtimeVoice,
  REALTIME_PATH,
  realtimeFromEnv,
  type ServerRealtime,
} from './realtime-wiring.js';
import { attachTextChannels, type TextChannelInfo } from './text-channels-wiring.js';
import { type AttachedSip, attachSipVoice, type SipServeOptions } from './sip-wiring.js';
import { type AttachedCarriers, attachCarrierVoice, type CarrierInfo } from './carrier-voice-wiring.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** SQLite file (default ./roomkit.db); ignored when `store` is given. */
  dbPath?: string;
  store?: ConversationStore;
  /**
   * Run as one process of a cluster (docs/cluster.md): every process gets the same store
   * (PostgresStore), the same pub/sub (RedisPubSub) and the same secret (ROOMKIT_SECRET).
   */
  pubsub?: PubSub;
  cluster?: ClusterOptions;
  /** The agent; default from the environment (Anthropic, OpenAI, else the local rules). */
  aiProvider?: AIProvider;
  systemPrompt?: string;
  /**
   * Require a token on every endpoint but the console's static files (default true).
   * false is `--no-auth`: requests without a token act as `guest` in every room.
   */
  auth?: boolean;
  /** The console token (default: random at every start, like Jupyter's). At least 16 characters. */
  token?: string;
  /** Signs user tokens (default ROOMKIT_SECRET, else `<db>.secret`, created once with mode 0600). */
  secret?: string | Uint8Array;
  /** Browser origins allowed besides the server's own, e.g. `https://app.example.com` ('*': any). */
  allowOrigins?: string[];
  /** Host names answered besides the bound address and loopback (a proxy's public name; '*': any). */
  allowHosts?: string[];
  /** Speech for the talk button; default from the environment (Gradium, else offline), false for none. */
  voice?: ServerVoice | false;
  /**
   * Run the WebSocket voice calls (/voice) in this many worker processes (`--voice-workers`),
   * so voice uses every core; the kit stays in this process. Default 0: calls run here.
   */
  voiceWorkers?: number;
  /**
   * With `voiceWorkers`: a module (URL) whose `createVoice(logger)` builds each worker's
   * speech. Default: from the environment, like `voice`. Needed when `voice` is given as
   * provider instances, which cannot cross processes.
   */
  voiceModule?: string;
  /**
   * Calls past these limits are refused at the door, so the calls already up keep their
   * quality (`--max-voice-sessions`, `--max-voice-load`): `maxSessions` counts the calls of
   * every voice path together, `maxLoad` is the event-loop utilization (0-1) of the process
   * that would carry the call. Default: no limit. See docs/deployment.md, "Capacity".
   */
  voiceAdmission?: VoiceAdmissionOptions;
  /**
   * The console's realtime mode (speech-to-speech): default from the environment (OpenAI, Gemini,
   * xAI or ElevenLabs when its key is set), false for none.
   */
  realtime?: ServerRealtime | false;
  /**
   * Export traces and metrics over OTLP/HTTP (`--otel`), configured by the standard `OTEL_*`
   * environment variables (docs/observability.md). The SDK is loaded only then.
   */
  otel?: boolean;
  /** Answer phone calls over SIP (`--sip PORT`) with the same speech engines (needs `voice`). */
  sip?: SipServeOptions;
  /**
   * ICE for the WebRTC talk paths (/rtc, /rtc-realtime): STUN/TURN servers (`--ice-server`,
   * `ROOMKIT_ICE_SERVERS`) and TURN credentials, static or minted from a shared secret. The
   * server's peers use them and browsers get them from `GET /rtc` (docs/webrtc.md).
   */
  webrtc?: ServeWebRTCOptions;
  logger?: Logger;
}

export interface RunningServer {
  kit: RoomKit;
  http: Server;
  /** Where the server answers (a loopback address when bound to every interface). */
  url: string;
  /** The console token: every endpoint accepts it as the `admin` identity with every room. */
  token: string;
  /** The console's address carrying the token: what `roomkit serve` prints. */
  consoleUrl: string;
  /** False under `--no-auth`. */
  authRequired: boolean;
  /** What `/api/info` shows: agent, voice, store, version. */
  info: ServerInfo;
  /** A signed user token (what `roomkit token` prints). */
  issueToken(opts: IssueTokenOptions): Promise<string>;
  /** The voice worker processes when `voiceWorkers` was asked for. */
  voiceWorkers?: {
    readonly pids: number[];
    readonly sessionsPerWorker: number[];
    /** Each worker's CPU share, event-loop delay p99 and memory since the previous call. */
    stats(): Promise<VoiceWorkerStats[]>;
  };
  /** The SIP endpoint when `sip` was asked for (and speech is available). */
  sip?: AttachedSip;
  /** Stop accepting, let in-flight work finish, close sockets and the store. */
  close(): Promise<void>;
}

export interface ServerInfo {
  agent: { name: string; model: string };
  /** `path`: the WebSocket voice endpoint; `rtcPath`: WebRTC signalling (the console's default). */
  voice: { label: string; path: string; rtcPath?: string } | null;
  /** The realtime (speech-to-speech) model and its WebRTC signalling path, when one is configured. */
  realtime?: { provider: string; rtcPath: string } | null;
  /** SMS, WhatsApp, email and webhook channels, with their webhook paths. */
  textChannels?: TextChannelInfo[];
  /** Phone numbers through carriers' media streams (Twilio, Telnyx, Plivo, Vonage, Exotel). */
  carriers?: CarrierInfo[];
  store: string;
  /** This process in its cluster, when it runs in one. */
  cluster?: { processId: string; pubsub: string };
  version: string;
}

export const DEFAULT_ROOM = 'lobby';
export const AGENT_CHANNEL_ID = 'agent';
export const WEB_CHANNEL_ID = 'web';

/** Everything `roomkit serve` runs: one kit, HTTP API + console, WebSocket clients, an agent. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const host = opts.host ?? '127.0.0.1';
  const logger = opts.logger ?? createLogger();
  // Checked before anything opens: a TURN URL without credentials would fail in every browser.
  const ice = webrtcIceOptions(opts.webrtc);
  // Before the kit: its metrics use the meter provider registered when it is created.
  const otel = opts.otel ? await startOtel(logger) : undefined;
  const store = opts.store ?? (await openSqlite(opts.dbPath ?? './roomkit.db'));
  // One person across SMS, WhatsApp, email and calls: text channels route by it.
  const contacts = new ContactIdentityResolver();
  // In a cluster the console token is signed with the shared secret, so it works on every process.
  const token = opts.token ?? (opts.pubsub ? await clusterConsoleToken(opts.secret) : undefined);
  const kit = new RoomKit({
    store,
    logger,
    identityResolver: contacts,
    // The console's inspector shows each recent event's hook decisions and deliveries.
    eventTraces: true,
    pubsub: opts.pubsub,
    cluster: opts.cluster,
  });
  contacts.observe(kit);
  logRoomLifecycle(kit);
  // Voice sessions, levels, interim transcripts and turn latencies, live, for the console.
  const voiceFeed = new VoiceFeed(kit, kit.logger);
  const auth = new ServerAuth({
    auth: opts.auth,
    token,
    secret: opts.secret,
    dbPath: opts.store ? undefined : (opts.dbPath ?? './roomkit.db'),
    logger: kit.logger,
  });
  const guard = new RequestGuard({
    boundHost: host,
    allowHosts: opts.allowHosts,
    allowOrigins: opts.allowOrigins,
  });
  const provider = opts.aiProvider ?? (await aiProviderFromEnv());
  const agent = new AIChannel(AGENT_CHANNEL_ID, {
    provider,
    systemPrompt: opts.systemPrompt ?? 'You are a helpful assistant in a chat room. Keep answers short.',
  });
  const authenticate = async (req: IncomingMessage, token: string | undefined) => {
    const identity = await auth.identify(token);
    // WebSocket connections (/ws, /voice) are worth a line each; signalling requests only at debug.
    const at = req.headers.upgrade ? 'info' : 'debug';
    const path = redactUrl(req.url);
    if (identity) kit.logger[at]({ path, userId: identity.userId }, 'client connected');
    else kit.logger.info({ path }, 'refused a client without a valid token');
    return identity ? { userId: identity.userId, rooms: identity.rooms } : null;
  };
  const ws = new WebSocketChannel(WEB_CHANNEL_ID, { authenticate });
  kit.registerChannel(agent);
  kit.registerChannel(ws);
  const voice = opts.voice === false ? undefined : (opts.voice ?? (await voiceFromEnv(kit.logger)));
  if (voice && opts.voiceWorkers && opts.voice && !opts.voiceModule) {
    throw new ValidationError(
      'voiceWorkers with voice given as providers needs voiceModule (they cannot cross processes)',
    );
  }
  // One set of limits for every voice path: a call is a call, whichever way it came.
  const admission = new VoiceAdmission(opts.voiceAdmission ?? {}, kit.logger);
  const admit = admission.limited ? admission : undefined;
  const voiceWorkers =
    voice && opts.voiceWorkers
      ? await attachVoiceWorkers(kit, {
          workers: opts.voiceWorkers,
          voiceModule: opts.voiceModule,
          authenticate,
          admission: admit,
        })
      : undefined;
  const voiceBackend =
    voice && !voiceWorkers ? attachVoice(kit, voice, authenticate, { admission: admit }).backend : undefined;
  // The same speech over WebRTC (/rtc), the console's default; the token authenticates offers too.
  const webrtc = voice
    ? attachWebRTCVoice(kit, voice, { authenticate, host, backend: { ...ice, admission: admit } })
    : undefined;
  // A speech-to-speech model on /rtc-realtime when its key is set: the console's realtime mode.
  const realtimeModel = opts.realtime === false ? undefined : (opts.realtime ?? (await realtimeFromEnv()));
  const realtime = realtimeModel
    ? attachRealtimeVoice(kit, realtimeModel, {
        authenticate,
        host,
        systemPrompt: opts.systemPrompt,
        backend: { ...ice, admission: admit },
      })
    : undefined;

  const createRoom = async (roomId?: string, timers?: RoomTimers) => {
    const room = await kit.createRoom({ roomId, timers });
    await kit.attachChannel(room.id, ws.id);
    await kit.attachChannel(room.id, agent.id, { category: ChannelCategory.INTELLIGENCE });
    return room;
  };
  // Processes of a cluster start together: another may create the lobby first.
  if (!(await kit.getRoom(DEFAULT_ROOM))) await createRoom(DEFAULT_ROOM).catch(lobbyExists(kit));
  const sip =
    voice && opts.sip
      ? await attachSipVoice(kit, voice, { host, ...opts.sip, createRoom, admission: admit })
      : undefined;
  // After a crash: what was committed but not yet delivered or answered is re-driven now,
  // not when someone next writes in its room.
  // SMS, WhatsApp, email and webhook channels the environment configures, at /webhooks/<id>.
  const text = await attachTextChannels(kit, {
    createRoom,
    contacts,
    dbPath: opts.store ? undefined : (opts.dbPath ?? './roomkit.db'),
    logger: kit.logger,
  });
  // Phone numbers through the carriers the environment configures, at /carriers/<carrier>.
  const carriers: AttachedCarriers | undefined = voice
    ? await attachCarrierVoice(kit, voice, { createRoom, contacts, logger: kit.logger, admission: admit })
    : undefined;
  await kit.recover();

  const info: ServerInfo = {
    agent: { name: provider.name, model: provider.model },
    voice: voice ? { label: voice.label, path: '/voice', rtcPath: webrtc ? WEBRTC_PATH : undefined } : null,
    realtime: realtimeModel ? { provider: realtimeModel.label, rtcPath: REALTIME_PATH } : null,
    textChannels: text.info,
    carriers: carriers?.info,
    store: store.name,
    cluster: kit.cluster ? { processId: kit.cluster.id, pubsub: opts.pubsub!.name } : undefined,
    version: '0.1.0',
  };
  const routes = {
    kit,
    info,
    createRoom,
    viewChannelId: ws.id,
    inspector: { kit, viewChannelId: ws.id, voice: voiceFeed },
    identify: (req: IncomingMessage, url: URL) => auth.identifyRequest(req, url),
  };
  const upgrades: Record<string, (req: IncomingMessage, socket: Duplex, head: Buffer, url: URL) => void> = {
    [ws.path]: (req, socket, head, url) => ws.handleUpgrade(req, socket, head, url),
  };
  if (voiceBackend) upgrades[voiceBackend.path] = (...args) => voiceBackend.handleUpgrade(...args);
  if (voiceWorkers) upgrades[voiceWorkers.path] = (...args) => voiceWorkers.handleUpgrade(...args);

  const http = createServer();
  // Slow or silent clients must not hold sockets forever.
  http.headersTimeout = 15_000;
  http.requestTimeout = 30_000;
  // A connection with nothing moving either way for 2 minutes (a client that stopped reading
  // our response) is closed. Upgraded WebSockets turn this off and have their own heartbeat.
  http.timeout = 120_000;
  const inflight = new Set<Promise<void>>();
  const perConnection = new PerConnectionQueue();
  http.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const work = perConnection
      .run(req, res, () => serveRequest(req, res))
      .finally(() => inflight.delete(work));
    inflight.add(work);
  });
  const serveRequest = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    res.once('finish', () =>
      kit.logger.debug(
        {
          method: req.method,
          path: redactUrl(req.url),
          status: res.statusCode,
          ms: Math.round(performance.now() - started),
        },
        'http request',
      ),
    );
    try {
      const url = requestUrl(req);
      if (!url) throw new HttpError(400, 'bad_request', 'malformed request target');
      if (url.pathname === '/healthz')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      // Vendor webhooks authenticate by the vendor's signature, not by the roomkit token.
      if (await text.handle(req, res)) return;
      if (carriers && (await carriers.handle(req, res))) return;
      const refused = guard.check(req);
      if (refused) throw new HttpError(refused.status, refused.code, refused.message);
      if (corsPreflight(req, res, guard)) return;
      // WebRTC signalling and the browser library (/client/*.js), after the Host/Origin checks.
      const mine = webrtc?.handle(req, res) || realtime?.handle(req, res) || handleClientLibrary(req, res);
      if (mine) return await mine;
      await handleHttp(req, res, url, routes);
    } catch (error) {
      if (error instanceof HttpError) return sendError(res, error);
      // The client went away mid-request. (Not `req.destroyed`: a request whose body was read to
      // the end is destroyed too, and a POST failing after that would never be answered.)
      if (res.destroyed || req.socket.destroyed) return;
      if (isUnavailable(error) && !res.headersSent) {
        // The database (or Redis) is down: say so, typed and retryable, rather than a bare 500.
        res.setHeader('retry-after', '1');
        return json(res, 503, { error: 'the store is unavailable; try again', code: 'store_unavailable' });
      }
      kit.logger.error({ err: errorMessage(error), url: redactUrl(req.url) }, 'http request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error', code: 'internal' }));
    }
  };
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = requestUrl(req);
    if (!url) return refuseUpgrade(socket, 400);
    // A carrier's media stream authenticates like its webhooks (signature, one-time URL).
    if (carriers?.ownsUpgrade(url)) return carriers.handleUpgrade(req, socket, head, url);
    const refused = guard.check(req);
    if (refused) return refuseUpgrade(socket, refused.status);
    const route = upgrades[url.pathname];
    if (!route) return refuseUpgrade(socket, 404);
    route(req, socket, head, url);
  });

  try {
    await listen(http, opts.port ?? 8080, host);
  } catch (error) {
    await sip?.close();
    await carriers?.close();
    await voiceWorkers?.close();
    voiceFeed.close();
    await kit.close();
    admission.close();
    await otel?.shutdown();
    throw error;
  }
  const { port, address } = http.address() as AddressInfo;
  const shown = address === '0.0.0.0' ? '127.0.0.1' : address === '::' ? '::1' : address;
  const url = `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
  kit.logger.info(
    {
      url,
      store: info.store,
      agent: `${info.agent.name}/${info.agent.model}`,
      voice: info.voice?.label ?? null,
      auth: auth.required,
      otel: otel ? { traces: otel.traces, metrics: otel.metrics } : false,
      // URLs and the credential scheme only: credentials never reach a log line.
      ...describeIce(opts.webrtc),
    },
    'roomkit serve listening',
  );
  let closing: Promise<void> | undefined;
  return {
    kit,
    http,
    url,
    token: auth.consoleToken,
    consoleUrl: `${url}/?token=${encodeURIComponent(auth.consoleToken)}`,
    authRequired: auth.required,
    info,
    issueToken: (o) => auth.issue(o),
    sip,
    voiceWorkers,
    close() {
      closing ??= (async () => {
        http.close(); // stop accepting
        http.closeIdleConnections();
        // Requests already running (a room being created) finish, within a deadline.
        await Promise.race([Promise.allSettled([...inflight]), delay(5_000)]);
        await sip?.close(); // calls get their BYE while the channels still listen
        await carriers?.close(); // carrier calls get their REST hang-up, likewise
        await voiceWorkers?.close(); // worker calls end while the kit still hears their hooks
        voiceFeed.close();
        await kit.close(); // channels finish in-flight frames, close their sockets, then the store
        await webrtc?.backend.close(); // peers that were never bound to a session
        await realtime?.transport.close();
        http.closeAllConnections();
        admission.close();
        await otel?.shutdown(); // the last spans and metrics are exported
      })();
      return closing;
    },
  };
}

/** CORS for explicitly allowed origins (`--allow-origin`), so their pages can call the API. */
function corsPreflight(req: IncomingMessage, res: ServerResponse, guard: RequestGuard): boolean {
  const origin = req.headers.origin;
  if (!origin || !guard.isAllowedCrossOrigin(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res
    .writeHead(204, {
      'access-control-allow-methods': 'GET, POST, PUT, PATCH',
      'access-control-allow-headers': 'authorization, content-type',
      'access-control-max-age': '600',
    })
    .end();
  return true;
}

/** Binding errors as one clear line: a busy port is the common one. */
function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      const known: Record<string, string> = {
        EADDRINUSE: `port ${port} on ${host} is already in use (pick another with --port)`,
        EACCES: `no permission to listen on ${where} (ports below 1024 need privileges)`,
        EADDRNOTAVAIL: `cannot listen on ${where}: not an address of this machine`,
        ENOTFOUND: `cannot listen on ${where}: unknown host name`,
      };
      const message = error.code ? known[error.code] : undefined;
      reject(message ? new ServeError(message, error.code!.toLowerCase(), error) : error);
    });
    http.listen(port, host, () => resolve());
  });
}

/** A start-up failure the CLI prints as one line, without a stack (`code`: e.g. 'eaddrinuse'). */
export class ServeError extends RoomKitError {
  constructor(message: string, code: string, cause?: unknown) {
    super(message, { code, cause });
  }
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/** A failure to create the lobby is fine if the lobby exists now (created by another process). */
function lobbyExists(kit: RoomKit): (error: unknown) => Promise<void> {
  return async (error) => {
    if (!(await kit.getRoom(DEFAULT_ROOM))) throw error;
  };
}

function isUnavailable(error: unknown): boolean {
  return (
    error instanceof RoomKitError &&
    (error.code === 'store_unavailable' || error.code === 'pubsub_unavailable')
  );
}

async function openSqlite(path: string): Promise<ConversationStore> {
  const { SqliteStore } = await import('../store/sqlite/index.js');
  return new SqliteStore({ path });
}
