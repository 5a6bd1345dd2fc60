import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './helpers.js';
import { FIXTURES } from './sipp.js';

export interface Kamailio {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts kamailio with the test registrar/proxy config on a free port, as a child process
 * group of its own (it forks workers), and waits until it listens. `stop` ends the group.
 */
export async function startKamailio(password: string): Promise<Kamailio> {
  const port = await freeUdpPort();
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-kamailio-'));
  const child = spawn(
    'kamailio',
    [
      '-f',
      join(FIXTURES, 'kamailio.cfg'),
      '-DD',
      '-E',
      '-Y',
      dir,
      '-w',
      dir,
      '-m',
      '32',
      '-M',
      '4',
      '-l',
      `udp:127.0.0.1:${port}`,
      '-A',
      `KAM_PASSWORD="${password}"`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  const collect = (d: Buffer) => {
    output = (output + d.toString()).slice(-200_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/probe_max_receive_buffer|listening on/i.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      stopGroup(child.pid);
      throw new Error(`kamailio did not start:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  // The workers start right after the sockets: give them a beat.
  await new Promise((r) => setTimeout(r, 300));
  return {
    port,
    log: () => output,
    stop: async () => {
      stopGroup(child.pid);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) stopGroup(child.pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function stopGroup(pid: number | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}
