import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeUdpPort } from './helpers.js';

export const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'sip');

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Unexpected messages SIPp logged (-trace_err), for failure diagnostics. */
  errors: string;
  /** Messages SIPp exchanged (-trace_msg). */
  messages: string;
}

export interface SippRun {
  done: Promise<SippResult>;
  kill(): void;
  pid?: number;
}

/**
 * Runs SIPp as a child process in its own temp directory (its trace files land there),
 * bounded by `timeoutS` (SIPp's own -timeout, and a kill a few seconds after as a backstop).
 */
export function runSipp(args: string[], timeoutS = 30): SippRun {
  const dir = mkdtempSync(join(tmpdir(), 'roomkit-sipp-'));
  const child = spawn(
    'sipp',
    [...args, '-nostdin', '-timeout', `${timeoutS}s`, '-timeout_error', '-trace_err', '-trace_msg'],
    {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout = (stdout + d).slice(-20_000);
  });
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const backstop = setTimeout(() => child.kill('SIGKILL'), (timeoutS + 5) * 1000);
  const done = new Promise<SippResult>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(backstop);
      const read = (suffix: string) =>
        readdirSync(dir)
          .filter((f) => f.endsWith(suffix))
          .map((f) => readFileSync(join(dir, f), 'utf8'))
          .join('\n');
      const result = { code, stdout, stderr, errors: read('_errors.log'), messages: read('_messages.log') };
      rmSync(dir, { recursive: true, force: true });
      resolve(result);
    });
  });
  return { done, kill: () => child.kill('SIGKILL'), pid: child.pid };
}

/**
 * SIPp as the caller: runs `scenario` (a file in test/fixtures/sip) against roomkit at
 * 127.0.0.1:`port`, one call, media on a free even port. The kill goes on `cleanup`.
 */
export async function sippCaller(
  scenario: string,
  port: number,
  cleanup: (() => unknown)[],
  opts: { service?: string; transport?: string; extra?: string[]; timeoutS?: number } = {},
): Promise<SippResult> {
  const mp = await freeUdpPort(true);
  const run = runSipp(
    [
      '-sf',
      join(FIXTURES, scenario),
      `127.0.0.1:${port}`,
      '-s',
      opts.service ?? 'ai',
      '-i',
      '127.0.0.1',
      '-mi',
      '127.0.0.1',
      '-mp',
      String(mp),
      '-t',
      opts.transport ?? 'u1',
      '-m',
      '1',
      '-l',
      '1',
      ...(opts.extra ?? []),
    ],
    opts.timeoutS ?? 30,
  );
  cleanup.push(() => run.kill());
  return run.done;
}
