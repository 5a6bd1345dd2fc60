/**
 * SIP URIs (RFC 3261 section 19.1), name-addr values (From, To, Contact, Refer-To,
 * P-Asserted-Identity), Via and CSeq. Parsers return undefined instead of throwing: the
 * caller decides whether a bad value is worth a 400.
 */
export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  params: Params;
  headers?: string;
}

export interface NameAddr {
  displayName?: string;
  uri: SipUri;
  /** Header parameters after the address (tag, expires, q...). */
  params: Params;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

function parseParams(text: string): Params {
  const params: Params = {};
  for (const part of text.split(';')) {
    if (!part.trim()) continue;
    const eq = part.indexOf('=');
    if (eq < 0) params[part.trim().toLowerCase()] = null;
    else
      params[part.slice(0, eq).trim().toLowerCase()] = part
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
  }
  return params;
}

function formatParams(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}

function parseHostPort(text: string): { host: string; port?: number } | undefined {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\s;]+)(?::(\d{1,5}))?$/.exec(text);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port <= 0 || port > 65535)) return undefined;
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function parseUri(text: string): SipUri | undefined {
  const m = /^(sips?|tel):(.+)$/i.exec(text.trim());
  if (!m) return undefined;
  const scheme = m[1].toLowerCase() as SipUri['scheme'];
  let rest = m[2];
  if (scheme === 'tel') {
    const [number, ...params] = rest.split(';');
    return { scheme, user: number, host: '', params: parseParams(params.join(';')) };
  }
  let headers: string | undefined;
  const q = rest.indexOf('?');
  if (q >= 0) {
    headers = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let user: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    user = decodeURIComponentSafe(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    if (colon >= 0) password = userinfo.slice(colon + 1);
    if (!user) return undefined;
  }
  const semi = rest.indexOf(';');
  const hostport = parseHostPort(semi >= 0 ? rest.slice(0, semi) : rest);
  if (!hostport) return undefined;
  return {
    scheme,
    user,
    password,
    ...hostport,
    params: semi >= 0 ? parseParams(rest.slice(semi + 1)) : {},
    headers,
  };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function formatUri(u: SipUri): string {
  if (u.scheme === 'tel') return `tel:${u.user}${formatParams(u.params)}`;
  const userinfo = u.user ? `${encodeUser(u.user)}${u.password ? `:${u.password}` : ''}@` : '';
  const port = u.port ? `:${u.port}` : '';
  return `${u.scheme}:${userinfo}${formatHost(u.host)}${port}${formatParams(u.params)}${u.headers ? `?${u.headers}` : ''}`;
}

function encodeUser(user: string): string {
  // RFC 3261 user: unreserved and a few marks; everything else escaped.
  return user.replace(/[^A-Za-z0-9\-_.!~*'()&=+$,;?/]/g, (c) => encodeURIComponent(c));
}

export function parseNameAddr(text: string): NameAddr | undefined {
  let s = text.trim();
  let displayName: string | undefined;
  let uriText: string;
  let paramText = '';
  if (s.startsWith('"')) {
    const end = findClosingQuote(s);
    if (end < 0) return undefined;
    displayName = s.slice(1, end).replace(/\\(.)/g, '$1');
    s = s.slice(end + 1).trim();
  }
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    if (gt < 0) return undefined;
    if (displayName === undefined && lt > 0) displayName = s.slice(0, lt).trim() || undefined;
    uriText = s.slice(lt + 1, gt);
    paramText = s.slice(gt + 1);
  } else {
    // addr-spec: parameters after the URI belong to the header, not the URI.
    const semi = s.indexOf(';');
    uriText = semi >= 0 ? s.slice(0, semi) : s;
    paramText = semi >= 0 ? s.slice(semi) : '';
  }
  const uri = parseUri(uriText);
  if (!uri) return undefined;
  return { displayName, uri, params: parseParams(paramText.replace(/^\s*;/, '')) };
}

function findClosingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

export function formatNameAddr(a: NameAddr): string {
  const name = a.displayName ? `"${a.displayName.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${name}<${formatUri(a.uri)}>${formatParams(a.params)}`;
}

export function parseVia(text: string): Via | undefined {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?$/i.exec(text.trim());
  if (!m) return undefined;
  const hostport = parseHostPort(m[2]);
  if (!hostport) return undefined;
  return { transport: m[1].toUpperCase(), ...hostport, params: parseParams((m[3] ?? '').slice(1)) };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${formatHost(v.host)}${v.port ? `:${v.port}` : ''}${formatParams(v.params)}`;
}

export function parseCSeq(text: string): { seq: number; method: string } | undefined {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(text.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  return seq < 2 ** 31 ? { seq, method: m[2].toUpperCase() } : undefined;
}

/** The user part of a URI as a phone number or name (what identity resolvers match). */
export function addressOf(uri: SipUri): string {
  return uri.user ?? uri.host;
}
