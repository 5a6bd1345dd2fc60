import { parseArgs } from 'node:util';
import type { RegistrationOptions } from '../backends/sip/registration.js';
import { isTurnUrl } from '../backends/webrtc/turn-credentials.js';
import type { IceServer } from '../backends/webrtc/webrtc-protocol.js';
import type { VoiceAdmissionOptions } from '../voice/admission.js';
import { ROOM_ID, USER_ID } from './auth/tokens.js';
import { iceServerProblem, iceUrlProblem, type ServeWebRTCOptions } from './webrtc-ice.js';

export const USAGE = `roomkit — multi-channel conversation rooms

Usage:
  roomkit serve [options]        HTTP + WebSocket server with the web console
  roomkit token --user ID --rooms A,B|'*' [--expires 30d] [--db PATH]
                                 print a signed token for one user and some rooms
  roomkit --help | --version

serve options:
  --port N             port to listen on (default 8080; 0 picks a free one)        env PORT
  --host ADDR          address to bind (default 127.0.0.1)                         env HOST
  --db PATH            SQLite file (default ./roomkit.db); its secret is PATH.secret env ROOMKIT_DB
  --store URL          PostgreSQL instead of SQLite: postgres://user@host:5432/db  env ROOMKIT_STORE
  --pubsub URL         run as one process of a cluster: redis://host:6379; start every
                       process with the same --store, --pubsub and ROOMKIT_SECRET
                       (docs/cluster.md)                                   env ROOMKIT_PUBSUB
  --token TOKEN        console token instead of a random one (16+ characters)     env ROOMKIT_TOKEN
  --no-auth            no token needed: anyone who reaches the server is a guest
                       in every room (logged loudly; for local demos only)
  --allow-origin URL   a browser origin allowed besides the server's own (repeatable; '*' any)
  --allow-host NAME    a Host name answered besides the bound address and localhost,
                       e.g. a reverse proxy's public name (repeatable; '*' any)
  --sip PORT           answer phone calls over SIP (UDP and TCP) on PORT: a call to
                       sip:ROOM@host joins that room, others the lobby      env ROOMKIT_SIP_PORT
  --sip-registrar URI  with --sip: register to a PBX or SIP trunk (sip:pbx.example.com,
                       sip:10.0.0.5:5060;transport=tcp) so calls to its number reach this
                       server                                          env ROOMKIT_SIP_REGISTRAR
  --sip-user NAME      the account to register (its password from the environment only:
                       ROOMKIT_SIP_PASSWORD)                            env ROOMKIT_SIP_USERNAME
  --voice-workers N    run the WebSocket voice calls in N worker processes, so voice
                       uses every core (the kit stays in the main process; default 0:
                       calls run in the main process)              env ROOMKIT_VOICE_WORKERS
  --max-voice-sessions N  refuse calls past N at once, every voice path together (HTTP
                       503, SIP 503, the carrier's reject): the calls up keep their
                       quality; measure N with npm run bench -- voice
                                                            env ROOMKIT_MAX_VOICE_SESSIONS
  --max-voice-load F   refuse new calls while the event loop that would carry them was
                       busier than F (0-1) over the last second      env ROOMKIT_MAX_VOICE_LOAD
  --ice-server URL     a STUN or TURN server for the WebRTC talk path, used by the server's
                       peers and handed to browsers: stun:HOST:3478, turn:HOST:3478?transport=udp,
                       turns:HOST:5349 (repeatable or a comma list)      env ROOMKIT_ICE_SERVERS
                       (the variable also takes a JSON array of RTCIceServer). TURN credentials
                       come from the environment only: ROOMKIT_TURN_USERNAME and
                       ROOMKIT_TURN_CREDENTIAL, or ROOMKIT_TURN_SECRET (coturn use-auth-secret:
                       each user gets credentials that expire, ROOMKIT_TURN_TTL seconds, 86400)
  --otel               export traces and metrics over OTLP/HTTP, configured by the
                       standard OTEL_* variables (OTEL_EXPORTER_OTLP_ENDPOINT...)
  -h, --help           this text

The agent is Anthropic when ANTHROPIC_API_KEY is set, OpenAI when OPENAI_API_KEY is set,
else a local rule-based agent. User tokens are signed with ROOMKIT_SECRET, else with a
secret kept beside the database. Logs: JSON on stderr, ROOMKIT_LOG_LEVEL (default info;
debug adds every HTTP request).
`;

