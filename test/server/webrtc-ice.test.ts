import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { turnRestCredentials, withTurnRestCredentials } from '../../src/backends/webrtc/index.js';
import { redactSecrets } from '../../src/core/redact.js';
import { parseCommandLine } from '../../src/server/cli.js';
import { LocalAgentProvider, type RunningServer, startServer } from '../../src/server/index.js';
import type { ServeWebRTCOptions } from '../../src/server/webrtc-ice.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { MockRealtimeProvider, MockSTTProvider, MockTTSProvider } from '../../src/testing/index.js';
import { memoryLogger } from '../backends/webrtc/helpers.js';
import { TurnServer } from '../backends/webrtc/turn-server.js';
import { WeriftClient } from '../backends/webrtc/werift-client.js';
import { cliInProcess as cli, startCli } from './fixtures/cli-process.js';

/** Issue 13: `roomkit serve` takes STUN/TURN servers, uses them itself and hands them to browsers. */

const STUN = 'stun:stun.example.com:3478';
const TURN = 'turn:turn.example.com:3478?transport=udp';
const TURNS = 'turns:turn.example.com:5349';
const PASSWORD = 'long-lived-turn-password';
const SECRET = 'coturn-static-auth-secret';

const serveOf = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const command = parseCommandLine(['serve', ...argv], env);
  if (command.command !== 'serve') throw new Error(`not serve: ${command.command}`);
  return command;
};

