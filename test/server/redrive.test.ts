import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeOpenAIServer } from '../../src/testing/fake-ai/index.js';
import { connectClient, type TestClient } from '../helpers/ws-client.js';
import { type CliChild, ROOT, startCli } from './fixtures/cli-process.js';

/**
 * Issue 8 acceptance, "nothing committed goes unanswered after a crash": a real `roomkit serve`
 * (bin/roomkit.js, the compiled CLI) on a SQLite file, its agent the OpenAI client pointed at
 * our fake OpenAI server (slow answers, so work is pending), driven by real WebSocket clients
 * in several rooms, is SIGKILLed under load and restarted on the same file. Every user message
 * committed before the kill must then be answered exactly once, and the model must be asked
 * again only about the messages that had no answer.
 */

const TOKEN = 'redrive-test-console-token-0123';
const ROOMS = ['r1', 'r2', 'r3', 'r4'];
/** Messages acknowledged before the kill (spread over the rooms). */
const MIN_ACKED = 240;
/** In flight per client while loading. */
const WINDOW = 8;
/** The fake model takes this long to start answering: replies are still pending at the kill. */
const ANSWER_DELAY_MS = 400;

const dir = mkdtempSync(join(tmpdir(), 'rk-redrive-serve-'));
const dbPath = join(dir, 'roomkit.db');
const fake = new FakeOpenAIServer({
  apiKey: 'test-key',
  defaultReply: { text: 'the answer', delayMs: ANSWER_DELAY_MS },
});
const children: CliChild[] = [];

beforeAll(async () => {
  await fake.start();
});

afterAll(async () => {
  for (const c of children) if (c.process.exitCode === null && !c.process.killed) c.process.kill('SIGKILL');
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

function serve(): CliChild {
  const child = startCli(
    ['serve', '--port', '0', '--db', dbPath, '--token', TOKEN],
    {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: fake.baseUrl,
      ANTHROPIC_API_KEY: '',
      GRADIUM_API_KEY: '',
      ROOMKIT_LOG_LEVEL: 'info',
    },
    { file: process.execPath, args: [join(ROOT, 'bin', 'roomkit.js')] },
  );
  children.push(child);
  return child;
}

interface Ledger {
  /** User message event id -> number of agent replies to it. */
  answers: Map<string, number>;
  userMessages: string[];
}

/** What the database holds: every user message and how many agent replies answer it. */
function readLedger(): Ledger {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        `SELECT id, source, response_to, status FROM events WHERE room_id IN (${ROOMS.map(() => '?').join(',')})`,
      )
      .all(...ROOMS) as { id: string; source: string; response_to: string | null; status: string }[];
    const answers = new Map<string, number>();
    const userMessages: string[] = [];
    for (const row of rows) {
      const source = JSON.parse(row.source) as { channelId: string };
      if (source.channelId === 'web' && row.status === 'delivered') {
        userMessages.push(row.id);
        if (!answers.has(row.id)) answers.set(row.id, 0);
      }
    }
    for (const row of rows) {
      const source = JSON.parse(row.source) as { channelId: string };
      if (source.channelId === 'agent' && row.response_to && answers.has(row.response_to)) {
        answers.set(row.response_to, answers.get(row.response_to)! + 1);
      }
    }
    return { answers, userMessages };
  } finally {
    db.close();
  }
}

/** Send messages as fast as acks come back, WINDOW at a time, until told to stop. */
function load(client: TestClient, roomId: string, acked: Set<string>, stop: { now: boolean }): Promise<void> {
  let sent = 0;
  let inFlight = 0;
  return new Promise((resolve) => {
    const pump = () => {
      while (!stop.now && inFlight < WINDOW) {
        inFlight++;
        client.send({
          type: 'message',
          roomId,
          clientId: `${roomId}-${sent}`,
          content: { type: 'text', body: `${roomId} question ${sent++}` },
        });
      }
      if (stop.now) resolve();
    };
    client.socket.on('message', (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== 'ack') return;
      inFlight--;
      if (frame.event?.id && !frame.blocked) acked.add(frame.event.id);
      pump();
    });
    client.socket.on('close', () => resolve());
    pump();
  });
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

