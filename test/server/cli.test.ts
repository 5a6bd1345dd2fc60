import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { connectClient } from '../helpers/ws-client.js';
import { cliInProcess as cli, ROOT, runCli, startCli } from './fixtures/cli-process.js';

const jsonOf = (res: Response): Promise<any> => res.json();
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rk-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('roomkit CLI arguments (issue 8)', () => {
  it.each([
    [['serve', '--prot', '18099'], /Unknown option '--prot'/],
    [['serve', '--port'], /'--port <value>' argument missing/],
    [['serve', '--port', 'abc'], /invalid port: abc/],
    [['serve', '--port', '70000'], /invalid port: 70000/],
    [['serve', '--token='], /--token is empty/],
    [['serve', '--token', ''], /--token is empty/],
    [['serve', '--token', '--db', 'x'], /'--token' argument is ambiguous/],
    [['serve', '--token', 'short'], /at least 16 characters/],
    [['serve', '--host='], /--host is empty/],
    [['serve', '--allow-origin', 'evil'], /--allow-origin: not an origin/],
    [['serve', 'extra'], /Unexpected argument 'extra'/],
    [['serve', '--no-auth=yes'], /--no-auth/],
    [['bogus'], /unknown command: bogus/],
    [['--bogus'], /unknown option: --bogus/],
    [[], /a command is required/],
    [['token', '--user', 'alice'], /needs --rooms/],
    [['token', '--rooms', 'a'], /needs --user/],
    [['token', '--user', 'alice', '--rooms', 'a b'], /invalid room id/],
    [['token', '--user', 'alice', '--rooms', 'a', '--expires', 'soon'], /--expires/],
  ])('%j is a usage error (exit 2) that names the problem and shows the usage', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toContain('Usage:');
    expect(r.out).toBe('');
  });

  it.each([
    [{ ROOMKIT_TOKEN: '' }, /ROOMKIT_TOKEN is empty/],
    [{ ROOMKIT_SECRET: '' }, /ROOMKIT_SECRET is empty/],
    [{ PORT: 'eighty' }, /invalid port: eighty/],
  ])('environment %j is refused too', async (env, message) => {
    const r = await cli(['serve'], env);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('--help, -h and serve --help print the usage and exit 0', async () => {
    for (const argv of [['--help'], ['-h'], ['serve', '--help'], ['serve', '-h'], ['help']]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.out).toContain('roomkit serve [options]');
      expect(r.out).toContain('--no-auth');
    }
  });

  it('the real process exits 2 on a usage error and 0 on --help', async () => {
    const bad = await runCli(['serve', '--prot', '18099']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^roomkit: Unknown option '--prot'/);
    const help = await runCli(['-h']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage:');
  }, 30_000);

  it('a busy port is one clear line and exit 1, no stack trace', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['serve', '--port', String(port), '--db', join(dir, 'busy.db')]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `roomkit: port ${port} on 127.0.0.1 is already in use (pick another with --port)`,
      );
      expect(r.stdout).toBe('');
    } finally {
      blocker.close();
    }
  }, 30_000);

  it('roomkit token issues a token the server on the same database accepts, with its identity and rooms', async () => {
    const db = join(dir, 'tok.db');
    const issued = await runCli(['token', '--user', 'alice', '--rooms', 'lobby,support', '--db', db]);
    expect(issued.code).toBe(0);
    const token = issued.stdout.trim();
    expect(token.split('.')).toHaveLength(3);
    const server = startCli(['serve', '--port', '0', '--db', db]);
    try {
      const [, url] = await server.waitFor(/^roomkit serve: (\S+)/m);
      const info = await jsonOf(
        await fetch(`${url}/api/info`, { headers: { authorization: `Bearer ${token}` } }),
      );
      expect(info.me).toEqual({ userId: 'alice', rooms: ['lobby', 'support'] });
    } finally {
      server.process.kill('SIGTERM');
      await server.exited();
    }
  }, 40_000);
});

describe('roomkit serve start-up and shutdown (issue 8)', () => {
  it('prints the console URL with a fresh token; SIGTERM shuts down gracefully with the data intact', async () => {
    const db = join(dir, 'term.db');
    const server = startCli(['serve', '--port', '0', '--db', db]);
    const [, consoleUrl] = await server.waitFor(/^Open the console: (\S+)$/m);
    const url = new URL(consoleUrl!);
    const token = url.searchParams.get('token')!;
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect((await fetch(`${url.origin}/api/info`)).status).toBe(401);
    const c = await connectClient(`${url.origin.replace('http', 'ws')}/ws?token=${token}`);
    c.send({ type: 'join', roomId: 'lobby' });
    await c.next('joined');
    c.send({ type: 'message', roomId: 'lobby', content: { type: 'text', body: 'before the signal' } });
    await c.next('ack');
    const closed = new Promise<number>((resolve) => c.socket.once('close', (code) => resolve(code)));
    server.process.kill('SIGTERM');
    expect(await server.exited()).toBe(0);
    expect(await closed).toBe(1001);
    expect(server.stderr()).toContain('SIGTERM; shutting down');
    // The store was closed cleanly: the message is there when the file is opened again.
    const store = new SqliteStore({ path: db });
    const events = await store.listEvents('lobby');
    expect(events.some((e) => e.content.type === 'text' && e.content.body === 'before the signal')).toBe(
      true,
    );
    await store.close();
  }, 40_000);

  it('SIGINT shuts down too, and --no-auth says loudly that it is open', async () => {
    const server = startCli(['serve', '--port', '0', '--db', join(dir, 'int.db'), '--no-auth']);
    const [, consoleUrl] = await server.waitFor(/^Open the console: (\S+)$/m);
    expect(consoleUrl).not.toContain('token=');
    // stderr is its own pipe: the warning may arrive just after the stdout lines.
    for (let i = 0; i < 100 && !server.stderr().includes('WARNING'); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(server.stderr()).toContain('WARNING: authentication is off (--no-auth)');
    expect((await fetch(`${consoleUrl}api/info`)).status).toBe(200);
    server.process.kill('SIGINT');
    expect(await server.exited()).toBe(0);
  }, 40_000);
});

describe('npx roomkit serve (issue 8: npx left the server running)', () => {
  it('SIGTERM to npx stops the server it started', async () => {
    // npx runs `sh -c roomkit ...`; npm forwards the signal to sh, which dies without passing it on.
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(ROOT, 'dist', 'server', 'bin.js')), 'npm run build first').toBe(true);
    const npx = startCli(
      ['serve', '--port', '0', '--db', join(dir, 'npx.db')],
      {},
      {
        file: 'npx',
        args: ['--no-install', 'roomkit'],
      },
    );
    const [, url] = await npx.waitFor(/^roomkit serve: (\S+)/m, 60_000);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    npx.process.kill('SIGTERM');
    await npx.exited();
    // The server itself (a grandchild of npx) must be gone too, not orphaned and still serving.
    let stillServing = true;
    for (let i = 0; i < 100 && stillServing; i++) {
      stillServing = await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      );
      if (stillServing) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stillServing).toBe(false);
  }, 90_000);
});
