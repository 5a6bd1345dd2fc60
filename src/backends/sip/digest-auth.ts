import { createHash, randomBytes } from 'node:crypto';

/**
 * HTTP Digest for SIP (RFC 3261 section 22, RFC 2617, RFC 8760 for SHA-256): parse a
 * WWW-Authenticate / Proxy-Authenticate challenge and answer it. qop=auth is used when the
 * challenge offers it (with a fresh cnonce and a counting nc), the RFC 2069 form otherwise.
 */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: 'MD5' | 'SHA-256';
  qop?: 'auth';
  opaque?: string;
  stale: boolean;
}

export interface DigestCredentials {
  username: string;
  password: string;
}

export function parseChallenge(header: string): DigestChallenge | undefined {
  const m = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let p = re.exec(m[1]); p; p = re.exec(m[1])) params[p[1].toLowerCase()] = p[2] ?? p[3];
  if (!params.realm || !params.nonce) return undefined;
  const algorithm = (params.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return undefined;
  const qops = (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase());
  return {
    realm: params.realm,
    nonce: params.nonce,
    algorithm,
    qop: qops.includes('auth') ? 'auth' : undefined,
    opaque: params.opaque,
    stale: (params.stale ?? '').toLowerCase() === 'true',
  };
}

function hash(algorithm: DigestChallenge['algorithm'], text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text)
    .digest('hex');
}

/** Answers a challenge: the value of the Authorization (or Proxy-Authorization) header. */
export function digestAuthorization(
  challenge: DigestChallenge,
  creds: DigestCredentials,
  method: string,
  uri: string,
  nc = 1,
  cnonce = randomBytes(8).toString('hex'),
): string {
  const ha1 = hash(challenge.algorithm, `${creds.username}:${challenge.realm}:${creds.password}`);
  const ha2 = hash(challenge.algorithm, `${method}:${uri}`);
  const ncText = nc.toString(16).padStart(8, '0');
  const response = challenge.qop
    ? hash(challenge.algorithm, `${ha1}:${challenge.nonce}:${ncText}:${cnonce}:auth:${ha2}`)
    : hash(challenge.algorithm, `${ha1}:${challenge.nonce}:${ha2}`);
  const parts = [
    `username="${quote(creds.username)}"`,
    `realm="${quote(challenge.realm)}"`,
    `nonce="${quote(challenge.nonce)}"`,
    `uri="${quote(uri)}"`,
    `response="${response}"`,
    `algorithm=${challenge.algorithm}`,
  ];
  if (challenge.qop) parts.push('qop=auth', `nc=${ncText}`, `cnonce="${cnonce}"`);
  if (challenge.opaque !== undefined) parts.push(`opaque="${quote(challenge.opaque)}"`);
  return `Digest ${parts.join(', ')}`;
}

function quote(s: string): string {
  return s.replace(/(["\\])/g, '\\$1');
}
