import { randomBytes, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { ValidationError } from '../../core/errors.js';

/** Who a request is, and which rooms it may see: what every endpoint of `roomkit serve` checks. */
export interface Identity {
  userId: string;
  /** Rooms this identity may read and write; '*' is every room (and may create rooms). */
  rooms: readonly string[] | '*';
}

export interface IssueTokenOptions {
  user: string;
  rooms: readonly string[] | '*';
  /** Lifetime like '30d', '12h', '15m' (default '30d'), or 'never'. */
  expires?: string;
}

export const USER_ID = /^[\w.@-]{1,64}$/;
export const ROOM_ID = /^[\w.-]{1,100}$/;
const EXPIRES = /^\d{1,6}[smhdw]$/;
const ISSUER = 'roomkit';

/** The identity behind the console token printed at start: every room, like Jupyter's token. */
export const ADMIN_USER = 'admin';

/** True when an identity may act in a room. */
export function mayAccess(identity: Identity, roomId: string): boolean {
  return identity.rooms === '*' || identity.rooms.includes(roomId);
}

/**
 * Tokens of `roomkit serve`. Two kinds:
 * - the console token: random at every start (or `--token`), opaque, identity `admin`,
 *   every room; it dies with the process;
 * - user tokens: HS256 JWTs (`roomkit token --user alice --rooms a,b`) signed with the
 *   server secret, carrying the user id (`sub`) and room scope (`rooms`), with an expiry.
 */
export class TokenAuthority {
  /** The console token (also accepted under --no-auth, where it still names the admin). */
  readonly consoleToken: string;

  constructor(
    private readonly key: Uint8Array,
    consoleToken?: string,
  ) {
    if (consoleToken !== undefined) checkConsoleToken(consoleToken);
    this.consoleToken = consoleToken ?? randomBytes(24).toString('base64url');
  }

  async issue(opts: IssueTokenOptions): Promise<string> {
    if (!USER_ID.test(opts.user)) {
      throw new ValidationError(
        `user must be 1-64 letters, digits or _ . @ - (got ${JSON.stringify(opts.user)})`,
      );
    }
    if (opts.rooms !== '*') {
      if (opts.rooms.length === 0) throw new ValidationError('rooms: give at least one room id, or *');
      const bad = opts.rooms.find((r) => !ROOM_ID.test(r));
      if (bad !== undefined) throw new ValidationError(`rooms: invalid room id ${JSON.stringify(bad)}`);
    }
    const expires = opts.expires ?? '30d';
    if (expires !== 'never' && !EXPIRES.test(expires)) {
      throw new ValidationError(`expires must look like 30d, 12h, 15m, 2w or be "never" (got ${expires})`);
    }
    const jwt = new SignJWT({ rooms: opts.rooms })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(opts.user)
      .setIssuedAt();
    if (expires !== 'never') jwt.setExpirationTime(expires);
    return jwt.sign(this.key);
  }

  /** The identity a token stands for, or undefined (unknown, forged, expired, malformed). */
  async verify(token: string | undefined): Promise<Identity | undefined> {
    if (!token || token.length > 4096) return undefined;
    if (sameSecret(token, this.consoleToken)) return { userId: ADMIN_USER, rooms: '*' };
    if (token.split('.').length !== 3) return undefined;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const rooms = payload.rooms;
      const scope =
        rooms === '*'
          ? '*'
          : Array.isArray(rooms) && rooms.every((r) => typeof r === 'string')
            ? (rooms as string[])
            : undefined;
      if (!payload.sub || !USER_ID.test(payload.sub) || !scope) return undefined;
      return { userId: payload.sub, rooms: scope };
    } catch (error) {
      if (error instanceof joseErrors.JOSEError) return undefined;
      throw error;
    }
  }
}

function checkConsoleToken(token: string): void {
  if (token.length < 16) {
    throw new ValidationError(`the token must be at least 16 characters (got ${token.length})`);
  }
  if (!/^[\x21-\x7e]+$/.test(token))
    throw new ValidationError('the token must be printable ASCII without spaces');
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
