import {
  DEFAULT_TURN_CREDENTIAL_TTL_SECONDS,
  isTurnUrl,
  withTurnRestCredentials,
} from '../backends/webrtc/turn-credentials.js';
import type { WebRTCVoiceBackendOptions } from '../backends/webrtc/webrtc-backend-options.js';
import type { IceServer } from '../backends/webrtc/webrtc-protocol.js';
import { ValidationError } from '../core/errors.js';

/**
 * `startServer({ webrtc })`: the ICE configuration of the served WebRTC paths (/rtc and
 * /rtc-realtime). The server's own peer connections use it, and browsers get it from
 * `GET /rtc` (what roomkit/client asks before its offer), so a console behind NAT can relay
 * its calls through TURN instead of falling back to the WebSocket.
 */
export interface ServeWebRTCOptions {
  /** STUN/TURN servers, as RTCPeerConnection takes them (default none: host candidates only). */
  iceServers?: IceServer[];
  /**
   * coturn's `use-auth-secret` / `static-auth-secret`: TURN entries without a username get
   * credentials minted from this secret (username `<expiry>:<user>`, credential
   * base64(HMAC-SHA1(secret, username))), per browser user and per server peer, so no
   * long-lived password is handed out.
   */
  turnSecret?: string;
  /** Lifetime of minted TURN credentials, seconds (default 86400). */
  turnCredentialTtlSeconds?: number;
  /** 'relay' sends the server's media only through TURN (default 'all'). */
  iceTransportPolicy?: 'all' | 'relay';
}

const HOST = String.raw`(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)`;
const ICE_URL = new RegExp(
  `^(stuns?:${HOST}(:\\d{1,5})?|turns?:${HOST}(:\\d{1,5})?(\\?transport=(udp|tcp))?)$`,
  'i',
);

/** Why `url` is not a STUN/TURN URL (RFC 7064/7065), or undefined when it is one. */
export function iceUrlProblem(url: string): string | undefined {
  const port = /:(\d+)(\?|$)/.exec(url.replace(/^\w+:/, ''))?.[1];
  if (!ICE_URL.test(url) || (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535))) {
    return `not a STUN/TURN URL like stun:stun.example.com:3478 or turn:turn.example.com:3478?transport=udp (got ${url})`;
  }
  return undefined;
}

/**
 * Why an ICE server entry is unusable, or undefined. Messages name the URLs only, never the
 * credential. `mintsTurn`: TURN entries without credentials will get REST credentials.
 */
export function iceServerProblem(server: unknown, mintsTurn: boolean): string | undefined {
  if (typeof server !== 'object' || server === null || Array.isArray(server)) {
    return 'each ICE server is an object like {"urls": "turn:host:3478", "username": "...", "credential": "..."}';
  }
  const entry = server as Record<string, unknown>;
  const unknown = Object.keys(entry).find((k) => !['urls', 'username', 'credential'].includes(k));
  if (unknown !== undefined)
    return `unknown ICE server field ${JSON.stringify(unknown)} (urls, username, credential)`;
  const urls = Array.isArray(entry.urls) ? entry.urls : [entry.urls];
  if (urls.length === 0 || urls.some((u) => typeof u !== 'string')) {
    return 'an ICE server needs "urls": a URL or a list of them';
  }
  for (const url of urls as string[]) {
    const problem = iceUrlProblem(url);
    if (problem) return problem;
  }
  for (const field of ['username', 'credential'] as const) {
    if (entry[field] !== undefined && (typeof entry[field] !== 'string' || entry[field] === '')) {
      return `${field} of ${urls.join(',')} must be a non-empty string`;
    }
  }
  const turn = (urls as string[]).some(isTurnUrl);
  const hasUser = entry.username !== undefined;
  const hasCredential = entry.credential !== undefined;
  if (hasUser !== hasCredential) return `${urls.join(',')} needs both a username and a credential`;
  if (turn && !hasUser && !mintsTurn) {
    return `${urls.join(',')} needs TURN credentials (a username and credential, or a TURN secret)`;
  }
  return undefined;
}

/** The URLs only, for logs and start-up lines (never the credentials). */
export function iceServerUrls(servers: readonly IceServer[] = []): string[] {
  return servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
}

/** What the start-up log line says about ICE: URLs and the credential scheme, never a credential. */
export function describeIce(opts: ServeWebRTCOptions | undefined): {
  iceServers?: string[];
  turnCredentials?: 'static' | 'minted from the shared secret';
} {
  const urls = iceServerUrls(opts?.iceServers);
  if (urls.length === 0) return {};
  if (!urls.some(isTurnUrl)) return { iceServers: urls };
  return {
    iceServers: urls,
    turnCredentials: opts?.turnSecret !== undefined ? 'minted from the shared secret' : 'static',
  };
}

/**
 * The backend options `startServer` gives its WebRTC voice backend and realtime transport.
 * Throws ValidationError for a configuration no browser could use (a TURN URL without
 * credentials, a secret with no TURN server to use it).
 */
export function webrtcIceOptions(opts: ServeWebRTCOptions | undefined): Partial<WebRTCVoiceBackendOptions> {
  if (!opts) return {};
  const servers = (opts.iceServers ?? []).map((s) => ({ ...s }));
  const secret = opts.turnSecret;
  if (secret !== undefined && secret === '') throw new ValidationError('webrtc.turnSecret is empty');
  for (const server of servers) {
    const problem = iceServerProblem(server, secret !== undefined);
    if (problem) throw new ValidationError(`webrtc.iceServers: ${problem}`);
  }
  const ttl = opts.turnCredentialTtlSeconds ?? DEFAULT_TURN_CREDENTIAL_TTL_SECONDS;
  if (!(Number.isInteger(ttl) && ttl >= 60)) {
    throw new ValidationError(`webrtc.turnCredentialTtlSeconds: whole seconds, at least 60 (got ${ttl})`);
  }
  const out: Partial<WebRTCVoiceBackendOptions> = {};
  if (opts.iceTransportPolicy) {
    if (opts.iceTransportPolicy !== 'all' && opts.iceTransportPolicy !== 'relay') {
      throw new ValidationError(`webrtc.iceTransportPolicy: 'all' or 'relay'`);
    }
    out.iceTransportPolicy = opts.iceTransportPolicy;
    // Relay only: no extra host candidate (the loopback one a local server adds).
    if (opts.iceTransportPolicy === 'relay') out.iceHostAddresses = [];
  }
  if (secret !== undefined) {
    if (!servers.some((s) => iceServerUrls([s]).some(isTurnUrl) && s.username === undefined)) {
      throw new ValidationError('webrtc.turnSecret is set but no TURN server without credentials uses it');
    }
    // Fresh credentials for every peer the server answers, and for every browser that asks.
    out.iceServers = () => withTurnRestCredentials(servers, secret, 'roomkit-server', ttl);
    out.clientIceServers = (auth) => withTurnRestCredentials(servers, secret, auth.userId, ttl);
  } else if (servers.length > 0) {
    out.iceServers = servers;
  }
  return out;
}
