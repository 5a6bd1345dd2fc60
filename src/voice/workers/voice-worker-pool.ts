import { type ChildProcess, fork } from 'node:child_process';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { errorMessage } from '../../core/errors.js';
import { nowIso } from '../../core/ids.js';
import type { Logger } from '../../core/logger.js';
import type { RoomKit } from '../../core/roomkit.js';
import { authenticateUpgrade, refuseUpgrade } from '../../core/ws-upgrade.js';
import { ChannelType, HookTrigger, type InboundMessage } from '../../models/index.js';
import type { VoiceAuthenticate } from '../backends/websocket-voice-backend.js';
import { sessionHookContext } from '../session-hooks.js';
import type { VoiceSession } from '../types.js';
import type { VADAudioLevelEvent } from '../voice-hooks.js';
import { IpcCalls } from './ipc-calls.js';
import { IpcOutbox } from './ipc-outbox.js';
import type { VoiceAdmission } from '../admission.js';
import type { LevelReading } from './level-batch.js';
import { RemoteVoiceChannel } from './remote-voice-channel.js';
import type {
  MainToWorker,
  SerializedTurn,
  VoiceWorkerConfig,
  VoiceWorkerStats,
  WorkerMethod,
  WorkerToMain,
} from './worker-protocol.js';

export interface VoiceWorkerPoolOptions extends VoiceWorkerConfig {
  /** Worker processes (each owns the calls it is handed; calls go to the least busy). */
  workers: number;
  /** Who may connect (token from `Authorization: Bearer` or `?token=`), checked here before the hand-over. */
  authenticate: VoiceAuthenticate;
  logger: Logger;
  /** How often bindings (mute, access) and the set of hooked triggers are mirrored to the workers. Default 200 ms. */
  syncMs?: number;
  /**
   * The server's limits: a caller past them is refused here (HTTP 503) before any worker sees
   * the socket. The workers' calls count as this pool's; `maxLoad` is held against the least
   * loaded worker (each reports its event-loop utilization once a second).
   */
  admission?: VoiceAdmission;
}

/** One worker process as the main process sees it. */
export interface VoiceWorkerHandle {
  readonly index: number;
  readonly calls: IpcCalls<WorkerMethod>;
  post(message: MainToWorker, handle?: Socket): void;
}

/**
 * Stop this process reading a socket it will hand to a worker, so every byte after the
 * upgrade request stays in the kernel for the worker. Node keeps a handed-over handle reading
 * until the worker acknowledges it and drops what it reads meanwhile (its `onread` becomes a
 * no-op on send), and before the hand-over an upgraded socket still reads into a buffer that
 * does not travel. A caller who answers the worker's 101 at once (`start`) could have that
 * first frame swallowed here, leaving the call open and silent: 1 call in about 300 under
 * load. Node has no public call for it: `pause()` stops the handle only for sockets made with
 * a read buffer.
 */
