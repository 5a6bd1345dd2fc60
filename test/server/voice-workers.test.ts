/**
 * `roomkit serve` with voice workers: WebSocket voice calls live in two worker processes,
 * the kit in the main process. A call works end to end as in-process voice does (transcript
 * into the room, the agent's reply spoken back), hooks run in the main process, muting the
 * channel silences the caller, calls spread over the workers, and a worker that dies ends
 * its calls and is replaced.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HookTrigger } from '../../src/models/index.js';
import { type RunningServer, startServer } from '../../src/server/index.js';
import { MockAIProvider } from '../../src/testing/index.js';
import { openVoiceClient, type VoiceTestClient } from '../voice/backends/voice-ws-client.js';
import { createVoice } from './fixtures/mock-voice-module.js';

const voiceModule = new URL('./fixtures/mock-voice-module.ts', import.meta.url).href;
let server: RunningServer;
let dir: string;
const hooks: { trigger: string; sessionId: string; pid: number; seq: number }[] = [];
const levels: {
  session: { id: string; roomId: string };
  levelDb: number;
  isSpeech: boolean;
  timestamp: string;
  seq: number;
}[] = [];
let seq = 0;

function tone(amplitude: number): Int16Array {
  return Int16Array.from({ length: 320 }, (_, i) =>
    Math.round(amplitude * Math.sin((2 * Math.PI * 220 * i) / 16000)),
  );
}

/** An utterance at real time: 300 ms of voice, then 400 ms of near-silence (the VAD ends it at 200). */
async function speak(client: VoiceTestClient): Promise<void> {
  for (let i = 0; i < 35; i++) {
    await client.sendAudio(tone(i < 15 ? 6000 : 20));
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function call(roomId: string, user = 'caller'): Promise<VoiceTestClient> {
  const token = await server.issueToken({ user, rooms: [roomId] });
  const client = await openVoiceClient(`${server.url.replace('http', 'ws')}/voice?token=${token}`);
  await client.sendJson({ type: 'start', roomId, sampleRate: 16000 });
  await client.next('ready', 10_000);
  return client;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-voice-workers-'));
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'roomkit.db'),
    aiProvider: new MockAIProvider({ responses: ['It is sunny.'] }),
    voice: createVoice(),
    voiceModule,
    voiceWorkers: 2,
    realtime: false,
  });
  for (const trigger of [
    HookTrigger.ON_SESSION_STARTED,
    HookTrigger.ON_SPEECH_END,
    HookTrigger.ON_SESSION_ENDED,
  ]) {
    server.kit.hook(
      trigger,
      (p: { session: { id: string } }) =>
        void hooks.push({ trigger, sessionId: p.session.id, pid: process.pid, seq: ++seq }),
      {
        name: `test-${trigger}`,
        execution: 'async',
      },
    );
  }
  server.kit.hook(
    HookTrigger.ON_INPUT_AUDIO_LEVEL,
    (p: Omit<(typeof levels)[number], 'seq'>) => void levels.push({ ...p, seq: ++seq }),
    { name: 'test-levels', execution: 'async' },
  );
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('roomkit serve with voice workers', () => {
  it('a call is transcribed into the room, answered, and the reply is spoken back', async () => {
    await server.kit.createRoom({ roomId: 'w1' });
    await server.kit.attachChannel('w1', 'agent', { category: 'intelligence' });
    const client = await call('w1');
    await speak(client);
    const said = await client.next((m) => m.type === 'transcription' && m.role === 'user', 10_000);
    expect(said.text).toBe('what is the weather');
    await client.next((m) => m.type === 'speaking' && m.speaking === false, 10_000);
    // 'It is sunny.' at 10 ms per character: 100 ms of 16 kHz PCM.
    expect(client.receivedAudio().byteLength).toBe(3200);
    const events = await server.kit.store.listEvents('w1');
    expect(events.map((e) => [e.source.channelId, (e.content as { body?: string }).body])).toEqual(
      expect.arrayContaining([
        ['voice', 'what is the weather'],
        ['agent', 'It is sunny.'],
      ]),
    );
    // The hooks ran here, in the main process, with the worker's session.
    await vi.waitFor(() =>
      expect(hooks.filter((h) => h.trigger === HookTrigger.ON_SPEECH_END).length).toBeGreaterThan(0),
    );
    await client.close();
  });

  it('spreads calls over the workers and mirrors mute to them', async () => {
    await server.kit.createRoom({ roomId: 'w2' });
    const clients = [await call('w2', 'a'), await call('w2', 'b')];
    const channel = server.kit.getChannel('voice') as unknown as { sessionsIn(r: string): unknown[] };
    // The workers report their calls right after the clients hear `ready`.
    await vi.waitFor(() => expect(channel.sessionsIn('w2')).toHaveLength(2));
    expect(server.voiceWorkers?.sessionsPerWorker).toEqual([1, 1]);
    await server.kit.mute('w2', 'voice');
    await new Promise((r) => setTimeout(r, 500)); // bindings are mirrored every 200 ms
    const before = (await server.kit.store.listEvents('w2')).filter(
      (e) => e.source.channelId === 'voice',
    ).length;
    await speak(clients[0]);
    await new Promise((r) => setTimeout(r, 500));
    const after = (await server.kit.store.listEvents('w2')).filter(
      (e) => e.source.channelId === 'voice',
    ).length;
    expect(after).toBe(before);
    // Unmuted again, the same caller is heard.
    await server.kit.unmute('w2', 'voice');
    await new Promise((r) => setTimeout(r, 500));
    await speak(clients[0]);
    await vi.waitFor(async () => {
      const now = (await server.kit.store.listEvents('w2')).filter((e) => e.source.channelId === 'voice');
      expect(now.length).toBe(before + 1);
    });
    for (const c of clients) await c.close();
  });

  it('kit.connectVoice makes the call in a worker; its client, naming it, reaches that worker', async () => {
    await server.kit.createRoom({ roomId: 'w4' });
    const sessions = await Promise.all([
      server.kit.connectVoice('w4', 'agent-call-1', 'voice'),
      server.kit.connectVoice('w4', 'agent-call-2', 'voice'),
    ]);
    expect(server.voiceWorkers?.sessionsPerWorker.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(2);
    for (const [i, session] of sessions.entries()) {
      const token = await server.issueToken({ user: `agent-call-${i + 1}`, rooms: ['w4'] });
      const client = await openVoiceClient(
        `${server.url.replace('http', 'ws')}/voice?token=${token}&sessionId=${session.id}`,
      );
      await client.sendJson({ type: 'start', sessionId: session.id, sampleRate: 16000 });
      const ready = await client.next((m) => m.type === 'ready' || m.type === 'error', 10_000);
      expect(ready).toMatchObject({ type: 'ready', sessionId: session.id, roomId: 'w4' });
      await client.close();
    }
  });

  it('callers joining a call that already lives in a worker do not make that worker look busy', async () => {
    await server.kit.createRoom({ roomId: 'w5' });
    const pool = server.voiceWorkers!;
    const total = () => pool.sessionsPerWorker.reduce((a, b) => a + b, 0);
    const held = await server.kit.connectVoice('w5', 'agent-call', 'voice');
    // Six sockets name the held call and go away without starting (a client retrying, say).
    const token = await server.issueToken({ user: 'agent-call', rooms: ['w5'] });
    for (let i = 0; i < 6; i++) {
      const client = await openVoiceClient(
        `${server.url.replace('http', 'ws')}/voice?token=${token}&sessionId=${held.id}`,
      );
      await client.close();
    }
    const before = total();
    const clients: VoiceTestClient[] = [];
    for (let i = 0; i < 4; i++) {
      clients.push(await call('w5', `new-${i}`));
      await vi.waitFor(() => expect(total()).toBe(before + i + 1));
    }
    // New calls still go where there are fewest calls: the workers end up even. They used to
    // count each of the six as a call on its way, so all four went to the other worker.
    const [a, b] = pool.sessionsPerWorker;
    expect(Math.abs(a! - b!)).toBeLessThanOrEqual(1);
    for (const c of clients) await c.close();
  });

  it("a call's level readings reach the main process's hooks whole, in order, before its end", async () => {
    await server.kit.createRoom({ roomId: 'w6' });
    const client = await call('w6');
    await speak(client);
    await client.close();
    const ended = await vi.waitFor(
      () => {
        const mine = levels.find((l) => l.session.roomId === 'w6');
        const end = hooks.find(
          (h) => h.trigger === HookTrigger.ON_SESSION_ENDED && h.sessionId === mine?.session.id,
        );
        expect(end).toBeDefined();
        return end!;
      },
      { timeout: 10_000 },
    );
    const readings = levels.filter((l) => l.session.id === ended.sessionId);
    // 35 frames of 20 ms, a reading every 100 ms of audio: seven, the last one taken just
    // before the call ended (readings cross in batches of 100 ms; the call's end sends its batch).
    expect(readings).toHaveLength(7);
    expect(readings.every((r) => r.session.roomId === 'w6' && Number.isFinite(r.levelDb))).toBe(true);
    const times = readings.map((r) => Date.parse(r.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    // The voice, then the near-silence after it.
    expect(readings.some((r) => r.isSpeech && r.levelDb > -40)).toBe(true);
    expect(readings.at(-1)!.levelDb).toBeLessThan(-40);
    // Every reading ran before the call's end.
    expect(Math.max(...readings.map((r) => r.seq))).toBeLessThan(ended.seq);
  });

  it('a worker that exits ends its calls (ON_SESSION_ENDED) and a new one takes calls', async () => {
    await server.kit.createRoom({ roomId: 'w3' });
    const client = await call('w3');
    const session = await vi.waitFor(() => {
      const s = hooks.find(
        (h) =>
          h.trigger === HookTrigger.ON_SESSION_STARTED &&
          !hooks.some((e) => e.trigger === HookTrigger.ON_SESSION_ENDED && e.sessionId === h.sessionId),
      );
      expect(s).toBeDefined();
      return s!;
    });
    const pids = server.voiceWorkers?.pids ?? [];
    expect(pids).toHaveLength(2);
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    expect(await client.closed).toBeGreaterThan(0);
    await vi.waitFor(
      () =>
        expect(
          hooks.some((h) => h.trigger === HookTrigger.ON_SESSION_ENDED && h.sessionId === session.sessionId),
        ).toBe(true),
      { timeout: 10_000 },
    );
    // Replacements start (each a new process loading the voice module: seconds on an idle
    // machine, far longer on a CI machine running other suites), then answer new calls.
    const pool = server.voiceWorkers!;
    await vi.waitFor(
      async () => {
        expect(pool.pids.some((pid) => pids.includes(pid))).toBe(false);
        expect(await pool.stats()).toHaveLength(2);
      },
      { timeout: 60_000, interval: 250 },
    );
    const again = await call('w3', 'back');
    await again.close();
  }, 90_000);
});
