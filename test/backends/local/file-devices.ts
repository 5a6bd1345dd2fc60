import { execFileSync } from 'node:child_process';
import {
  constants,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Sound devices backed by files, for running LocalAudioBackend headless. Per device pair, a
 * microphone FIFO we write and a speaker FIFO we read, reached one of two ways:
 *
 * - `alsa`: an ALSA config (handed to the programs through ALSA_CONFIG_PATH) defines PCMs on
 *   ALSA's `file` plugin over the `null` device (with `infile` for capture), behind `plug`.
 *   This is the real ALSA path arecord/aplay take; the `file` plugin only writes what lies
 *   beyond one device buffer until the player closes, so played audio shows up late.
 * - `raw`: SoX's `raw` file-type driver reads and writes the FIFOs directly, exactly.
 *
 * Capture is paced by our writes. Both FIFOs are opened read-write and non-blocking, as
 * sockets on the event loop (a blocking FIFO open would hold a libuv thread): the microphone
 * never sees an end of file (ALSA's file plugin would then stream silence as fast as it
 * can), and a "clear" is a player process of this device that has ended (interrupt restarts
 * the player), seen by watching /proc.
 */
export class FileSoundDevices {
  readonly dir = mkdtempSync(join(tmpdir(), 'roomkit-sound-'));
  private readonly conf = join(this.dir, 'asound.conf');
  private readonly devices: FileDevicePair[] = [];

  /** Environment for the audio programs: our config after the system's. */
  get env(): Record<string, string> {
    const system = ['/usr/share/alsa/alsa.conf', '/etc/alsa/alsa.conf'].find((p) => existsSync(p));
    return { ALSA_CONFIG_PATH: `${system}:${this.conf}` };
  }

  constructor(readonly kind: 'alsa' | 'raw') {}

  async add(sampleRate = 16000, channels = 1): Promise<FileDevicePair> {
    const n = this.devices.length;
    const pair = new FileDevicePair(this.dir, `rkmic${n}`, `rkspk${n}`, sampleRate, channels, this.kind);
    this.devices.push(pair);
    writeFileSync(this.conf, this.devices.map((d) => d.config()).join('\n'));
    await pair.open();
    return pair;
  }

  async close(): Promise<void> {
    for (const d of this.devices) await d.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class FileDevicePair {
  readonly micFifo: string;
  readonly speakerFifo: string;
  /** Device names for LocalAudioBackend (`inputDevice`/`outputDevice`). */
  readonly input: string;
  readonly output: string;
  private micSocket?: Socket;
  private speakerSocket?: Socket;
  private readonly heard: Buffer[] = [];
  private readonly players = new Set<number>();
  private watcher?: NodeJS.Timeout;

  constructor(
    dir: string,
    private readonly mic: string,
    private readonly speaker: string,
    private readonly rate: number,
    private readonly channels: number,
    kind: 'alsa' | 'raw',
  ) {
    this.micFifo = join(dir, `${mic}.fifo`);
    this.speakerFifo = join(dir, `${speaker}.fifo`);
    execFileSync('mkfifo', [this.micFifo, this.speakerFifo]);
    this.input = kind === 'alsa' ? mic : this.micFifo;
    this.output = kind === 'alsa' ? speaker : this.speakerFifo;
  }

  config(): string {
    const format = `format S16_LE; rate ${this.rate}; channels ${this.channels}`;
    return [
      `pcm.${this.mic} { type plug; slave { pcm { type file; slave.pcm "null"; file "/dev/null"; infile "${this.micFifo}"; format "raw" }; ${format} } }`,
      `pcm.${this.speaker} { type plug; slave { pcm { type file; slave.pcm "null"; file "${this.speakerFifo}"; format "raw" }; ${format} } }`,
    ].join('\n');
  }

  async open(): Promise<void> {
    const fifo = (path: string) => openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    this.micSocket = new Socket({ fd: fifo(this.micFifo), readable: false, writable: true });
    this.speakerSocket = new Socket({ fd: fifo(this.speakerFifo), readable: true, writable: false });
    this.speakerSocket.on('data', (chunk: Buffer) => this.heard.push(chunk));
    this.watcher = setInterval(() => {
      for (const pid of pidsUsing(this.output)) this.players.add(pid);
    }, 10);
  }

  /** Speech into the microphone. */
  async speak(pcm: Int16Array): Promise<void> {
    const socket = this.micSocket!;
    await new Promise<void>((resolve, reject) =>
      socket.write(new Uint8Array(pcm.buffer, pcm.byteOffset, pcm.byteLength), (err) =>
        err ? reject(err) : resolve(),
      ),
    );
  }

  /** Everything the speaker played so far. */
  get played(): Uint8Array {
    return Buffer.concat(this.heard);
  }

  /** Player processes of this speaker seen so far (the /proc watch polls every 10 ms). */
  get playersSeen(): number {
    return this.players.size;
  }

  /** Player processes of this speaker that have ended (an interrupt restarts the player). */
  get clears(): number {
    let ended = 0;
    for (const pid of this.players) if (!alive(pid)) ended++;
    return ended;
  }

  /** Kills the program capturing from this microphone: the device went away. */
  unplugMicrophone(): void {
    for (const pid of pidsUsing(this.input)) process.kill(pid, 'SIGKILL');
  }

  async close(): Promise<void> {
    clearInterval(this.watcher);
    this.micSocket?.destroy();
    this.speakerSocket?.destroy();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Processes whose command line names `device` (the test's own audio programs). */
function pidsUsing(device: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(device)) out.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}
