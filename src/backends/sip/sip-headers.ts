/**
 * SIP headers (RFC 3261 section 7.3): case-insensitive names, compact forms expanded,
 * order kept, and comma-separated lists split outside quotes and angle brackets.
 */
const COMPACT: Record<string, string> = {
  i: 'Call-ID',
  f: 'From',
  t: 'To',
  v: 'Via',
  m: 'Contact',
  l: 'Content-Length',
  c: 'Content-Type',
  k: 'Supported',
  s: 'Subject',
  e: 'Content-Encoding',
  o: 'Event',
  r: 'Refer-To',
  b: 'Referred-By',
  x: 'Session-Expires',
  u: 'Allow-Events',
};

// Canonical spellings for names we write (others keep the sender's spelling).
const CANONICAL: Record<string, string> = Object.fromEntries(
  [
    'Via',
    'From',
    'To',
    'Call-ID',
    'CSeq',
    'Contact',
    'Max-Forwards',
    'Content-Type',
    'Content-Length',
    'Route',
    'Record-Route',
    'WWW-Authenticate',
    'Proxy-Authenticate',
    'Authorization',
    'Proxy-Authorization',
    'Expires',
    'Min-Expires',
    'Allow',
    'Supported',
    'Require',
    'Unsupported',
    'User-Agent',
    'Server',
    'Session-Expires',
    'Min-SE',
    'Refer-To',
    'Referred-By',
    'Event',
    'Subscription-State',
    'P-Asserted-Identity',
    'Reason',
    'Accept',
    'Warning',
    'Retry-After',
  ].map((n) => [n.toLowerCase(), n]),
);

/** Headers whose values may be comma-joined lists (RFC 3261 section 7.3.1). */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'unsupported',
  'accept',
  'p-asserted-identity',
]);

export function canonicalName(name: string): string {
  const trimmed = name.trim();
  const expanded = trimmed.length === 1 ? (COMPACT[trimmed.toLowerCase()] ?? trimmed) : trimmed;
  return CANONICAL[expanded.toLowerCase()] ?? expanded;
}

/** Splits a header value on commas that are not inside quotes or <...>. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quoted) {
      if (ch === '\\') i++;
      else if (ch === '"') quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === '<') depth++;
    else if (ch === '>') depth = Math.max(0, depth - 1);
    else if (ch === ',' && depth === 0) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v.length > 0);
}

export class SipHeaders {
  private readonly entries: [string, string][] = [];

  constructor(init?: Iterable<[string, string]>) {
    if (init) for (const [n, v] of init) this.add(n, v);
  }

  add(name: string, value: string): this {
    this.entries.push([canonicalName(name), value.trim()]);
    return this;
  }

  /** Replaces every value of `name`. */
  set(name: string, value: string | number): this {
    this.remove(name);
    return this.add(name, String(value));
  }

  remove(name: string): this {
    const key = canonicalName(name).toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) {
      if (this.entries[i][0].toLowerCase() === key) this.entries.splice(i, 1);
    }
    return this;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** The first value (the first list element for list headers). */
  get(name: string): string | undefined {
    return this.getAll(name)[0];
  }

  /** Every value, list headers split into their elements. */
  getAll(name: string): string[] {
    const key = canonicalName(name).toLowerCase();
    const out: string[] = [];
    for (const [n, v] of this.entries) {
      if (n.toLowerCase() !== key) continue;
      if (LIST_HEADERS.has(key)) out.push(...splitList(v));
      else out.push(v);
    }
    return out;
  }

  /** Raw lines in order (name, value). */
  lines(): readonly [string, string][] {
    return this.entries;
  }

  clone(): SipHeaders {
    return new SipHeaders(this.entries);
  }
}