/** Bad command-line input: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ServeCommand {
  command: 'serve';
  port: number;
  host: string;
  dbPath: string;
  token?: string;
  auth: boolean;
  allowOrigins: string[];
  allowHosts: string[];
  /** SIP port for phone calls (undefined: no SIP). */
  sipPort?: number;
  /** Register the SIP endpoint to a PBX or trunk (with `sipPort`). */
  sipRegistrar?: RegistrationOptions;
  /** Export OpenTelemetry traces and metrics (OTLP/HTTP, OTEL_* variables). */
  otel: boolean;
  /** Worker processes for the WebSocket voice calls (0: in the main process). */
  voiceWorkers: number;
  /** Calls past these are refused (`--max-voice-sessions`, `--max-voice-load`); none when empty. */
  voiceAdmission: VoiceAdmissionOptions;
  /** A PostgreSQL URL: the store instead of the SQLite file. */
  storeUrl?: string;
  /** A Redis URL: this process is one of a cluster. */
  pubsubUrl?: string;
  /** STUN/TURN for the WebRTC talk path (`--ice-server`, `ROOMKIT_ICE_SERVERS`, `ROOMKIT_TURN_*`). */
  webrtc?: ServeWebRTCOptions;
}

export interface TokenCommand {
  command: 'token';
  user: string;
  rooms: string[] | '*';
  expires: string;
  dbPath: string;
}

export type Command = ServeCommand | TokenCommand | { command: 'help' } | { command: 'version' };

const SERVE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  db: { type: 'string' },
  token: { type: 'string' },
  'no-auth': { type: 'boolean' },
  'allow-origin': { type: 'string', multiple: true },
  'allow-host': { type: 'string', multiple: true },
  sip: { type: 'string' },
  'sip-registrar': { type: 'string' },
  'sip-user': { type: 'string' },
  'voice-workers': { type: 'string' },
  'max-voice-sessions': { type: 'string' },
  'max-voice-load': { type: 'string' },
  otel: { type: 'boolean' },
  store: { type: 'string' },
  pubsub: { type: 'string' },
  'ice-server': { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
} as const;

const TOKEN_OPTIONS = {
  user: { type: 'string' },
  rooms: { type: 'string' },
  expires: { type: 'string' },
  db: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The command line as a typed command; anything unknown, missing or malformed is a UsageError. */
export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): Command {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('a command is required');
  if (first === '--help' || first === '-h' || first === 'help') return { command: 'help' };
  if (first === '--version' || first === '-v') return { command: 'version' };
  if (first === 'serve') return parseServe(rest, env);
  if (first === 'token') return parseToken(rest, env);
  throw new UsageError(first.startsWith('-') ? `unknown option: ${first}` : `unknown command: ${first}`);
}

function parse<O extends typeof SERVE_OPTIONS | typeof TOKEN_OPTIONS>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    // Node's messages name the option ("Unknown option '--prot'"); keep them, drop the code.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, '.'));
  }
}

function parseServe(args: string[], env: NodeJS.ProcessEnv): ServeCommand | { command: 'help' } {
  const v = parse(args, SERVE_OPTIONS);
  if (v.help) return { command: 'help' };
  const token = nonEmpty('--token', v.token) ?? nonEmpty('ROOMKIT_TOKEN', env.ROOMKIT_TOKEN);
  if (token !== undefined && token.length < 16) {
    throw new UsageError(
      `${v.token !== undefined ? '--token' : 'ROOMKIT_TOKEN'} must be at least 16 characters`,
    );
  }
  if (token !== undefined && /\s/.test(token)) throw new UsageError('the token must not contain spaces');
  nonEmpty('ROOMKIT_SECRET', env.ROOMKIT_SECRET);
  const { storeUrl, pubsubUrl } = clusterUrls(v, env);
  const command: ServeCommand = {
    command: 'serve',
    storeUrl,
    pubsubUrl,
    port: portOf(nonEmpty('--port', v.port) ?? nonEmpty('PORT', env.PORT)),
    host: nonEmpty('--host', v.host) ?? nonEmpty('HOST', env.HOST) ?? '127.0.0.1',
    dbPath: nonEmpty('--db', v.db) ?? nonEmpty('ROOMKIT_DB', env.ROOMKIT_DB) ?? './roomkit.db',
    token,
    auth: !v['no-auth'],
    otel: v.otel === true,
    voiceWorkers: workerCount(
      nonEmpty('--voice-workers', v['voice-workers']) ??
        nonEmpty('ROOMKIT_VOICE_WORKERS', env.ROOMKIT_VOICE_WORKERS),
    ),
    voiceAdmission: voiceAdmissionOf(v, env),
    allowOrigins: (v['allow-origin'] ?? []).map(originOf),
    allowHosts: (v['allow-host'] ?? []).map(hostOf),
    sipPort: optionalPort(
      '--sip',
      nonEmpty('--sip', v.sip) ?? nonEmpty('ROOMKIT_SIP_PORT', env.ROOMKIT_SIP_PORT),
    ),
    webrtc: iceOf(v['ice-server'], env),
  };
  const sipRegistrar = registrarOf(
    nonEmpty('--sip-registrar', v['sip-registrar']) ??
      nonEmpty('ROOMKIT_SIP_REGISTRAR', env.ROOMKIT_SIP_REGISTRAR),
    nonEmpty('--sip-user', v['sip-user']) ?? nonEmpty('ROOMKIT_SIP_USERNAME', env.ROOMKIT_SIP_USERNAME),
    env.ROOMKIT_SIP_PASSWORD,
  );
  if (sipRegistrar && command.sipPort === undefined)
    throw new UsageError('--sip-registrar needs --sip PORT (the endpoint that registers)');
  return sipRegistrar ? { ...command, sipRegistrar } : command;
}