describe('--ice-server and ROOMKIT_ICE_SERVERS', () => {
  it('no flag and no variable: no ICE configuration (host candidates only, as before)', () => {
    expect(serveOf([]).webrtc).toBeUndefined();
  });

  it('repeatable and comma lists; STUN and TURN URLs grouped, TURN with the static credentials', () => {
    const env = { ROOMKIT_TURN_USERNAME: 'rk', ROOMKIT_TURN_CREDENTIAL: PASSWORD };
    const cmd = serveOf(['--ice-server', STUN, '--ice-server', `${TURN}, ${TURNS}`], env);
    expect(cmd.webrtc).toEqual({
      iceServers: [{ urls: STUN }, { urls: [TURN, TURNS], username: 'rk', credential: PASSWORD }],
      turnSecret: undefined,
      turnCredentialTtlSeconds: undefined,
    });
    // The same from the environment; a flag wins over the variable, like every other option.
    expect(serveOf([], { ...env, ROOMKIT_ICE_SERVERS: `${STUN},${TURN},${TURNS}` }).webrtc).toEqual(
      cmd.webrtc,
    );
    expect(
      serveOf(['--ice-server', STUN], { ROOMKIT_ICE_SERVERS: 'stun:other.example:3478' }).webrtc,
    ).toEqual({ iceServers: [{ urls: STUN }], turnSecret: undefined, turnCredentialTtlSeconds: undefined });
  });

  it('ROOMKIT_ICE_SERVERS as a JSON array of RTCIceServer keeps its own credentials', () => {
    const json = JSON.stringify([
      { urls: [STUN] },
      { urls: TURN, username: 'a', credential: 'b' },
      { urls: TURNS },
    ]);
    const cmd = serveOf([], {
      ROOMKIT_ICE_SERVERS: json,
      ROOMKIT_TURN_SECRET: SECRET,
      ROOMKIT_TURN_TTL: '3600',
    });
    expect(cmd.webrtc).toEqual({
      iceServers: [{ urls: [STUN] }, { urls: TURN, username: 'a', credential: 'b' }, { urls: TURNS }],
      turnSecret: SECRET,
      turnCredentialTtlSeconds: 3600,
    });
  });

  it('ROOMKIT_TURN_SECRET: the TURN entries stay without credentials (they are minted per user)', () => {
    const cmd = serveOf(['--ice-server', TURN], { ROOMKIT_TURN_SECRET: SECRET });
    expect(cmd.webrtc).toEqual({
      iceServers: [{ urls: TURN }],
      turnSecret: SECRET,
      turnCredentialTtlSeconds: undefined,
    });
  });

  it.each([
    [['--ice-server'], {}, /'--ice-server <value>' argument missing/],
    [['--ice-server='], {}, /--ice-server is empty/],
    [['--ice-server', 'http://stun.example.com'], {}, /--ice-server: not a STUN\/TURN URL/],
    [['--ice-server', 'stun:stun.example.com:70000'], {}, /not a STUN\/TURN URL/],
    [['--ice-server', 'stun:stun.example.com?transport=udp'], {}, /not a STUN\/TURN URL/],
    [['--ice-server', `${STUN},`], {}, /--ice-server: an empty URL/],
    [['--ice-server', TURN], {}, /needs TURN credentials: ROOMKIT_TURN_USERNAME/],
    [['--ice-server', TURN], { ROOMKIT_TURN_USERNAME: 'rk' }, /go together/],
    [['--ice-server', TURN], { ROOMKIT_TURN_CREDENTIAL: PASSWORD }, /go together/],
    [
      ['--ice-server', TURN],
      { ROOMKIT_TURN_USERNAME: 'rk', ROOMKIT_TURN_CREDENTIAL: PASSWORD, ROOMKIT_TURN_SECRET: SECRET },
      /exclude each other/,
    ],
    [
      ['--ice-server', TURN],
      { ROOMKIT_TURN_SECRET: SECRET, ROOMKIT_TURN_TTL: '10' },
      /ROOMKIT_TURN_TTL: seconds/,
    ],
    [
      ['--ice-server', TURN],
      { ROOMKIT_TURN_SECRET: SECRET, ROOMKIT_TURN_TTL: '1h' },
      /ROOMKIT_TURN_TTL: seconds/,
    ],
    [['--ice-server', STUN], { ROOMKIT_TURN_TTL: '3600' }, /ROOMKIT_TURN_TTL needs ROOMKIT_TURN_SECRET/],
    [['--ice-server', STUN], { ROOMKIT_TURN_SECRET: SECRET }, /none of the ICE servers is a turn/],
    [[], { ROOMKIT_TURN_SECRET: SECRET }, /no --ice-server/],
    [[], { ROOMKIT_TURN_SECRET: '' }, /ROOMKIT_TURN_SECRET is empty/],
    [[], { ROOMKIT_ICE_SERVERS: '' }, /ROOMKIT_ICE_SERVERS is empty/],
    [[], { ROOMKIT_ICE_SERVERS: 'stun:a.example:3478;turn:b' }, /ROOMKIT_ICE_SERVERS: not a STUN/],
    [[], { ROOMKIT_ICE_SERVERS: `[{"urls":"${TURN}","credential":"${PASSWORD}"` }, /not valid JSON/],
    [[], { ROOMKIT_ICE_SERVERS: '[]' }, /non-empty JSON array/],
    [[], { ROOMKIT_ICE_SERVERS: '["stun:a.example"]' }, /each ICE server is an object/],
    [[], { ROOMKIT_ICE_SERVERS: `[{"url":"${STUN}"}]` }, /unknown ICE server field "url"/],
    [
      [],
      { ROOMKIT_ICE_SERVERS: `[{"urls":"${TURN}","credential":"${PASSWORD}"}]` },
      /needs both a username and a credential/,
    ],
    [
      [],
      {
        ROOMKIT_ICE_SERVERS: `[{"urls":"${TURN}","username":"u","credential":"${PASSWORD}"}]`,
        ROOMKIT_TURN_SECRET: SECRET,
      },
      /every TURN server already has its own credentials/,
    ],
  ])(
    'serve %j with %j is a usage error (exit 2) that never quotes a credential',
    async (argv, env, message) => {
      const r = await cli(['serve', ...argv], env);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toContain('Usage:');
      expect(r.err).not.toContain(PASSWORD);
      expect(r.err).not.toContain(SECRET);
      expect(r.out).toBe('');
    },
  );

  it('the usage documents the flag and the credential variables', async () => {
    const r = await cli(['serve', '--help']);
    expect(r.out).toContain('--ice-server URL');
    for (const name of [
      'ROOMKIT_ICE_SERVERS',
      'ROOMKIT_TURN_USERNAME',
      'ROOMKIT_TURN_CREDENTIAL',
      'ROOMKIT_TURN_SECRET',
      'ROOMKIT_TURN_TTL',
    ])
      expect(r.out).toContain(name);
  });
});

