import type { IncomingMessage } from 'node:http';
import type { Logger } from '../core/logger.js';
import { upgradeToken } from '../core/ws-upgrade.js';
import { loadSecret } from './auth/secret.js';
import { type Identity, type IssueTokenOptions, TokenAuthority } from './auth/tokens.js';

export interface ServerAuthOptions {
  /** Require a token on every endpoint (default true); false is `--no-auth`. */
  auth?: boolean;
  token?: string;
  secret?: string | Uint8Array;
  dbPath?: string;
  logger: Logger;
}

/** Who a request without a token is under `--no-auth`: a guest with every room. */
export const GUEST: Identity = { userId: 'guest', rooms: '*' };

/**
 * Authentication for every endpoint of `roomkit serve`: the token comes from
 * `Authorization: Bearer` or `?token=` and is the only source of identity (a `?user=`
 * parameter means nothing). A token that is given but invalid is refused even under
 * `--no-auth`, so a typo is noticed rather than silently turned into a guest.
 */
export class ServerAuth {
  readonly required: boolean;
  private readonly tokens: TokenAuthority;

  constructor(opts: ServerAuthOptions) {
    this.required = opts.auth ?? true;
    const secret = loadSecret({ secret: opts.secret, dbPath: opts.dbPath });
    this.tokens = new TokenAuthority(secret.key, opts.token);
    opts.logger.info(
      { source: secret.source, path: secret.path },
      secret.source === 'ephemeral'
        ? 'token secret is random for this process: user tokens will not survive a restart'
        : 'token secret loaded',
    );
    if (!this.required) {
      opts.logger.warn(
        {},
        'AUTHENTICATION IS OFF (--no-auth): anyone who can reach this server can read and post in every room',
      );
    }
  }

  get consoleToken(): string {
    return this.tokens.consoleToken;
  }

  issue(opts: IssueTokenOptions): Promise<string> {
    return this.tokens.issue(opts);
  }

  /** The identity of a token (undefined: refused). */
  async identify(token: string | undefined): Promise<Identity | undefined> {
    if (token === undefined || token === '') return this.required ? undefined : GUEST;
    return this.tokens.verify(token);
  }

  /** The identity behind a request's credential. */
  identifyRequest(req: IncomingMessage, url: URL): Promise<Identity | undefined> {
    return this.identify(upgradeToken(req, url));
  }
}