/**
 * The SIP registration from --sip-registrar, --sip-user and ROOMKIT_SIP_PASSWORD. The password
 * is read from the environment only (a command line is visible to every user of the machine)
 * and never quoted in an error.
 */
function registrarOf(
  registrar: string | undefined,
  username: string | undefined,
  password: string | undefined,
): RegistrationOptions | undefined {
  if (registrar === undefined) {
    if (username !== undefined || password)
      throw new UsageError('--sip-user and ROOMKIT_SIP_PASSWORD need --sip-registrar URI');
    return undefined;
  }
  if (!/^sips?:[^\s@]+$/.test(registrar))
    throw new UsageError(
      `--sip-registrar: a SIP URI like sip:pbx.example.com or sip:10.0.0.5:5060;transport=tcp (got ${registrar})`,
    );
  if (username === undefined) throw new UsageError('--sip-registrar needs --sip-user NAME');
  if (!password) throw new UsageError('--sip-registrar needs the account password in ROOMKIT_SIP_PASSWORD');
  return { registrar, username, password };
}

function parseToken(args: string[], env: NodeJS.ProcessEnv): TokenCommand | { command: 'help' } {
  const v = parse(args, TOKEN_OPTIONS);
  if (v.help) return { command: 'help' };
  const user = nonEmpty('--user', v.user);
  if (!user) throw new UsageError('roomkit token needs --user ID');
  if (!USER_ID.test(user)) throw new UsageError(`--user: 1-64 letters, digits or _ . @ - (got ${user})`);
  const roomList = nonEmpty('--rooms', v.rooms);
  if (!roomList)
    throw new UsageError(`roomkit token needs --rooms (room ids separated by commas, or '*' for every room)`);
  const rooms = roomList === '*' ? '*' : roomList.split(',').map((r) => r.trim());
  if (rooms !== '*') {
    const bad = rooms.find((r) => !ROOM_ID.test(r));
    if (bad !== undefined) throw new UsageError(`--rooms: invalid room id ${JSON.stringify(bad)}`);
  }
  const expires = nonEmpty('--expires', v.expires) ?? '30d';
  if (expires !== 'never' && !/^\d{1,6}[smhdw]$/.test(expires)) {
    throw new UsageError(`--expires: like 30d, 12h, 15m, 2w, or never (got ${expires})`);
  }
  nonEmpty('ROOMKIT_SECRET', env.ROOMKIT_SECRET);
  return {
    command: 'token',
    user,
    rooms,
    expires,
    dbPath: nonEmpty('--db', v.db) ?? nonEmpty('ROOMKIT_DB', env.ROOMKIT_DB) ?? './roomkit.db',
  };
}

/**
 * `--store` (PostgreSQL) and `--pubsub` (Redis). A pub/sub without a shared database would make
 * processes that cannot see each other's rooms, so it needs --store; --db and --store exclude
 * each other (both name the store).
 */
