import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { serveClientLibrary } from '../../src/server/webrtc-wiring.js';
import { launchChromium } from '../helpers/browser.js';
import { ensureClientBuilt } from './build-client.js';

/**
 * The test page: imports the client library as a page would (/client/roomkit-client.js) and
 * records everything it emits, with the page's epoch clock, for the test to read back.
 */
export const TEST_PAGE = `<!doctype html><meta charset="utf-8"><title>roomkit client test</title>
<script type="module">
import * as roomkit from '/client/roomkit-client.js';
const now = () => performance.timeOrigin + performance.now();
const rk = (window.rk = { roomkit, transcripts: [], speaking: [], clears: [], notices: [], states: [], levels: [], maxOutput: -100, maxInput: -100, messages: [] });
function record(emitter) {
  emitter.on('transcript', (t) => rk.transcripts.push({ ...t, at: now() }));
  emitter.on('speaking', (s) => rk.speaking.push({ ...s, at: now() }));
  emitter.on('clear', (c) => rk.clears.push(c));
  emitter.on('notice', (n) => rk.notices.push(n));
  emitter.on('state', (s) => rk.states.push(s));
  emitter.on('level', (l) => {
    rk.levels.push([now(), l.output]);
    if (rk.levels.length > 20000) rk.levels.splice(0, 10000);
    rk.maxOutput = Math.max(rk.maxOutput, l.output);
    rk.maxInput = Math.max(rk.maxInput, l.input);
  });
}
window.startCall = async (opts) => {
  const call = roomkit.VoiceCall.create({ levelIntervalMs: 5, ...opts });
  record(call);
  window.call = call;
  await call.connect();
  return { transport: call.transport, sessionId: call.sessionId };
};
window.startClient = async (opts, roomId) => {
  const client = new roomkit.RoomClient(opts);
  record(client);
  client.on('message', (m) => rk.messages.push(m));
  window.client = client;
  await client.connect();
  await client.join(roomId);
  return client.userId;
};
window.pageReady = true;
</script>`;

export interface PageServer {
  http: Server;
  url: string;
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 serving the test page and the client library; `mount` adds the rest. */
export async function startPageServer(mount: (http: Server) => void = () => {}): Promise<PageServer> {
  ensureClientBuilt();
  const http = createServer((req, res) => {
    if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(TEST_PAGE);
      return;
    }
    if (!res.headersSent) res.writeHead(404).end();
  });
  serveClientLibrary(http);
  mount(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    http,
    url: `http://127.0.0.1:${port}`,
    async close() {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

export interface MicFile {
  path: string;
  dir: string;
  cleanup(): void;
}

/** A fake microphone: flite's rms voice saying `text`, 48 kHz mono, padded with silence. */
export function fliteMic(text: string, padBeforeS = 0.5, padAfterS = 3): MicFile {
  const dir = mkdtempSync(join(tmpdir(), 'rk-webrtc-mic-'));
  const raw = join(dir, 'raw.wav');
  const path = join(dir, 'mic.wav');
  execFileSync('flite', ['-voice', 'rms', '-t', text, '-o', raw]);
  execFileSync('sox', [
    raw,
    '-r',
    '48000',
    '-c',
    '1',
    '-b',
    '16',
    path,
    'pad',
    String(padBeforeS),
    String(padAfterS),
  ]);
  return { path, dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Headless Chromium whose microphone plays `micWav` in a loop (loopback only). */
export function launchWithMic(micWav: string): Promise<Browser> {
  return launchChromium([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${micWav}`,
    '--autoplay-policy=no-user-gesture-required',
    // Host candidates as IPs (not mDNS names) and a loopback candidate: this machine has no network.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    '--allow-loopback-in-peer-connection',
  ]);
}

/**
 * One Chromium per test file, its microphone a flite recording of `text` (looping), and
 * cleanups registered during a test run after it, last first.
 */
export function useMicBrowser(text: string, padBeforeS = 0.5, padAfterS = 3) {
  let browser: Browser | undefined;
  let mic: MicFile | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    mic = fliteMic(text, padBeforeS, padAfterS);
    browser = await launchWithMic(mic.path);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    mic?.cleanup();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return {
    get browser(): Browser {
      if (!browser) throw new Error('Chromium is not running (beforeAll failed?)');
      return browser;
    },
    /** Run after the current test (the last registered first). */
    cleanup(...fns: (() => unknown)[]): void {
      cleanups.push(...fns);
    },
  };
}

/** Open the test page and wait for its module to load. */
export async function openTestPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page
    .waitForFunction(() => (globalThis as any).pageReady === true, null, { timeout: 15_000 })
    .catch((error) => {
      throw new Error(`test page did not load: ${error.message}; page errors: ${errors.join('; ')}`);
    });
  return page;
}

/** What the page recorded (see TEST_PAGE). */
export interface Recorded {
  transcripts: { text: string; role: string; final: boolean; at: number }[];
  speaking: { speaking: boolean; who: string; at: number }[];
  clears: { at: number }[];
  notices: { level: string; code: string; message: string }[];
  states: { state: string; transport?: string; reason?: string }[];
  levels: [number, number][];
  maxOutput: number;
  maxInput: number;
  messages: Record<string, any>[];
}

export function recorded(page: Page): Promise<Recorded> {
  return page.evaluate(() => {
    const rk = (globalThis as any).rk;
    return JSON.parse(JSON.stringify({ ...rk, roomkit: undefined }));
  });
}

/** Node's epoch clock, comparable with the page's (same machine). */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
