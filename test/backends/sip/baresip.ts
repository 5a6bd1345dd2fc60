import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './helpers.js';

export interface Baresip {
  dir: string;
  output(): string;
  /** WAV files the sndfile filter wrote (decoded far end: `*-dec.wav`). */
  recordings(): string[];
  /** SIGTERM (baresip hangs up and closes its files), SIGKILL after a deadline. */
  stop(): Promise<void>;
}

/**
 * A real softphone: baresip with the microphone played from a WAV (aufile), speakers on the
 * ALSA null device, and the sndfile filter recording both directions of the call. It dials
 * `target` at start and quits by itself after `maxSeconds`.
 */
export async function startBaresip(opts: {
  microphoneWav: string;
  target: string;
  codecs?: string;
  maxSeconds?: number;
}) {
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-baresip-'));
  const port = await freeUdpPort();
  writeFileSync(
    join(dir, 'config'),
    [
      'poll_method epoll',
      `sip_listen 127.0.0.1:${port}`,
      'call_local_timeout 30',
      'audio_player alsa,null',
      'audio_alert alsa,null',
      `audio_source aufile,${opts.microphoneWav}`,
      'module_path /usr/lib/baresip/modules',
      'module alsa.so',
      'module aufile.so',
      'module sndfile.so',
      `snd_path ${dir}`,
      'module g711.so',
      'module g722.so',
      'module_tmp account.so',
      'module_app menu.so',
      '',
    ].join('\n'),
  );
  const codecs = opts.codecs ? `;audio_codecs=${opts.codecs}` : '';
  writeFileSync(join(dir, 'accounts'), `<sip:tester@127.0.0.1:${port}>;regint=0${codecs}\n`);
  const child: ChildProcess = spawn(
    'baresip',
    ['-f', dir, '-t', String(opts.maxSeconds ?? 40), '-e', `/dial ${opts.target}`],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (d) => {
    output = (output + d).slice(-50_000);
  });
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-50_000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const baresip: Baresip = {
    dir,
    output: () => output,
    recordings: () =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.wav'))
        .map((f) => join(dir, f)),
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
  return { baresip, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
