/**
 * The programs that move audio between the sound card and us: ALSA's `arecord`/`aplay`
 * (Debian `alsa-utils`) or SoX's `sox` (Debian `sox`; also the way on macOS, through
 * CoreAudio). Both speak raw PCM s16le over stdin/stdout, so the backend is the same for
 * either; only the command lines differ.
 */
import { execFileSync } from 'node:child_process';

export type LocalAudioTool = 'alsa' | 'sox';

export interface DeviceStream {
  tool: LocalAudioTool;
  device: string;
  sampleRate: number;
  channels: number;
  /** Period (one read or write) and device buffer, which bound capture and playback latency. */
  periodMs: number;
  bufferMs: number;
  /** SoX's audio driver (`alsa`, `pulseaudio`, `coreaudio`...). */
  soxDriver: string;
}

export interface ToolCommand {
  binary: string;
  args: string[];
  /** The Debian package that provides `binary`, for the "not installed" error. */
  debianPackage: string;
  /** What the program prints on stderr once its device is open (when it says so at all). */
  openedMarker?: RegExp;
}

// arecord/aplay -v print the device's setup once it is open and configured.
const ALSA_OPENED = /Its setup is:/;

/** `arecord`/`sox` writing the microphone to stdout. */
export function captureCommand(s: DeviceStream): ToolCommand {
  if (s.tool === 'alsa') {
    return {
      binary: 'arecord',
      args: [...alsaArgs(s), '-'],
      debianPackage: 'alsa-utils',
      openedMarker: ALSA_OPENED,
    };
  }
  return {
    binary: 'sox',
    args: ['-q', '-D', '--buffer', String(bufferBytes(s)), ...soxDevice(s), ...soxRaw(s), '-'],
    debianPackage: 'sox',
  };
}

/** `aplay`/`sox` playing stdin on the speakers. */
export function playbackCommand(s: DeviceStream): ToolCommand {
  if (s.tool === 'alsa') {
    return {
      binary: 'aplay',
      args: [...alsaArgs(s), '-'],
      debianPackage: 'alsa-utils',
      openedMarker: ALSA_OPENED,
    };
  }
  return {
    binary: 'sox',
    args: ['-q', '-D', '--buffer', String(bufferBytes(s)), ...soxRaw(s), '-', ...soxDevice(s)],
    debianPackage: 'sox',
  };
}

/** `alsa` where `arecord` is on the PATH (Linux), else `sox`. */
export function defaultTool(): LocalAudioTool {
  if (process.platform !== 'linux') return 'sox';
  try {
    execFileSync('arecord', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return 'alsa';
  } catch {
    return 'sox';
  }
}

/** SoX's driver for the platform's sound system. */
export function defaultSoxDriver(): string {
  return process.platform === 'darwin' ? 'coreaudio' : 'alsa';
}

function alsaArgs(s: DeviceStream): string[] {
  return [
    '-q',
    '-v',
    '-D',
    s.device,
    '-t',
    'raw',
    '-f',
    'S16_LE',
    '-r',
    String(s.sampleRate),
    '-c',
    String(s.channels),
    // Small periods and buffer: aplay starts once its buffer is full, and whatever the buffer
    // holds still plays after an interrupt.
    `--period-time=${Math.round(s.periodMs * 1000)}`,
    `--buffer-time=${Math.round(s.bufferMs * 1000)}`,
  ];
}

/** The device side, with its format stated (SoX would otherwise open it in stereo and convert). */
function soxDevice(s: DeviceStream): string[] {
  return ['-t', s.soxDriver, ...soxFormat(s), s.device];
}

function soxRaw(s: DeviceStream): string[] {
  return ['-t', 'raw', ...soxFormat(s)];
}

function soxFormat(s: DeviceStream): string[] {
  return ['-r', String(s.sampleRate), '-c', String(s.channels), '-b', '16', '-e', 'signed-integer'];
}

function bufferBytes(s: DeviceStream): number {
  return Math.max(64, Math.round((s.sampleRate * s.channels * 2 * s.periodMs) / 1000));
}
