import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalAgentProvider, type RunningServer, startServer } from '../../src/server/index.js';
import { MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { rawRequest, rawUpgrade } from '../server/fixtures/raw-http.js';
import { connectClient, type TestClient } from '../helpers/ws-client.js';
import { memoryLogger, openVoiceClient, type VoiceTestClient } from '../voice/backends/voice-ws-client.js';
import { FuzzRandom } from './fuzz-random.js';

/**
 * Seeded, bounded fuzzing of everything `roomkit serve` exposes: the HTTP API, upgrades,
 * `/ws` and `/voice`. No case may crash the server, get a 500 or an `internal` error, or
 * stall it; a well-behaved client keeps chatting with the agent throughout. Replay a run
 * with ROOMKIT_FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.ROOMKIT_FUZZ_SEED ?? 20_261_130);
const CASES = { http: 1_500, upgrade: 300, ws: 2_000, voice: 1_200 };

const WS_CODES = new Set([
  'invalid_json',
  'invalid_message',
  'unknown_type',
  'too_large',
  'forbidden',
  'not_joined',
  'room_not_found',
  'room_closed',
  'rate_limited',
]);
const VOICE_CODES = new Set([
  'invalid_json',
  'invalid_message',
  'unknown_type',
  'too_large',
  'odd_length',
  'bad_base64',
  'not_started',
  'already_started',
  'unsupported_sample_rate',
  'unsupported_framing',
  'missing_room',
  'room_not_found',
  'forbidden',
  'session_not_found',
]);
/** Our answers, plus what Node's HTTP parser says to requests it cannot parse (no body). */
const HTTP_STATUSES = new Set([200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 431, 505]);

let dir: string;
let server: RunningServer;
let port: number;
let scoped: string;
let healthy: TestClient;
const logger = memoryLogger();
const counts = { http: 0, upgrade: 0, ws: 0, voice: 0, healthChecks: 0 };
const started = performance.now();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rk-fuzz-'));
  server = await startServer({
    port: 0,
    dbPath: join(dir, 'fuzz.db'),
    aiProvider: new LocalAgentProvider(),
    voice: { stt: new MockSTTProvider(), tts: new MockTTSProvider(), label: 'mock' },
    logger,
  });
  port = Number(new URL(server.url).port);
  scoped = await server.issueToken({ user: 'scoped', rooms: ['lobby'] });
  healthy = await connectClient(`${server.url.replace('http', 'ws')}/ws?token=${server.token}`);
  healthy.send({ type: 'join', roomId: 'lobby', history: 0 });
  await healthy.next('joined');
}, 30_000);

afterAll(async () => {
  await healthy?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
  const total = counts.http + counts.upgrade + counts.ws + counts.voice;
  console.log(
    `fuzz seed ${SEED}: ${total} cases (${JSON.stringify(counts)}) in ${Math.round(performance.now() - started)} ms`,
  );
});

let probe = 0;
/** The well-behaved client: its message is acked and the agent answers it. */
async function stillServing(): Promise<void> {
  const body = `health check ${++probe}`;
  const clientId = `probe-${probe}`;
  healthy.send({ type: 'message', roomId: 'lobby', clientId, content: { type: 'text', body } });
  const ack = await healthy.next((f) => f.type === 'ack' && f.clientId === clientId, 10_000);
  expect(ack.blocked).toBe(false);
  await healthy.next(
    (f) =>
      f.type === 'event' &&
      f.event.source.channelId === 'agent' &&
      JSON.stringify(f.event.content).includes(body),
    10_000,
  );
  counts.healthChecks++;
}

function tokenParam(r: FuzzRandom): string {
  return r.pick([
    `token=${server.token}`,
    `token=${server.token}`,
    `token=${scoped}`,
    `token=${safeEncode(r.text(30))}`,
    'token=',
    '',
    `token=${server.token}&token=x`,
  ]);
}

/** encodeURIComponent throws on lone surrogates; those cases go out raw instead. */
function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}