function stopReading(socket: Duplex): void {
  socket.pause();
  const handle = (socket as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (typeof handle?.readStop !== 'function') return;
  handle.reading = false;
  handle.readStop();
}

/**
 * How long a hand-over counts as a call on its way. Most become calls within a second; one that
 * never does (the caller hung up, or was refused) must not make its worker look busy for good.
 */
const HANDOFF_TTL_MS = 3_000;

function pendingHandoffs(worker: Worker): number {
  const expired = performance.now() - HANDOFF_TTL_MS;
  while (worker.handoffs.length > 0 && worker.handoffs[0]! < expired) worker.handoffs.shift();
  return worker.handoffs.length;
}

/** How long an upgrade waits for a worker while every one is starting (after a crash). */
const READY_WAIT_MS = 10_000;

interface Worker extends VoiceWorkerHandle {
  child: ChildProcess;
  ready: Promise<void>;
  isReady: boolean;
  /**
   * When sockets were handed over that are not yet reported as calls, oldest first: a burst of
   * connects spreads out over the workers instead of all going to the one that looked idle.
   */
  handoffs: number[];
  bindings: Map<string, string>;
  triggers: string;
  /** Its event-loop utilization over the last second it reported. */
  load: number;
}

/**
 * `roomkit serve`'s voice on several cores: N worker processes own the WebSocket voice calls
 * (socket, pipeline, VAD, STT, TTS, pacer), the main process keeps the kit. An upgrade on the
 * voice path is authenticated here and its socket handed to the least busy worker, which
 * completes the handshake. Turns cross as text: a worker's transcript becomes a room event
 * through `processInbound` here, the room's replies go back as text to speak, and hooks run
 * here with the session as their payload. A worker that exits ends its calls (ON_SESSION_ENDED,
 * reason `worker_exited`) and is replaced.
 */
export class VoiceWorkerPool {
  readonly channel: RemoteVoiceChannel;
  private readonly workers: Worker[] = [];
  private syncTimer?: NodeJS.Timeout;
  private closing = false;
  private stopCounting?: () => void;

  constructor(
    private readonly kit: RoomKit,
    private readonly opts: VoiceWorkerPoolOptions,
  ) {
    this.channel = new RemoteVoiceChannel(opts.channelId, () => this.leastBusy());
  }

  /** Fork the workers and wait until each has built its voice. */
  async start(): Promise<void> {
    for (let i = 0; i < Math.max(1, this.opts.workers); i++) this.workers.push(this.spawn(i));
    await Promise.all(this.workers.map((w) => w.ready));
    this.syncTimer = setInterval(() => this.sync(), this.opts.syncMs ?? 200);
    this.syncTimer.unref();
    this.stopCounting = this.opts.admission?.countCalls(() =>
      this.workers.reduce((n, w) => n + this.channel.countOf(w) + pendingHandoffs(w), 0),
    );
  }

  get path(): string {
    return this.opts.path;
  }

  /** The worker processes' ids. */
  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0);
  }

  /** Each ready worker's CPU share, loop delay and memory since the last call. */
  async stats(): Promise<VoiceWorkerStats[]> {
    return Promise.all(
      this.workers.filter((w) => w.isReady).map((w) => w.calls.call<VoiceWorkerStats>('stats')),
    );
  }

  /** Calls each worker holds, in worker order. */
  get sessionsPerWorker(): number[] {
    return this.workers.map((w) => this.channel.countOf(w));
  }

  /** An upgrade on the voice path: authenticate, then hand the socket to a worker. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    // From here on the socket's bytes are the worker's: read nothing of them in this process.
    stopReading(socket);
    void (async () => {
      const auth = await authenticateUpgrade(req, url, this.opts.authenticate, (error) =>
        this.opts.logger.warn({ err: errorMessage(error) }, 'voice authenticate threw'),
      );
      if (!auth) return refuseUpgrade(socket);
      // A call `connectVoice` made waits in one worker: its client names it (`?sessionId=`).
      // Otherwise the least busy ready worker (with none ready, the first to be).
      const sessionId = url.searchParams.get('sessionId');
      const pinned = sessionId ? (this.channel.workerOf(sessionId) as Worker | undefined) : undefined;
      // A call already waiting in its worker was counted when it was made.
      const refusal = pinned ? undefined : this.opts.admission?.refusal('voice', this.lightestLoad());
      if (refusal) return refuseUpgrade(socket, 503, refusal);
      const worker = pinned ?? (await this.readyWorker());
      if (socket.destroyed) return;
      if (!worker) return refuseUpgrade(socket, 503);
      // A caller joining a call that already lives in its worker brings no new call.
      if (!pinned) worker.handoffs.push(performance.now());
      worker.post(
        {
          t: 'socket',
          upgrade: {
            method: req.method ?? 'GET',
            url: req.url ?? '/',
            headers: { ...req.headers },
            head,
            auth,
          },
        },
        socket as Socket,
      );
    })();
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.syncTimer);
    this.stopCounting?.();
    await Promise.all(
      this.workers.map(async (w) => {
        const exited = new Promise((resolve) => w.child.once('exit', resolve));
        if (w.child.connected) w.post({ t: 'close' });
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 5000);
        if (w.child.exitCode === null && w.child.signalCode === null) await exited;
        clearTimeout(timer);
      }),
    );
  }

  /** The lowest load a ready worker reported (0 with none ready: the upgrade waits for one). */
  private lightestLoad(): number {
    let load = Number.POSITIVE_INFINITY;
    for (const w of this.workers) if (w.isReady) load = Math.min(load, w.load);
    return load === Number.POSITIVE_INFINITY ? 0 : load;
  }

  /** The ready worker with the fewest calls (or, while none is ready, the first to be). */
  private leastBusy(): Worker {
    let best: Worker | undefined;
    let load = Number.POSITIVE_INFINITY;
    for (const w of this.workers) {
      const calls = this.channel.countOf(w) + pendingHandoffs(w);
      if (w.isReady && calls < load) [best, load] = [w, calls];
    }
    return best ?? this.workers[0]!;
  }

  private async readyWorker(): Promise<Worker | undefined> {
    if (!this.workers.some((w) => w.isReady)) {
      const deadline = new Promise<void>((r) => setTimeout(r, READY_WAIT_MS).unref());
      await Promise.race([deadline, Promise.any(this.workers.map((w) => w.ready)).catch(() => {})]);
    }
    return this.closing || !this.workers.some((w) => w.isReady) ? undefined : this.leastBusy();
  }

  private spawn(index: number): Worker {
    const entry = new URL(
      `./voice-worker-main${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
      import.meta.url,
    );
    const child = fork(entry, [], {
      serialization: 'advanced',
      execArgv: entry.pathname.endsWith('.ts') ? ['--import', 'tsx'] : [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const outbox = new IpcOutbox<MainToWorker>((message) => {
      if (child.connected) child.send(message);
    });
    const post = (message: MainToWorker, handle?: Socket) => {
      if (!handle) return outbox.post(message);
      // A socket crosses alone, after what was posted before it.
      outbox.flush();
      if (child.connected) child.send(message, handle);
      else handle.destroy();
    };
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const worker: Worker = {
      index,
      child,
      calls: new IpcCalls<WorkerMethod>((m) => post(m as MainToWorker)),
      post,
      ready: new Promise<void>((resolve, reject) => {
        ready = resolve;
        failed = reject;
      }),
      isReady: false,
      handoffs: [],
      bindings: new Map(),
      triggers: '',
      load: 0,
    };
    const receive = (message: WorkerToMain): void => {
      if (message.t === 'batch') {
        for (const one of message.messages) receive(one);
        return;
      }
      if (message.t === 'ready') {
        this.opts.logger.info({ worker: index, pid: child.pid }, 'voice worker ready');
        this.sendTriggers(worker, true);
        worker.isReady = true;
        ready();
        return;
      }
      this.onMessage(worker, message);
    };
    child.on('message', receive);
    child.once('exit', (code, signal) => {
      worker.isReady = false;
      failed(new Error(`voice worker ${index} exited (${signal ?? code}) before it was ready`));
      this.exited(worker, signal ?? String(code));
    });
    const { workers: _w, authenticate: _a, logger: _l, syncMs: _s, admission: _m, ...config } = this.opts;
    post({ t: 'init', config });
    return worker;
  }

  private exited(worker: Worker, why: string): void {
    worker.calls.failAll(`voice worker ${worker.index} exited`);
    for (const session of this.channel.dropWorker(worker)) this.sessionEnded(session, 'worker_exited');
    if (this.closing) return;
    this.opts.logger.error({ worker: worker.index, exit: why }, 'voice worker exited; starting another');
    const at = this.workers.indexOf(worker);
    const next = this.spawn(worker.index);
    if (at >= 0) this.workers[at] = next;
    next.ready.catch((error) => this.opts.logger.error({ err: errorMessage(error) }, 'voice worker failed'));
  }

  private onMessage(worker: Worker, message: WorkerToMain): void {
    const kit = this.kit;
    switch (message.t) {
      case 'reply':
        worker.calls.settle(message);
        return;
      case 'call':
        void worker.calls.answer(message.id, () => this.answer(message.method, message.args));
        return;
      case 'hook': {
        const trigger = message.trigger as HookTrigger;
        if (!kit.hooks.has(trigger)) return;
        const ctx = this.context(trigger, message.session, message.direction);
        const payload = message.ownSession
          ? { ...(message.payload as object), session: message.session }
          : message.payload;
        kit.internals.track(kit.hooks.runAsync(trigger, payload, ctx));
        return;
      }
      case 'levels':
        for (const reading of message.readings) this.level(reading);
        return;
      case 'event':
        kit.events.emit(message.name as never, message.payload as never);
        return;
      case 'session':
        if (message.live) worker.handoffs.shift();
        this.channel.sessionChanged(worker, message.session, message.live);
        kit.telemetry.sessionChanged(this.opts.channelId, message.session.id, message.live);
        if (message.live) this.sendBinding(worker, message.session.roomId);
        return;
      case 'turn':
        kit.telemetry.voiceTurn(turnFrom(message.turn), message.attributes);
        return;
      case 'load':
        worker.load = message.utilization;
        return;
    }
  }

  /** A level reading from a worker's batch: the hook runs as it would have in the worker's process. */
  private level([sessionId, direction, levelDb, isSpeech, at]: LevelReading): void {
    const trigger =
      direction === 'inbound' ? HookTrigger.ON_INPUT_AUDIO_LEVEL : HookTrigger.ON_OUTPUT_AUDIO_LEVEL;
    const session = this.channel.sessionOf(sessionId);
    if (!session || !this.kit.hooks.has(trigger)) return;
    const payload: VADAudioLevelEvent = { session, levelDb, isSpeech, timestamp: new Date(at).toISOString() };
    this.kit.internals.track(
      this.kit.hooks.runAsync(trigger, payload, this.context(trigger, session, direction)),
    );
  }

  private async answer(method: string, args: unknown[]): Promise<unknown> {
    const kit = this.kit;
    switch (method) {
      case 'processInbound':
        return kit.processInbound(args[0] as InboundMessage);
      case 'hookSync': {
        const [trigger, payload, session, direction] = args as [
          HookTrigger,
          Record<string, unknown>,
          VoiceSession,
          'inbound' | 'outbound',
        ];
        const outcome = await kit.hooks.runSync(trigger, payload, this.context(trigger, session, direction));
        return { allowed: outcome.allowed, payload: outcome.payload };
      }
      case 'getBinding':
        return (await kit.getBinding(args[0] as string, args[1] as string)) ?? null;
      case 'attachChannel':
        return kit.attachChannel(args[0] as string, args[1] as string);
      case 'roomExists':
        return (await kit.getRoom(args[0] as string)) !== undefined;
    }
    throw new Error(`unknown method ${method}`);
  }

  private context(trigger: HookTrigger, session: VoiceSession, direction: 'inbound' | 'outbound') {
    const src = { kit: this.kit, channelId: this.opts.channelId, channelType: ChannelType.VOICE };
    return sessionHookContext(src, trigger, session, direction);
  }

  /** A call the main process saw end without its worker saying so (the worker exited). */
  private sessionEnded(session: VoiceSession, reason: string): void {
    this.kit.telemetry.sessionChanged(this.opts.channelId, session.id, false);
    if (!this.kit.hooks.has(HookTrigger.ON_SESSION_ENDED)) return;
    const ctx = this.context(HookTrigger.ON_SESSION_ENDED, session, 'inbound');
    this.kit.internals.track(
      this.kit.hooks.runAsync(HookTrigger.ON_SESSION_ENDED, { session, reason, timestamp: nowIso() }, ctx),
    );
  }

  /** Mirror to each worker which triggers have hooks and its rooms' bindings, when they changed. */
  private sync(): void {
    for (const worker of this.workers) {
      this.sendTriggers(worker, false);
      for (const roomId of this.channel.roomsOf(worker)) this.sendBinding(worker, roomId);
    }
  }

  private sendTriggers(worker: Worker, force: boolean): void {
    const triggers = Object.values(HookTrigger).filter((t) => this.kit.hooks.has(t));
    const key = triggers.join(',');
    if (!force && key === worker.triggers) return;
    worker.triggers = key;
    worker.post({ t: 'hooks', triggers });
  }

  private sendBinding(worker: Worker, roomId: string): void {
    const binding = this.kit.peekBinding(roomId, this.opts.channelId) ?? null;
    const key = JSON.stringify(binding);
    if (worker.bindings.get(roomId) === key) return;
    worker.bindings.set(roomId, key);
    worker.post({ t: 'binding', roomId, binding });
  }
}

function turnFrom(turn: SerializedTurn) {
  return {
    userStopAt: turn.userStopEpochMs - performance.timeOrigin,
    metrics: turn.metrics,
    eventId: turn.eventId,
    traced: true,
    complete: true,
    mark: () => false,
  };
}
