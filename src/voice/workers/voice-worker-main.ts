/**
 * A voice worker process (forked by VoiceWorkerPool): it owns the WebSocket voice calls the
 * main process hands it, with their pipelines, turn detection, speech engines and pacing,
 * and runs a real VoiceChannel on a WorkerKit that forwards to the main process's kit.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { errorMessage } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { RoomKit } from '../../core/roomkit.js';
import { LoopLoad } from '../admission.js';
import type { AudioPipelineConfig } from '../pipeline/audio-pipeline.js';
import { WebSocketVoiceBackend } from '../backends/websocket-voice-backend.js';
import type { STTProvider, TTSProvider } from '../types.js';
import { VoiceChannel } from '../voice-channel.js';
import { IpcCalls } from './ipc-calls.js';
import { IpcOutbox } from './ipc-outbox.js';
import { LoadMeter } from './load-meter.js';
import { WorkerKit } from './worker-kit.js';
import type {
  HandedSocket,
  MainMethod,
  MainToWorker,
  VoiceWorkerConfig,
  WorkerToMain,
} from './worker-protocol.js';

/** What a voice module's `createVoice(logger)` returns (the shape of `roomkit serve`'s ServerVoice). */
export interface WorkerVoice {
  stt: STTProvider;
  tts: TTSProvider;
  label?: string;
  pipeline?: AudioPipelineConfig;
}

const outbox = new IpcOutbox<WorkerToMain>((message) => process.send?.(message));
const post = (message: WorkerToMain): void => outbox.post(message);
const calls = new IpcCalls<MainMethod>((message) => post(message as WorkerToMain));
let channel: VoiceChannel | undefined;
let backend: WebSocketVoiceBackend | undefined;
let kit: WorkerKit | undefined;
const load = new LoadMeter();
// The main process admits calls by the workers' loads (VoiceAdmission `maxLoad`).
new LoopLoad(1000, (utilization) => post({ t: 'load', utilization }));

async function init(config: VoiceWorkerConfig): Promise<void> {
  const logger = createLogger('roomkit.voice.worker', config.logLevel);
  const mod = (await import(config.voiceModule)) as {
    createVoice?: (logger: unknown) => Promise<WorkerVoice | undefined> | WorkerVoice | undefined;
  };
  const voice = await mod.createVoice?.(logger);
  if (!voice) throw new Error(`${config.voiceModule} gave no voice (createVoice returned nothing)`);
  kit = new WorkerKit(logger, calls, post);
  const workerKit = kit;
  backend = new WebSocketVoiceBackend({
    path: config.path,
    channelId: config.channelId,
    framing: config.framing,
    sampleRate: config.sampleRate,
    heartbeatMs: config.heartbeatMs,
    maxFrameBytes: config.maxFrameBytes,
    maxBufferedBytes: config.maxBufferedBytes,
    logger,
    // Upgrades arrive authenticated by the main process (adoptUpgrade); nothing comes in directly.
    authenticate: () => null,
    authorizeSession: async ({ roomId }) =>
      (await workerKit.roomExists(roomId)) ? true : { code: 'room_not_found', message: `no room ${roomId}` },
  });
  channel = new VoiceChannel(config.channelId, {
    stt: voice.stt,
    tts: voice.tts,
    backend,
    pipeline: voice.pipeline,
  });
  workerKit.findSession = (id) => channel?.getRuntime(id)?.session;
  channel.onRegister(workerKit as unknown as RoomKit);
  await channel.pipeline.warmup();
}

function adopt(upgrade: HandedSocket, socket: Socket): void {
  if (!backend) {
    socket.destroy();
    return;
  }
  const req = { method: upgrade.method, url: upgrade.url, headers: upgrade.headers } as IncomingMessage;
  backend.adoptUpgrade(req, socket, Buffer.from(upgrade.head), upgrade.auth);
}

async function answer(method: string, args: unknown[]): Promise<unknown> {
  if (!channel) throw new Error('voice worker not initialised');
  switch (method) {
    case 'startSession': {
      const [roomId, participantId, opts] = args as [string, string, { metadata?: Record<string, unknown> }];
      return { ...(await channel.startSession(roomId, participantId, opts)) };
    }
    case 'endSession': {
      const rt = channel.getRuntime(args[0] as string);
      if (rt) await channel.endSession(rt.session, (args[1] as string | undefined) ?? 'ended');
      return true;
    }
    case 'interrupt': {
      const rt = channel.getRuntime(args[0] as string);
      return rt ? channel.interrupt(rt.session) : false;
    }
    case 'stats':
      return load.read(backend?.connections.size ?? 0);
  }
  throw new Error(`unknown worker method ${method}`);
}

process.on('message', (message: MainToWorker, handle?: unknown) => receive(message, handle));

function receive(message: MainToWorker, handle?: unknown): void {
  switch (message.t) {
    case 'batch':
      for (const one of message.messages) receive(one);
      return;
    case 'init':
      init(message.config).then(
        () => post({ t: 'ready' }),
        (error) => {
          console.error(`voice worker failed to start: ${errorMessage(error)}`);
          process.exit(1);
        },
      );
      return;
    case 'socket':
      adopt(message.upgrade, handle as Socket);
      return;
    case 'deliver':
      if (channel && kit)
        void channel.deliver(message.event, kit.peekBinding(message.event.roomId, channel.id)!);
      return;
    case 'delta':
      void channel?.deliverStreamDelta(message.delta);
      return;
    case 'hooks':
      kit?.setTriggers(message.triggers);
      return;
    case 'binding':
      kit?.setBinding(message.roomId, message.binding);
      return;
    case 'reply':
      calls.settle(message);
      return;
    case 'call':
      void calls.answer(message.id, () => answer(message.method, message.args));
      return;
    case 'close':
      void shutdown();
      return;
  }
}

/** How long a closing worker waits for its calls and backend to close before it exits anyway. */
const SHUTDOWN_MS = 4000;

// The main process went away: nothing here can reach the kit any more.
process.on('disconnect', () => void shutdown());

async function shutdown(): Promise<void> {
  // A close that hangs (a peer that never acknowledges) must not keep an orphan alive: with
  // the main process gone, nobody else would ever stop this one.
  setTimeout(() => {
    console.error(`voice worker ${process.pid}: close took over ${SHUTDOWN_MS} ms; exiting`);
    process.exit(1);
  }, SHUTDOWN_MS).unref();
  calls.failAll('voice worker closing');
  try {
    await channel?.close();
    await backend?.close();
  } finally {
    outbox.flush();
    process.exit(0);
  }
}