describe('TURN REST credentials (coturn use-auth-secret)', () => {
  it('username <expiry>:<user>, credential base64(HMAC-SHA1(secret, username)); a known vector', () => {
    // printf '1700003600:alice' | openssl dgst -sha1 -hmac north -binary | base64
    expect(turnRestCredentials('north', 'alice', 3600, 1_700_000_000_000)).toEqual({
      username: '1700003600:alice',
      credential: 'wjwSXO2ch1B6VaLTLMy2Avn5O9o=',
    });
    expect(turnRestCredentials('north', 'a:b', 60, 0).username).toBe('60:a_b');
  });

  it('only TURN entries without their own username get them', () => {
    const out = withTurnRestCredentials(
      [{ urls: STUN }, { urls: [TURN] }, { urls: TURNS, username: 'x', credential: 'y' }],
      'north',
      'bob',
      600,
      1_000_000,
    );
    expect(out).toEqual([
      { urls: STUN },
      { urls: [TURN], ...turnRestCredentials('north', 'bob', 600, 1_000_000) },
      { urls: TURNS, username: 'x', credential: 'y' },
    ]);
  });

  it('the log redaction also covers credential= (what a TURN library may print)', () => {
    expect(redactSecrets(`turn ${TURN} username=rk credential=${PASSWORD}`)).not.toContain(PASSWORD);
  });
});

const servers: RunningServer[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const s of servers.splice(0)) await s.close();
});

async function serve(webrtc: ServeWebRTCOptions, logger = memoryLogger()) {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    store: new MemoryStore(),
    aiProvider: new LocalAgentProvider(),
    voice: { stt: new MockSTTProvider(), tts: new MockTTSProvider(), label: 'mock' },
    realtime: { provider: new MockRealtimeProvider(), label: 'mock realtime' },
    webrtc,
    logger,
  });
  servers.push(server);
  return { server, logger };
}

async function iceFrom(server: RunningServer, path: string, token = server.token) {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return (
    (await res.json()) as {
      iceServers: { urls: string | string[]; username?: string; credential?: string }[];
    }
  ).iceServers;
}