function clusterUrls(
  v: { store?: string; pubsub?: string; db?: string },
  env: NodeJS.ProcessEnv,
): { storeUrl?: string; pubsubUrl?: string } {
  const storeUrl = nonEmpty('--store', v.store) ?? nonEmpty('ROOMKIT_STORE', env.ROOMKIT_STORE);
  const pubsubUrl = nonEmpty('--pubsub', v.pubsub) ?? nonEmpty('ROOMKIT_PUBSUB', env.ROOMKIT_PUBSUB);
  if (storeUrl !== undefined && !/^postgres(ql)?:\/\/[^\s]+$/.test(storeUrl)) {
    throw new UsageError('--store: a PostgreSQL URL like postgres://user@host:5432/db');
  }
  if (pubsubUrl !== undefined && !/^rediss?:\/\/[^\s]+$/.test(pubsubUrl)) {
    throw new UsageError('--pubsub: a Redis URL like redis://host:6379');
  }
  if (pubsubUrl !== undefined && storeUrl === undefined) {
    throw new UsageError(
      '--pubsub needs --store postgres://...: the processes of a cluster share one database',
    );
  }
  if (storeUrl !== undefined && v.db !== undefined)
    throw new UsageError('--db and --store both name the store: pick one');
  return { storeUrl, pubsubUrl };
}

/** Set but empty (`--token=`, `--token ""`, `ROOMKIT_TOKEN=`) is an error, never "unset". */
function nonEmpty(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new UsageError(`${name} is empty`);
  return value;
}

function portOf(value: string | undefined): number {
  if (value === undefined) return 8080;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`invalid port: ${value} (0-65535)`);
  return port;
}

function workerCount(value: string | undefined): number {
  if (value === undefined) return 0;
  const n = /^\d{1,2}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= 64))
    throw new UsageError(`--voice-workers: a number of processes, 0-64 (got ${value})`);
  return n;
}

function voiceAdmissionOf(
  v: { 'max-voice-sessions'?: string; 'max-voice-load'?: string },
  env: NodeJS.ProcessEnv,
): VoiceAdmissionOptions {
  const sessions =
    nonEmpty('--max-voice-sessions', v['max-voice-sessions']) ??
    nonEmpty('ROOMKIT_MAX_VOICE_SESSIONS', env.ROOMKIT_MAX_VOICE_SESSIONS);
  const load =
    nonEmpty('--max-voice-load', v['max-voice-load']) ??
    nonEmpty('ROOMKIT_MAX_VOICE_LOAD', env.ROOMKIT_MAX_VOICE_LOAD);
  const out: VoiceAdmissionOptions = {};
  if (sessions !== undefined) {
    const n = /^\d{1,7}$/.test(sessions) ? Number(sessions) : Number.NaN;
    if (!(n >= 1))
      throw new UsageError(`--max-voice-sessions: a number of calls, 1 or more (got ${sessions})`);
    out.maxSessions = n;
  }
  if (load !== undefined) {
    const f = /^(0(\.\d+)?|1(\.0+)?|\.\d+)$/.test(load) ? Number(load) : Number.NaN;
    if (!(f > 0 && f <= 1))
      throw new UsageError(
        `--max-voice-load: a share of the event loop, above 0 and at most 1 (got ${load})`,
      );
    out.maxLoad = f;
  }
  return out;
}

function optionalPort(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new UsageError(`${name}: invalid port ${value} (0-65535)`);
  return port;
}

function originOf(value: string): string {
  if (value === '*') return value;
  try {
    const url = new URL(value);
    if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null') return url.origin;
  } catch {}
  throw new UsageError(`--allow-origin: not an origin like https://app.example.com (got ${value})`);
}

function hostOf(value: string): string {
  if (value === '*' || /^[\w.-]{1,253}$/.test(value) || /^\[?[0-9a-f:.]+\]?$/i.test(value)) return value;
  throw new UsageError(`--allow-host: not a host name (got ${value})`);
}

/**
 * `--ice-server` (repeatable, comma lists) or else `ROOMKIT_ICE_SERVERS` (comma list, or a JSON
 * array of RTCIceServer), with TURN credentials from the environment only (a command line is
 * visible to every user of the machine): ROOMKIT_TURN_USERNAME + ROOMKIT_TURN_CREDENTIAL, or
 * ROOMKIT_TURN_SECRET for coturn's REST scheme. Errors never quote a credential.
 */
