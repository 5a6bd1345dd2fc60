import { afterEach, describe, expect, it } from 'vitest';
import { RedisPubSub } from '../../src/pubsub/redis/index.js';
import { parseCommandLine, UsageError } from '../../src/server/cli-options.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { runCli } from '../server/fixtures/cli-process.js';
import { DATABASE_URL, dropSchema, REDIS_URL, uniqueName } from './services.js';

/** `roomkit serve --store ... --pubsub ...`: the command line, start-up checks, and the URLs' own parameters. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('roomkit serve --store / --pubsub', () => {
  it('reads both from flags or the environment', () => {
    const flags = parseCommandLine(
      ['serve', '--store', 'postgres://u@db:5432/app', '--pubsub', 'redis://cache:6379'],
      {},
    );
    expect(flags).toMatchObject({ storeUrl: 'postgres://u@db:5432/app', pubsubUrl: 'redis://cache:6379' });
    const env = parseCommandLine(['serve'], {
      ROOMKIT_STORE: 'postgresql://db/app',
      ROOMKIT_PUBSUB: 'rediss://cache:6380',
    });
    expect(env).toMatchObject({ storeUrl: 'postgresql://db/app', pubsubUrl: 'rediss://cache:6380' });
  });

  it('refuses a pub/sub without a shared store, foreign URLs, --db with --store, empty values', () => {
    for (const argv of [
      ['serve', '--pubsub', 'redis://cache:6379'],
      ['serve', '--store', 'mysql://db/app'],
      ['serve', '--store', 'postgres://db/app', '--pubsub', 'http://cache'],
      ['serve', '--store', 'postgres://db/app', '--db', 'x.db'],
      ['serve', '--store='],
    ]) {
      expect(() => parseCommandLine(argv, {}), argv.join(' ')).toThrow(UsageError);
    }
    expect(() => parseCommandLine(['serve'], { ROOMKIT_PUBSUB: 'redis://cache' })).toThrow(/needs --store/);
  });

  it('refuses to start a cluster without a shared ROOMKIT_SECRET', async () => {
    const schema = uniqueName('rk_cli');
    cleanups.push(() => dropSchema(schema));
    const run = await runCli(
      ['serve', '--port', '0', '--store', `${DATABASE_URL}?schema=${schema}`, '--pubsub', REDIS_URL],
      { ROOMKIT_SECRET: undefined as unknown as string },
      30_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('a cluster needs ROOMKIT_SECRET');
  }, 40_000);

  it('names a database it cannot use in one line, without its password', async () => {
    const run = await runCli(
      ['serve', '--port', '0', '--store', 'postgres://roomkit:hunter2-secret@127.0.0.1:1/app'],
      { ROOMKIT_SECRET: 'x'.repeat(40) },
      30_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot use PostgreSQL at postgres:\/\/roomkit:\*\*\*@127\.0\.0\.1:1\/app/);
    expect(run.stderr).not.toContain('hunter2');
  }, 40_000);

  it('names a Redis it cannot reach', async () => {
    const schema = uniqueName('rk_cli');
    cleanups.push(() => dropSchema(schema));
    const run = await runCli(
      [
        'serve',
        '--port',
        '0',
        '--store',
        `${DATABASE_URL}?schema=${schema}`,
        '--pubsub',
        'redis://127.0.0.1:1',
      ],
      { ROOMKIT_SECRET: 'x'.repeat(40) },
      30_000,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach Redis at redis://127.0.0.1:1');
  }, 40_000);
});

describe('one URL says everything', () => {
  it('PostgresStore takes ?schema= from its URL', async () => {
    const schema = uniqueName('rk_url');
    const url = new URL(DATABASE_URL);
    url.searchParams.set('schema', schema);
    const store = new PostgresStore({ connectionString: url.toString() });
    cleanups.push(async () => {
      await store.close();
      await dropSchema(schema);
    });
    expect(store.schema).toBe(schema);
    await store.init(); // pg never saw the parameter (it would refuse it as a server setting)
    expect(await store.listRooms()).toEqual([]);
  });

  it('RedisPubSub takes ?prefix= from its URL', async () => {
    const prefix = uniqueName('rk');
    const a = new RedisPubSub({ url: `${REDIS_URL}?prefix=${prefix}` });
    const b = new RedisPubSub({ url: REDIS_URL, prefix });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    expect(a.prefix).toBe(prefix);
    const got: string[] = [];
    await b.subscribe('t', (m) => got.push(m));
    await a.ready(5000);
    await b.ready(5000);
    await a.publish('t', 'same cluster');
    const deadline = Date.now() + 5000;
    while (!got.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual(['same cluster']);
  });
});
