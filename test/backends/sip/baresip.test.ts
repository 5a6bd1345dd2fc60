import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalSTTProvider, LocalTTSProvider } from '../../../src/providers/local/index.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { MockAIProvider } from '../../../src/testing/index.js';
import { decodeWav } from '../../../src/voice/audio/wav.js';
import { connectClient } from '../../helpers/ws-client.js';
import { startBaresip } from './baresip.js';
import { memoryLogger } from './helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

const QUESTION = 'What is the weather like today?';
const ANSWER = 'The weather is nice today.';
const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

describe('baresip calls roomkit serve --sip (real softphone, offline speech both ways)', () => {
  // Real time end to end (a softphone, RTP, pocketsphinx both ways). The question is flite's
  // 8 kHz voice: pocketsphinx decoded its first utterance with a running cepstral mean and
  // heard "what a what a what a bear" one run in three, alone; with the utterance's own mean
  // (LocalSTTProvider.transcribe) it hears "... weather like today", now and then "whether".
  // The retries stay for load: a loaded machine can still garble the line.
  it("asks a spoken question over G.722, hears the agent's answer, and a web client sees both", {
    retry: 2,
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rk-baresip-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const question = join(dir, 'question.wav');
    const spoken = join(dir, 'spoken.wav');
    execFileSync('flite', ['-t', QUESTION, '-o', spoken]);
    // baresip hangs up when its microphone file ends: the question, then a long silence.
    execFileSync('sox', [spoken, '-r', '16000', question, 'pad', '0.3', '20']);
    const stt = new LocalSTTProvider();
    const server: RunningServer = await startServer({
      port: 0,
      dbPath: join(dir, 'roomkit.db'),
      logger: memoryLogger(),
      aiProvider: new MockAIProvider({ responses: [ANSWER] }),
      voice: { stt, tts: new LocalTTSProvider({ engine: 'flite' }), label: 'offline' },
      sip: { port: 0 },
    });
    cleanup.push(() => server.close());
    const web = await connectClient(`${server.url.replace('http', 'ws')}/ws?token=${server.token}`);
    cleanup.push(() => web.close());
    web.send({ type: 'join', roomId: 'lobby' });
    await web.next('joined');

    const { baresip, cleanup: removeFiles } = await startBaresip({
      microphoneWav: question,
      target: `sip:lobby@127.0.0.1:${server.sip!.ports.udp}`,
      codecs: 'G722/16000/1',
    });
    cleanup.push(removeFiles);
    cleanup.push(() => baresip.stop());
    // The question, as pocketsphinx heard it through the phone line, is in the room...
    const asked = await web.next(
      (f) => JSON.stringify(f).includes('voice-sip') && /weather|whether/.test(JSON.stringify(f)),
      20_000,
    );
    expect(asked).toBeDefined();
    // ...and so is the agent's answer, which the phone then hears spoken.
    await web.next((f) => JSON.stringify(f).includes(ANSWER), 10_000);
    const call = server.sip!.backend.listSessions('lobby')[0];
    expect(call?.metadata.codec).toBe('G722');
    expect(server.sip!.backend.sampleRateFor(call)).toBe(16000);
    // Let the answer play out (flite speaks it in about two seconds), then hang up.
    await new Promise((r) => setTimeout(r, 3500));
    await baresip.stop();
    const recording = baresip.recordings().find((f) => f.includes('dec'));
    expect(recording, `${baresip.recordings().join(', ')}\n${baresip.output().slice(-2000)}`).toBeDefined();
    const wav = decodeWav(readFileSync(recording!));
    const heard = await stt.transcribe({
      data: wav.samples,
      sampleRate: wav.sampleRate,
      channels: wav.channels,
    });
    const hits = words(ANSWER).filter((w) => words(heard.text).includes(w));
    expect(hits.length, `phone heard "${heard.text}"`).toBeGreaterThanOrEqual(3);
    const stored = await server.kit.store.listEvents('lobby');
    expect(stored.map((e) => e.source.channelId)).toEqual(expect.arrayContaining(['voice-sip', 'agent']));
  });
});
