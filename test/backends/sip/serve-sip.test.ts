import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../../src/server/cli-options.js';
import { type RunningServer, startServer } from '../../../src/server/index.js';
import { MockAIProvider, MockSTTProvider, MockTTSProvider } from '../../../src/testing/index.js';
import { connectClient } from '../../helpers/ws-client.js';
import { memoryLogger } from './helpers.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

describe('roomkit serve --sip', () => {
  it('parses --sip and ROOMKIT_SIP_PORT, refusing bad ports', () => {
    expect(parseCommandLine(['serve', '--sip', '5070'], {})).toMatchObject({
      command: 'serve',
      sipPort: 5070,
    });
    expect(parseCommandLine(['serve'], { ROOMKIT_SIP_PORT: '0' })).toMatchObject({ sipPort: 0 });
    expect(parseCommandLine(['serve'], {})).toMatchObject({ sipPort: undefined });
    expect(() => parseCommandLine(['serve', '--sip', 'x'], {})).toThrow(UsageError);
    expect(() => parseCommandLine(['serve', '--sip', '70000'], {})).toThrow(/--sip: invalid port/);
  });

  it('answers a phone call into the lobby; a WebSocket client sees the caller and the agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rk-serve-sip-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const server: RunningServer = await startServer({
      port: 0,
      dbPath: join(dir, 'roomkit.db'),
      logger: memoryLogger(),
      aiProvider: new MockAIProvider({ responses: ['Your order ships today.'] }),
      voice: {
        stt: new MockSTTProvider({ transcripts: ['where is my order'] }),
        tts: new MockTTSProvider(),
        label: 'mock',
      },
      sip: { port: 0 },
    });
    cleanup.push(() => server.close());
    const sipPort = server.sip!.ports.udp!;
    const web = await connectClient(`${server.url.replace('http', 'ws')}/ws?token=${server.token}`);
    cleanup.push(() => web.close());
    web.send({ type: 'join', roomId: 'lobby' });
    await web.next('joined');
    const call = sippCaller('uac-talk.xml', sipPort, cleanup, { service: 'lobby' });
    const heard = await web.next((f) => JSON.stringify(f).includes('where is my order'), 15_000);
    expect(JSON.stringify(heard)).toContain('voice-sip');
    await web.next((f) => JSON.stringify(f).includes('Your order ships today.'), 10_000);
    const result = await call;
    expect(result.code, result.errors).toBe(0);
    const stored = await server.kit.store.listEvents('lobby');
    expect(stored.map((e) => e.source.channelId)).toEqual(expect.arrayContaining(['voice-sip', 'agent']));
  });
});