it('kill -9 of roomkit serve under load, then a restart: every committed user message is answered exactly once', async () => {
  expect(existsSync(join(ROOT, 'dist', 'server', 'bin.js')), 'npm run build first').toBe(true);

  // 1. The first process, four rooms, a client per room sending as fast as it is acknowledged.
  const first = serve();
  const [, url] = await first.waitFor(/^roomkit serve: (\S+)/m, 60_000);
  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  for (const roomId of ROOMS) {
    const res = await fetch(`${url}/api/rooms`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ roomId }),
    });
    expect(res.status).toBe(201);
  }
  const acked = new Set<string>();
  const stop = { now: false };
  const clients: TestClient[] = [];
  const loads: Promise<void>[] = [];
  for (const roomId of ROOMS) {
    const client = await connectClient(`${url.replace('http', 'ws')}/ws?token=${TOKEN}`);
    client.send({ type: 'join', roomId });
    await client.next('joined', 10_000);
    clients.push(client);
    loads.push(load(client, roomId, acked, stop));
  }
  await until(() => acked.size >= MIN_ACKED, 60_000, `${MIN_ACKED} acks`);

  // 2. kill -9 in the middle of it.
  first.process.kill('SIGKILL');
  stop.now = true;
  expect(await first.exited()).toBe(null);
  await Promise.all(loads);
  for (const c of clients) c.socket.terminate();

  const atKill = readLedger();
  const requestsBeforeRestart = fake.requests.length;
  const unanswered = [...atKill.answers].filter(([, n]) => n === 0).map(([id]) => id);
  // No acknowledged message was lost, and the kill did leave work undone.
  for (const id of acked) expect(atKill.answers.has(id), `acked ${id} is committed`).toBe(true);
  expect(unanswered.length).toBeGreaterThan(0);
  expect([...atKill.answers.values()].every((n) => n <= 1)).toBe(true);

  // 3. Restart on the same database: the unanswered messages are answered, once each.
  const restartedAt = performance.now();
  const second = serve();
  await second.waitFor(/^roomkit serve: (\S+)/m, 60_000);
  const readyAt = performance.now();
  let after = readLedger();
  await until(
    () => {
      after = readLedger();
      return [...after.answers.values()].every((n) => n >= 1);
    },
    60_000,
    'every committed message to be answered',
  );
  const drainedAt = performance.now();
  // Give a duplicate the chance to show up before counting.
  await new Promise((r) => setTimeout(r, ANSWER_DELAY_MS * 2));
  after = readLedger();
  expect(after.userMessages.length).toBe(atKill.userMessages.length);
  expect([...after.answers.values()].every((n) => n === 1)).toBe(true);
  // The model was asked again only about the messages that had no answer.
  expect(fake.requests.length - requestsBeforeRestart).toBe(unanswered.length);
  // The restarted server logs what it resumed, per room (ROOMKIT_LOG_LEVEL=info).
  const resumed = second
    .stderr()
    .split('\n')
    .filter((line) => line.includes('"msg":"delivery resumed after restart"'))
    .map((line) => JSON.parse(line) as { roomId: string; events: number; skippedReplies: number });
  expect(resumed.map((r) => r.roomId).sort()).toEqual(ROOMS);

  const figures = {
    committedUserMessages: atKill.userMessages.length,
    ackedBeforeKill: acked.size,
    unansweredAtKill: unanswered.length,
    answeredAfterRestart: unanswered.length,
    roomsResumed: resumed.length,
    eventsRedriven: resumed.reduce((n, r) => n + r.events, 0),
    alreadyAnsweredNotAskedAgain: resumed.reduce((n, r) => n + r.skippedReplies, 0),
    restartToReadyMs: Math.round(readyAt - restartedAt),
    readyToDrainedMs: Math.round(drainedAt - readyAt),
  };
  console.log(`redrive figures: ${JSON.stringify(figures)}`);

  second.process.kill('SIGTERM');
  expect(await second.exited()).toBe(0);
}, 180_000);
