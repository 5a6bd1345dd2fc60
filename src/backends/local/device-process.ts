import { type ChildProcess, spawn } from 'node:child_process';
import { RoomKitError } from '../../core/errors.js';
import { LocalEngineMissingError } from '../../providers/local/errors.js';
import type { ToolCommand } from './audio-tools.js';

/** The sound device could not be opened, or the program driving it stopped. */
export class LocalAudioDeviceError extends RoomKitError {
  readonly device: string;
  constructor(device: string, message: string, cause?: unknown) {
    super(`local audio device "${device}": ${message}`, { code: 'local_audio_device_failed', cause });
    this.device = device;
  }
}

export interface DeviceProcessOptions {
  role: 'capture' | 'playback';
  device: string;
  env?: Record<string, string>;
  /**
   * For a program that does not say when its device is open (SoX): one that has not failed
   * by then has (failures are immediate). Programs that do say (arecord/aplay -v) are waited
   * for up to 10 s, however loaded the machine.
   */
  settleMs: number;
  onData?: (chunk: Buffer) => void;
  /** The program ended without being asked to (device unplugged, killed). */
  onUnexpectedExit?: (error: LocalAudioDeviceError) => void;
}

// Nothing to flush on stop (capture has no tail; a stopped reply must not play on), so the
// grace is short: a program blocked on its device may ignore SIGTERM until data moves.
const KILL_GRACE_MS = 200;
const STDERR_KEEP = 2000;
/** Longest wait for a program that reports its device open; past it, it is taken as open. */
const OPEN_DEADLINE_MS = 10_000;

/**
 * One `arecord`/`aplay`/`sox` child process bound to a sound device. `ready` resolves once
 * the device is open (first audio, or `settleMs` without a failure) and rejects with a
 * typed error that quotes the program's own complaint; `stop` ends it within a bound.
 */
export class DeviceProcess {
  private stderrTail = '';
  private stopping = false;
  private readonly exit: Promise<void>;

  /** Resolves once the device is open; rejects when it could not be. */
  readonly ready: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly opts: DeviceProcessOptions,
    cmd: ToolCommand,
  ) {
    this.exit = new Promise((resolve) => child.once('close', () => resolve()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_KEEP);
    });
    // A player killed mid-write: the write fails with EPIPE, which is not our error to throw.
    child.stdin?.on('error', () => {});
    if (opts.onData) child.stdout?.on('data', opts.onData);
    // After the stderr listener above: the start watch reads the tail it keeps.
    this.ready = this.watchStart(cmd);
    this.ready.catch(() => {}); // the caller awaits it; an unobserved failure must not crash
  }

  /**
   * Starts the program. It can be written to at once; `ready` resolves once the device is
   * open and rejects (missing program, device refused) with the program's own complaint.
   */
  static spawn(cmd: ToolCommand, opts: DeviceProcessOptions): DeviceProcess {
    const child = spawn(cmd.binary, cmd.args, {
      stdio: [
        opts.role === 'playback' ? 'pipe' : 'ignore',
        opts.role === 'capture' ? 'pipe' : 'ignore',
        'pipe',
      ],
      env: { ...process.env, ...opts.env },
    });
    return new DeviceProcess(child, opts, cmd);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Raw PCM to a playback program; false when it can take no more right now (or is gone). */
  write(bytes: Uint8Array): boolean {
    const stdin = this.child.stdin;
    if (!stdin || stdin.destroyed || !stdin.writable) return false;
    return stdin.write(bytes);
  }

  /** Ends the program (SIGTERM, SIGKILL after 200 ms) and waits until it is gone. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exit;
    this.child.stdin?.destroy();
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS);
    await this.exit;
    clearTimeout(kill);
  }

  private watchStart(cmd: ToolCommand): Promise<void> {
    const { child, opts } = this;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        child.stdout?.off('data', onFirstData);
        if (err) {
          reject(err);
          return;
        }
        child.once('close', (code, signal) => this.exited(code, signal));
        resolve();
      };
      const onFirstData = () => done();
      const marker = cmd.openedMarker;
      const timer = setTimeout(
        () => done(),
        marker ? Math.max(opts.settleMs, OPEN_DEADLINE_MS) : opts.settleMs,
      );
      child.stdout?.once('data', onFirstData);
      if (marker) {
        const onStderr = () => {
          if (!marker.test(this.stderrTail)) return;
          child.stderr?.off('data', onStderr);
          done();
        };
        child.stderr?.on('data', onStderr);
      }
      child.once('error', (err: NodeJS.ErrnoException) => {
        done(
          err.code === 'ENOENT'
            ? new LocalEngineMissingError('local-audio', cmd.binary, [cmd.debianPackage], err)
            : new LocalAudioDeviceError(opts.device, `could not run ${cmd.binary}: ${err.message}`, err),
        );
      });
      child.once('close', (code, signal) => {
        if (!settled) done(new LocalAudioDeviceError(opts.device, this.failure(cmd.binary, code, signal)));
      });
    });
  }

  private exited(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    this.opts.onUnexpectedExit?.(
      new LocalAudioDeviceError(this.opts.device, this.failure('the audio program', code, signal)),
    );
  }

  private failure(what: string, code: number | null, signal: NodeJS.Signals | null): string {
    const why = this.stderrTail.trim().split('\n').slice(-3).join(' / ');
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    return `${this.opts.role}: ${what} ${how}${why ? `: ${why}` : ''}`;
  }
}