function randomTarget(r: FuzzRandom): string {
  const junk = () => r.text(12);
  const path = r.pick([
    '/',
    '/app.js',
    '/style.css',
    '/healthz',
    '/api/info',
    '/api/rooms',
    '/api/rooms',
    '/api/rooms/lobby/events',
    `/api/rooms/${junk()}/events`,
    `/api/rooms/${safeEncode(junk())}/events`,
    '/api/rooms/lobby',
    `/api/${junk()}`,
    `/${junk()}`,
    `//${junk()}`,
    '/..%2f..%2fpackage.json',
    '/style.css/../../package.json',
    `/ws`,
    `/voice`,
    `http://127.0.0.1:${port}/api/info`,
    `http://[${junk()}/`,
    '*',
  ]);
  const query = [tokenParam(r)];
  if (r.chance(0.3)) query.push(`limit=${r.pick(['1', '0', '-5', 'abc', '99999999999999999999', junk()])}`);
  if (r.chance(0.2)) query.push(`beforeIndex=${r.pick(['0', '3', '-1', 'x', junk()])}`);
  if (r.chance(0.1)) query.push(`user=${junk()}`);
  return `${path}?${query.filter(Boolean).join('&')}`;
}

function randomHeaders(r: FuzzRandom): string[] {
  const h: string[] = [];
  const host = r.pick([
    `127.0.0.1:${port}`,
    `127.0.0.1:${port}`,
    `localhost:${port}`,
    'evil.example',
    '',
    `[::1]:${port}`,
    r.text(10),
    null,
  ]);
  if (host !== null) h.push(`Host: ${host}`);
  if (r.chance(0.3))
    h.push(`Origin: ${r.pick([`http://127.0.0.1:${port}`, 'https://evil.example', 'null', r.text(15)])}`);
  if (r.chance(0.2))
    h.push(
      `Authorization: ${r.pick([`Bearer ${server.token}`, `Bearer ${r.text(20)}`, r.text(20), 'Bearer '])}`,
    );
  if (r.chance(0.3)) h.push(`Content-Type: ${r.pick(['application/json', 'text/plain', r.text(10)])}`);
  if (r.chance(0.05)) h.push(`X-Big: ${'a'.repeat(r.int(1_000, 20_000))}`);
  return h;
}

function randomBody(r: FuzzRandom): Buffer {
  const kind = r.int(0, 6);
  if (kind === 0) return Buffer.alloc(0);
  if (kind === 1)
    return Buffer.from(
      JSON.stringify({ roomId: r.pick(['lobby', `room-${r.int(0, 50)}`, r.text(10), r.json()]) }),
    );
  if (kind === 2) return Buffer.from(JSON.stringify(r.json()));
  if (kind === 3) return r.bytes(r.int(1, 300));
  if (kind === 4) return Buffer.from(r.text(200), 'utf8');
  if (kind === 5) return Buffer.alloc(r.int(65 * 1024, 90 * 1024), 'a');
  return Buffer.from(`{"roomId":"${r.text(8)}"`);
}

/**
 * An open socket answers a ping within 10 s, unless the server is closing it (a protocol
 * violation earlier in the batch): then the close handshake has started (CLOSING or CLOSED).
 */
async function pongOrClosed(c: { socket: WebSocket; frames?: any[]; messages?: any[] }): Promise<boolean> {
  const frames = c.frames ?? c.messages!;
  const seen = frames.length;
  c.socket.send(JSON.stringify({ type: 'ping' }));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (frames.slice(seen).some((f) => f.type === 'pong')) return true;
    if (c.socket.readyState !== WebSocket.OPEN) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** Runs `n` async cases with at most `width` at once. */
async function pool(n: number, width: number, run: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await run(next++);
    }),
  );
}

