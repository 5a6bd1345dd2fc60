import type { IncomingMessage } from 'node:http';
import { networkInterfaces, hostname as osHostname } from 'node:os';

/** Why a request was refused before any route saw it. */
export interface GuardRefusal {
  status: 400 | 403;
  code: 'bad_request' | 'forbidden_host' | 'forbidden_origin';
  message: string;
}

export interface RequestGuardOptions {
  /** The address the server is bound to (its own names are always allowed). */
  boundHost: string;
  /** More Host names to answer (a reverse proxy's public name); '*' answers any. */
  allowHosts?: readonly string[];
  /** Browser origins allowed besides the server's own (`https://app.example.com`); '*' allows any. */
  allowOrigins?: readonly string[];
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/**
 * Host and Origin checks for every request and upgrade of `roomkit serve`.
 * - Host: DNS rebinding points an attacker's name at 127.0.0.1, so a page on evil.example
 *   reaches a loopback server with `Host: evil.example`. Only the bound address, loopback
 *   names and explicitly allowed hosts are answered (when bound to every interface: the
 *   machine's addresses and host name too).
 * - Origin: a browser page on another site may open our WebSocket or post to the API; only
 *   the same origin and explicitly allowed ones may. Requests without Origin (curl, SDKs)
 *   pass: they still need a token.
 */
export class RequestGuard {
  private readonly hosts = new Set<string>();
  private readonly anyHost: boolean;
  private readonly origins: Set<string>;
  private readonly anyOrigin: boolean;

  constructor(opts: RequestGuardOptions) {
    for (const h of [...LOOPBACK, opts.boundHost, ...(opts.allowHosts ?? [])])
      this.hosts.add(normalizeHost(h));
    if (opts.boundHost === '0.0.0.0' || opts.boundHost === '::' || opts.boundHost === '') {
      for (const list of Object.values(networkInterfaces())) {
        for (const iface of list ?? []) this.hosts.add(normalizeHost(iface.address));
      }
      this.hosts.add(normalizeHost(osHostname()));
    }
    this.anyHost = this.hosts.has('*');
    this.anyOrigin = (opts.allowOrigins ?? []).includes('*');
    this.origins = new Set((opts.allowOrigins ?? []).filter((o) => o !== '*').map(normalizeOrigin));
  }

  /** An origin is acceptable for CORS responses (an explicitly allowed one). */
  isAllowedCrossOrigin(origin: string): boolean {
    return this.anyOrigin || this.origins.has(normalizeOrigin(origin));
  }

  check(req: IncomingMessage): GuardRefusal | undefined {
    const host = req.headers.host;
    if (!host) return { status: 400, code: 'bad_request', message: 'missing Host header' };
    const name = hostName(host);
    if (name === undefined) return { status: 400, code: 'bad_request', message: 'malformed Host header' };
    if (!this.anyHost && !this.hosts.has(name)) {
      return {
        status: 403,
        code: 'forbidden_host',
        message: `host ${name.slice(0, 100)} is not served here (allow it with --allow-host)`,
      };
    }
    const origin = req.headers.origin;
    if (origin === undefined) return undefined;
    if (sameOrigin(origin, host) || this.isAllowedCrossOrigin(origin)) return undefined;
    return {
      status: 403,
      code: 'forbidden_origin',
      message: `origin ${origin.slice(0, 100)} is not allowed (allow it with --allow-origin)`,
    };
  }
}

/** `example.com:8080` -> `example.com`, `[::1]:80` -> `::1`; undefined when malformed. */
function hostName(host: string): string | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]/@]+))(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return undefined;
  return normalizeHost(m[1] ?? m[2]!);
}

function normalizeHost(host: string): string {
  return host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
}

function normalizeOrigin(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    return origin.trim().toLowerCase();
  }
}

/** The page that sent the request came from this very server (scheme aside: TLS may end at a proxy). */
function sameOrigin(origin: string, host: string): boolean {
  if (origin === 'null') return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false;
  }
}
