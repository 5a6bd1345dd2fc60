import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { ValidationError } from '../../core/errors.js';

/** Where a signing secret came from, for the start-up log line (never the secret itself). */
export type SecretSource = 'env' | 'option' | 'file' | 'new-file' | 'ephemeral';

export interface LoadedSecret {
  key: Uint8Array;
  source: SecretSource;
  /** The file holding it, when there is one. */
  path?: string;
}

const MIN_SECRET_CHARS = 32;

/** The file beside a SQLite database that keeps its signing secret: `<db>.secret`. */
export function secretPathFor(dbPath: string): string | undefined {
  if (!dbPath || dbPath === ':memory:' || dbPath.startsWith('file::memory:')) return undefined;
  return `${dbPath}.secret`;
}

/**
 * The key that signs user tokens: `ROOMKIT_SECRET` when set, else the file beside the
 * database (created once, mode 0600, so tokens survive restarts), else a random key that
 * lives as long as the process. A secret that is too short, or a file others can read, is
 * an error: tokens signed with it would be forgeable or stealable.
 */
export function loadSecret(opts: {
  secret?: string | Uint8Array;
  dbPath?: string;
  env?: NodeJS.ProcessEnv;
}): LoadedSecret {
  const env = opts.env ?? process.env;
  if (opts.secret !== undefined) return { key: checked(opts.secret, 'the secret option'), source: 'option' };
  if (env.ROOMKIT_SECRET !== undefined)
    return { key: checked(env.ROOMKIT_SECRET, 'ROOMKIT_SECRET'), source: 'env' };
  const path = opts.dbPath ? secretPathFor(opts.dbPath) : undefined;
  if (!path) return { key: randomBytes(32), source: 'ephemeral' };
  const created = createOnce(path);
  if (created) return { key: created, source: 'new-file', path };
  return { key: readSecretFile(path), source: 'file', path };
}

function checked(secret: string | Uint8Array, what: string): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  if (key.byteLength < MIN_SECRET_CHARS) {
    throw new ValidationError(
      `${what} must be at least ${MIN_SECRET_CHARS} characters (got ${key.byteLength})`,
    );
  }
  return key;
}

/** Creates the file exclusively, so two processes starting at once agree on one secret. */
function createOnce(path: string): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  const text = randomBytes(32).toString('base64url');
  try {
    writeSync(fd, `${text}\n`);
  } finally {
    closeSync(fd);
  }
  return new TextEncoder().encode(text);
}

function readSecretFile(path: string): Uint8Array {
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) {
    throw new ValidationError(
      `${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`,
    );
  }
  return checked(readFileSync(path, 'utf8').trim(), path);
}