describe(`roomkit serve under fuzzing (seed ${SEED})`, () => {
  it(`HTTP API: ${CASES.http} random requests, never a 500, typed errors only`, async () => {
    const r = new FuzzRandom(SEED);
    const requests = Array.from({ length: CASES.http }, () => {
      const method = r.pick([
        'GET',
        'GET',
        'GET',
        'POST',
        'POST',
        'PUT',
        'DELETE',
        'OPTIONS',
        'HEAD',
        'PATCH',
        'BREW',
      ]);
      const body = method === 'POST' || r.chance(0.05) ? randomBody(r) : Buffer.alloc(0);
      const head = [`${method} ${randomTarget(r)} HTTP/1.1`, ...randomHeaders(r), 'Connection: close'];
      if (body.length) head.push(`Content-Length: ${body.length}`);
      return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'utf8'), body]);
    });
    await pool(requests.length, 8, async (i) => {
      const res = await rawRequest(port, requests[i]!, 10_000);
      counts.http++;
      const where = `case ${i}: ${requests[i]!.toString('latin1').split('\r\n')[0]!.slice(0, 120)}`;
      expect(HTTP_STATUSES.has(res.status), `${where} -> ${res.status}`).toBe(true);
      if (res.status >= 400 && res.body.trim()) {
        const body = JSON.parse(res.body);
        expect(
          typeof body.code,
          `${where}\n${JSON.stringify(requests[i]!.toString('latin1').slice(0, 600))}\n${res.head}\n${res.body}`,
        ).toBe('string');
        expect(typeof body.error, where).toBe('string');
      }
      if (i % 200 === 199) await stillServing();
    });
    await stillServing();
  }, 60_000);

  it(`upgrades: ${CASES.upgrade} random WebSocket handshakes are answered (101 or a 4xx), never left hanging`, async () => {
    const r = new FuzzRandom(SEED + 1);
    await pool(CASES.upgrade, 8, async (i) => {
      const target = `${r.pick(['/ws', '/voice', '/nope', '//ws', `/${r.text(8)}`, '/ws/'])}?${tokenParam(r)}`;
      const headers = r.chance(0.5) ? randomHeaders(r).filter((h) => !h.startsWith('Host:')) : [];
      const res = await rawUpgrade(port, target, headers);
      counts.upgrade++;
      expect([101, 400, 401, 403, 404, 431], `case ${i}: ${target} -> ${res.status}`).toContain(res.status);
    });
    await stillServing();
  }, 60_000);

  it(`/ws: ${CASES.ws} random frames get typed errors, nothing stalls`, async () => {
    const r = new FuzzRandom(SEED + 2);
    const wsUrl = (token: string) => `${server.url.replace('http', 'ws')}/ws?token=${token}`;
    const errors: string[] = [];
    const closeCodes: number[] = [];
    const open = async () => {
      const c = await connectClient(wsUrl(r.chance(0.7) ? server.token : scoped));
      c.socket.on('close', (code) => closeCodes.push(code));
      await c.next('ready');
      return c;
    };
    const conns = await Promise.all([open(), open(), open()]);
    const templates = () => [
      {
        type: 'join',
        roomId: r.pick(['lobby', 'lobby', `room-${r.int(0, 50)}`, r.text(10)]),
        history: r.int(0, 600),
      },
      { type: 'leave', roomId: 'lobby' },
      { type: 'message', roomId: 'lobby', content: { type: 'text', body: r.text(40) }, clientId: r.text(5) },
      {
        type: 'message',
        roomId: 'lobby',
        content: r.mutate({
          type: r.pick(['text', 'rich', 'media', 'location', 'system', 'audio']),
          body: r.text(10),
          url: r.text(10),
          latitude: r.json(),
          format: 'markdown',
        }),
      },
      { type: 'typing', roomId: 'lobby', typing: r.json() },
      { type: 'history', roomId: 'lobby', beforeIndex: r.json(), limit: r.json() },
      { type: 'ping' },
    ];
    for (let i = 0; i < CASES.ws; i++) {
      const slot = i % conns.length;
      let c = conns[slot]!;
      if (c.socket.readyState !== WebSocket.OPEN) {
        for (const f of c.frames) if (f.type === 'error') errors.push(f.code);
        c = conns[slot] = await open();
      }
      const kind = r.int(0, 19);
      if (kind < 10) c.send(JSON.stringify(r.mutate(r.pick(templates()))));
      else if (kind < 13) c.send(JSON.stringify(r.json()));
      else if (kind < 15) c.send(r.text(60));
      else if (kind < 17) c.socket.send(r.bytes(r.int(0, 500)), { binary: true });
      else if (kind < 18)
        c.send(
          JSON.stringify({
            type: 'message',
            roomId: 'lobby',
            content: { type: 'text', body: 'y'.repeat(r.int(60_000, 200_000)) },
          }),
        );
      else if (kind < 19) c.socket.send(r.bytes(r.int(1, 50)), { binary: false });
      else c.send(JSON.stringify(templates()[0]));
      counts.ws++;
      if (i % 100 === 99) {
        // Every open socket still answers (or was closed for a protocol violation, below).
        for (const k of conns.filter((x) => x.socket.readyState === WebSocket.OPEN)) {
          expect(await pongOrClosed(k), `case ${i}`).toBe(true);
        }
      }
      if (i % 300 === 299) await stillServing();
    }
    for (const c of conns) {
      for (const f of c.frames) if (f.type === 'error') errors.push(f.code);
      c.socket.terminate();
    }
    // The server closes only for protocol violations: invalid UTF-8 (1007), an absurd frame (1009).
    const byServer = closeCodes.filter((code) => code !== 1005 && code !== 1006);
    expect(byServer.filter((code) => code !== 1007 && code !== 1009)).toEqual([]);
    const unknown = errors.filter((code) => !WS_CODES.has(code));
    expect(unknown, `untyped or internal errors: ${unknown.join(', ')}`).toEqual([]);
    expect(errors.length).toBeGreaterThan(CASES.ws / 4);
    await stillServing();
  }, 60_000);

  it(`/voice: ${CASES.voice} random frames get typed errors, nothing stalls`, async () => {
    const r = new FuzzRandom(SEED + 3);
    const errors: string[] = [];
    // The voice client takes binary audio frames as well as JSON ones.
    const open = () =>
      openVoiceClient(
        `${server.url.replace('http', 'ws')}/voice?token=${r.chance(0.7) ? server.token : scoped}`,
      );
    const conns = await Promise.all([open(), open()]);
    const collect = (c: VoiceTestClient) => {
      for (const f of c.messages) if (f.type === 'error') errors.push(f.code);
    };
    for (let i = 0; i < CASES.voice; i++) {
      const slot = i % conns.length;
      let c = conns[slot]!;
      if (c.socket.readyState !== WebSocket.OPEN) {
        collect(c);
        c = conns[slot] = await open();
      }
      const kind = r.int(0, 19);
      if (kind < 5) {
        c.socket.send(
          JSON.stringify(
            r.mutate({
              type: 'start',
              sampleRate: r.pick([8000, 16000, 24000, 48000, 44100, 0, -1]),
              roomId: r.pick(['lobby', 'lobby', 'nowhere', `room-${r.int(0, 9)}`]),
              framing: r.pick(['binary', 'json', 'xml']),
            }),
          ),
        );
      } else if (kind < 10)
        c.socket.send(r.bytes(r.pick([0, 1, 320, 321, 640, 3_999, 70_000])), { binary: true });
      else if (kind < 13)
        c.socket.send(
          JSON.stringify({
            type: 'audio',
            data: r.pick([Buffer.from(r.bytes(320)).toString('base64'), r.text(30), '====', 'QQ']),
          }),
        );
      else if (kind < 14) c.socket.send('{"type":"stop"}');
      else if (kind < 15) c.socket.send('{"type":"ping"}');
      else if (kind < 18) c.socket.send(JSON.stringify(r.json()));
      else c.socket.send(r.text(40));
      counts.voice++;
      if (i % 100 === 99) {
        for (const k of conns.filter((x) => x.socket.readyState === WebSocket.OPEN)) {
          expect(await pongOrClosed(k), `case ${i}: ${JSON.stringify(k.messages.slice(-6))}`).toBe(true);
        }
        await stillServing();
      }
    }
    for (const c of conns) {
      collect(c);
      c.socket.terminate();
    }
    const unknown = errors.filter((code) => !VOICE_CODES.has(code));
    expect(unknown, `untyped or internal errors: ${unknown.join(', ')}`).toEqual([]);
    expect(errors.length).toBeGreaterThan(CASES.voice / 8); // the run did reach the error paths
    // A well-behaved voice client still gets a session.
    const v = await open();
    v.socket.send(JSON.stringify({ type: 'start', roomId: 'lobby', sampleRate: 16000 }));
    expect(await v.next((f) => f.type === 'ready' || f.type === 'error', 10_000)).toMatchObject({
      type: 'ready',
    });
    v.socket.terminate();
  }, 60_000);

  it('logged no internal failure and no credential', () => {
    const errorLines = logger.lines.filter((l) => l.level === 'error');
    expect(errorLines.map((l) => `${l.msg} ${JSON.stringify(l.obj)}`)).toEqual([]);
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain(server.token);
    expect(logged).not.toContain(scoped);
  });
});
