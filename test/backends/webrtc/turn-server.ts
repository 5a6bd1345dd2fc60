import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * coturn (Debian `coturn`) on 127.0.0.1 for TURN tests: one long-term credential, or with
 * `authSecret` the TURN REST scheme (`use-auth-secret`: HMAC credentials that expire).
 */
export class TurnServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly username: string,
    readonly credential: string,
    private readonly dir: string,
  ) {}

  static async start(
    username = 'rk',
    credential = 'turn-secret',
    opts: { authSecret?: string } = {},
  ): Promise<TurnServer> {
    const auth =
      opts.authSecret === undefined
        ? ['--lt-cred-mech', `--user=${username}:${credential}`]
        : ['--use-auth-secret', `--static-auth-secret=${opts.authSecret}`];
    const port = await freeUdpPort();
    // Its own database and pid file, so parallel runs do not share state.
    const dir = mkdtempSync(join(tmpdir(), 'rk-turn-'));
    const child = spawn(
      'turnserver',
      [
        '-n', // no configuration file
        '--listening-ip=127.0.0.1',
        `--listening-port=${port}`,
        '--relay-ip=127.0.0.1',
        '--min-port=40000',
        '--max-port=49999',
        ...auth,
        '--realm=roomkit',
        '--fingerprint',
        '--allow-loopback-peers', // coturn refuses loopback peers by default
        '--no-tls',
        '--no-dtls',
        '--no-cli',
        '--log-file=stdout',
        '--simple-log',
        `--db=${join(dir, 'turndb')}`,
        `--pidfile=${join(dir, 'turn.pid')}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let log = '';
    child.stdout?.on('data', (d) => {
      log += d;
    });
    // Ready once it logs its UDP listener (bounded wait).
    const deadline = Date.now() + 10_000;
    while (!/Total General servers/.test(log)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`turnserver did not start:\n${log.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return new TurnServer(child, port, username, credential, dir);
  }

  get url(): string {
    return `turn:127.0.0.1:${this.port}?transport=udp`;
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