describe('startServer({ webrtc }) hands its ICE servers to browsers', () => {
  it('static credentials: GET /rtc and /rtc-realtime answer them, only with a token; no log line carries them', async () => {
    const iceServers = [{ urls: STUN }, { urls: TURN, username: 'rk', credential: PASSWORD }];
    const { server, logger } = await serve({ iceServers });
    expect(await iceFrom(server, '/rtc')).toEqual(iceServers);
    expect(await iceFrom(server, '/rtc-realtime')).toEqual(iceServers);
    const anonymous = await fetch(`${server.url}/rtc`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain(PASSWORD);
    const started = logger.lines.find((l) => l.msg === 'roomkit serve listening');
    expect(started?.obj).toMatchObject({ iceServers: [STUN, TURN], turnCredentials: 'static' });
    expect(JSON.stringify(logger.lines)).not.toContain(PASSWORD);
  });

  it('a TURN secret: each user gets credentials minted for them that expire; the secret never leaves', async () => {
    const { server, logger } = await serve({
      iceServers: [{ urls: [STUN] }, { urls: [TURN, TURNS] }],
      turnSecret: SECRET,
      turnCredentialTtlSeconds: 600,
    });
    const alice = await server.issueToken({ user: 'alice', rooms: ['lobby'], expires: '1h' });
    const before = Math.floor(Date.now() / 1000);
    for (const [token, user] of [
      [server.token, 'admin'],
      [alice, 'alice'],
    ] as const) {
      for (const path of ['/rtc', '/rtc-realtime']) {
        const [stun, turn, ...rest] = await iceFrom(server, path, token);
        expect(rest).toEqual([]);
        expect(stun).toEqual({ urls: [STUN] });
        expect(turn!.urls).toEqual([TURN, TURNS]);
        const [expiry, who] = turn!.username!.split(':');
        expect(who).toBe(user);
        expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
        expect(Number(expiry)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 600);
        expect(turn!.credential).toBe(createHmac('sha1', SECRET).update(turn!.username!).digest('base64'));
      }
    }
    const logged = JSON.stringify(logger.lines);
    expect(logged).not.toContain(SECRET);
    expect(logger.lines.find((l) => l.msg === 'roomkit serve listening')?.obj).toMatchObject({
      turnCredentials: 'minted from the shared secret',
    });
  });

  it('refuses a configuration no browser could use, before listening', async () => {
    const base = {
      port: 0,
      store: new MemoryStore(),
      aiProvider: new LocalAgentProvider(),
      voice: false as const,
    };
    await expect(startServer({ ...base, webrtc: { iceServers: [{ urls: TURN }] } })).rejects.toThrow(
      /needs TURN credentials/,
    );
    await expect(startServer({ ...base, webrtc: { iceServers: [{ urls: 'http://x' }] } })).rejects.toThrow(
      /not a STUN\/TURN URL/,
    );
    await expect(
      startServer({ ...base, webrtc: { iceServers: [{ urls: STUN }], turnSecret: SECRET } }),
    ).rejects.toThrow(/no TURN server/);
  });
});

/** A werift caller in the lobby through the served `/rtc`, and the server's answer as it came. */
async function callLobby(server: RunningServer & { token: string }) {
  let answer = '';
  const client = await WeriftClient.connect({
    url: `${server.url}/rtc`,
    token: server.token,
    roomId: 'lobby',
    transformAnswer: (sdp) => {
      answer = sdp;
      return sdp;
    },
  });
  closers.push(() => client.close());
  return { client, answer };
}

describe('the server relays its own media through the TURN server it was given (coturn)', () => {
  it.each([
    ['static credentials', false],
    ['credentials minted from the shared secret', true],
  ])(
    '%s: relay-only answer, and the call comes up through coturn',
    async (_name, rest) => {
      const turn = await TurnServer.start('rk', PASSWORD, rest ? { authSecret: SECRET } : {});
      closers.push(() => turn.close());
      const { server } = await serve({
        iceServers: [rest ? { urls: turn.url } : { urls: turn.url, username: 'rk', credential: PASSWORD }],
        turnSecret: rest ? SECRET : undefined,
        iceTransportPolicy: 'relay',
      });
      const { client, answer } = await callLobby(server);
      // coturn's relay ports are 40000-49999; nothing but the relayed candidate is offered.
      expect(answer).toMatch(/ 127\.0\.0\.1 4\d{4} typ relay/);
      expect(answer).not.toMatch(/typ host/);
      const ready = await client.waitMessage((m) => m.type === 'ready', 15_000);
      expect(ready).toMatchObject({ roomId: 'lobby', participantId: 'admin' });
    },
    40_000,
  );
});

describe('coturn refuses credentials minted from another secret (the check above is real)', () => {
  it('no relayed candidate, so no call', async () => {
    const turn = await TurnServer.start('rk', PASSWORD, { authSecret: SECRET });
    closers.push(() => turn.close());
    const { server } = await serve({
      iceServers: [{ urls: turn.url }],
      turnSecret: 'not-the-shared-secret',
      iceTransportPolicy: 'relay',
    });
    // werift gives up on the refused allocation after its gathering timeout (about 12 s) and
    // answers with no candidate at all under the relay-only policy.
    const { answer } = await callLobby(server);
    expect(answer).toContain('m=audio');
    expect(answer).not.toMatch(/typ relay/);
  }, 40_000);
});

describe('roomkit serve (the real process) with --ice-server and ROOMKIT_TURN_SECRET', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rk-ice-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says which ICE servers it uses (not the secret) and the console gets minted credentials from /rtc', async () => {
    const child = startCli(
      ['serve', '--port', '0', '--db', join(dir, 'ice.db'), '--ice-server', `${STUN},${TURN}`],
      {
        ROOMKIT_TURN_SECRET: SECRET,
        ROOMKIT_LOG_LEVEL: 'debug',
        // Offline speech (the talk path exists), no vendor keys from the developer's shell.
        GRADIUM_API_KEY: '',
        OPENAI_API_KEY: '',
        ANTHROPIC_API_KEY: '',
        ROOMKIT_REALTIME: 'off',
      },
    );
    try {
      const [, consoleUrl] = await child.waitFor(/^Open the console: (\S+)/m, 30_000);
      await child.waitFor(/^WebRTC ICE servers: /m, 5_000);
      expect(child.stdout()).toContain(
        `WebRTC ICE servers: ${STUN} ${TURN} (TURN credentials: minted from the shared secret)`,
      );
      const url = new URL(consoleUrl!);
      const res = await fetch(`${url.origin}/rtc`, {
        headers: { authorization: `Bearer ${url.searchParams.get('token')}` },
      });
      const { iceServers } = (await res.json()) as {
        iceServers: { urls: string; username?: string; credential?: string }[];
      };
      expect(iceServers[0]).toEqual({ urls: STUN });
      expect(iceServers[1]!.urls).toBe(TURN);
      expect(iceServers[1]!.username).toMatch(/^\d{10}:admin$/);
      expect(iceServers[1]!.credential).toBe(
        createHmac('sha1', SECRET).update(iceServers[1]!.username!).digest('base64'),
      );
    } finally {
      child.process.kill('SIGTERM');
      await child.exited();
    }
    expect(child.stdout() + child.stderr()).not.toContain(SECRET);
  }, 60_000);
});