function iceOf(flags: string[] | undefined, env: NodeJS.ProcessEnv): ServeWebRTCOptions | undefined {
  const user = nonEmpty('ROOMKIT_TURN_USERNAME', env.ROOMKIT_TURN_USERNAME);
  const credential = nonEmpty('ROOMKIT_TURN_CREDENTIAL', env.ROOMKIT_TURN_CREDENTIAL);
  const secret = nonEmpty('ROOMKIT_TURN_SECRET', env.ROOMKIT_TURN_SECRET);
  const ttl = nonEmpty('ROOMKIT_TURN_TTL', env.ROOMKIT_TURN_TTL);
  if ((user === undefined) !== (credential === undefined)) {
    throw new UsageError('ROOMKIT_TURN_USERNAME and ROOMKIT_TURN_CREDENTIAL go together');
  }
  if (secret !== undefined && user !== undefined) {
    throw new UsageError(
      'ROOMKIT_TURN_SECRET (credentials minted per user) and ROOMKIT_TURN_USERNAME/ROOMKIT_TURN_CREDENTIAL exclude each other',
    );
  }
  if (ttl !== undefined && secret === undefined)
    throw new UsageError('ROOMKIT_TURN_TTL needs ROOMKIT_TURN_SECRET');
  const ttlSeconds = ttl === undefined ? undefined : /^\d{1,7}$/.test(ttl) ? Number(ttl) : Number.NaN;
  if (ttlSeconds !== undefined && !(ttlSeconds >= 60 && ttlSeconds <= 2_592_000)) {
    throw new UsageError(`ROOMKIT_TURN_TTL: seconds, 60-2592000 (got ${ttl})`);
  }

  let servers: IceServer[] | undefined;
  if (flags !== undefined) servers = groupUrls(urlList('--ice-server', flags));
  else {
    const value = nonEmpty('ROOMKIT_ICE_SERVERS', env.ROOMKIT_ICE_SERVERS)?.trim();
    if (value?.startsWith('[')) servers = iceJson(value);
    else if (value !== undefined) servers = groupUrls(urlList('ROOMKIT_ICE_SERVERS', [value]));
  }
  const turnCredentials = user !== undefined || secret !== undefined;
  if (!servers) {
    if (turnCredentials)
      throw new UsageError('TURN credentials are set but no --ice-server / ROOMKIT_ICE_SERVERS');
    return undefined;
  }
  // Static credentials go on the TURN entries that have none of their own.
  if (user !== undefined) {
    for (const server of servers) {
      if (server.username === undefined && urlsOf(server).some(isTurnUrl)) {
        server.username = user;
        server.credential = credential;
      }
    }
  }
  const needy = servers.filter((s) => s.username === undefined && urlsOf(s).some(isTurnUrl));
  if (needy.length > 0 && secret === undefined) {
    throw new UsageError(
      `${urlsOf(needy[0]!).join(',')} needs TURN credentials: ROOMKIT_TURN_USERNAME and ROOMKIT_TURN_CREDENTIAL, or ROOMKIT_TURN_SECRET`,
    );
  }
  if (turnCredentials && !servers.some((s) => urlsOf(s).some(isTurnUrl))) {
    throw new UsageError('TURN credentials are set but none of the ICE servers is a turn: or turns: URL');
  }
  if (secret !== undefined && needy.length === 0) {
    throw new UsageError('ROOMKIT_TURN_SECRET is set but every TURN server already has its own credentials');
  }
  return { iceServers: servers, turnSecret: secret, turnCredentialTtlSeconds: ttlSeconds };
}

function urlList(name: string, values: string[]): string[] {
  const urls = values.flatMap((v) => nonEmpty(name, v)!.split(',')).map((u) => u.trim());
  for (const url of urls) {
    if (url === '') throw new UsageError(`${name}: an empty URL in the list`);
    const problem = iceUrlProblem(url);
    if (problem) throw new UsageError(`${name}: ${problem}`);
  }
  return urls;
}

/** STUN URLs in one entry, TURN URLs in another (which shares credentials): fewer entries, faster gathering. */
function groupUrls(urls: string[]): IceServer[] {
  const stun = urls.filter((u) => !isTurnUrl(u));
  const turn = urls.filter(isTurnUrl);
  const servers: IceServer[] = [];
  if (stun.length) servers.push({ urls: stun.length === 1 ? stun[0]! : stun });
  if (turn.length) servers.push({ urls: turn.length === 1 ? turn[0]! : turn });
  return servers;
}

function iceJson(value: string): IceServer[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    // Not the parser's message: it quotes the text around the error, which may be a credential.
    throw new UsageError(
      'ROOMKIT_ICE_SERVERS: not valid JSON (a JSON array of {urls, username?, credential?}, or URLs separated by commas)',
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new UsageError('ROOMKIT_ICE_SERVERS: a non-empty JSON array of {urls, username?, credential?}');
  }
  for (const entry of parsed) {
    // TURN entries without credentials may still get them from ROOMKIT_TURN_* (checked after).
    const problem = iceServerProblem(entry, true);
    if (problem) throw new UsageError(`ROOMKIT_ICE_SERVERS: ${problem}`);
  }
  return (parsed as IceServer[]).map((s) => ({ ...s }));
}

const urlsOf = (s: IceServer): string[] => (Array.isArray(s.urls) ? s.urls : [s.urls]);
