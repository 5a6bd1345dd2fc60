import { afterEach, describe, expect, it } from 'vitest';
import { SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import type { VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { memoryLogger } from './helpers.js';
import { type Kamailio, startKamailio } from './kamailio.js';
import { sippCaller } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function kamailio(): Promise<Kamailio> {
  const k = await startKamailio('s3cret');
  cleanup.push(() => k.stop());
  return k;
}

function registered(k: Kamailio): number {
  return (
    k
      .log()
      .match(
        /REGISTER accepted for sip:roomkit@127\.0\.0\.1 contact <sip:roomkit@127\.0\.0\.1:\d+> expires [1-9]/g,
      ) ?? []
  ).length;
}

describe('SIPVoiceBackend with kamailio as registrar and proxy', () => {
  it('registers with digest auth, refreshes before expiry, receives a call routed through the proxy, unregisters on close', async () => {
    const k = await kamailio();
    const b = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: memoryLogger(),
      rtcpInterval: 0,
      roomId: 'pbx',
      registrar: {
        registrar: `sip:127.0.0.1:${k.port}`,
        username: 'roomkit',
        password: 's3cret',
        expires: 3,
      },
    });
    let closed = false;
    cleanup.push(() => (closed ? undefined : b.close()));
    await b.listen();
    expect(b.registrationState).toBe('registered');
    expect(b.registration?.grantedS).toBe(3);
    expect(k.log()).toContain('REGISTER challenge for sip:roomkit@127.0.0.1');
    // Refreshed before the 3 s binding lapses.
    await eventually(() => expect(registered(k), k.log().slice(-2000)).toBeGreaterThanOrEqual(2), 4000);
    // The refresh answered the challenge it already had: no second 401 round trip.
    expect(k.log().match(/REGISTER challenge/g)).toHaveLength(1);
    const ready: VoiceSession[] = [];
    const ended: VoiceSession[] = [];
    b.onSessionReady((s) => ready.push(s));
    b.onClientDisconnected((s) => ended.push(s));
    const call = sippCaller('uac-call.xml', k.port, cleanup, { service: 'roomkit' });
    const result = await call;
    expect(result.code, result.errors || k.log().slice(-3000)).toBe(0);
    expect(k.log()).toMatch(/relaying INVITE to sip:roomkit@127\.0\.0\.1:\d+/);
    expect(ready).toHaveLength(1);
    expect(ready[0].roomId).toBe('pbx');
    expect(ready[0].metadata.caller).toBe('+15559870000');
    // The BYE came back through the proxy (Record-Route), and ended the session.
    await eventually(() => expect(ended.map((s) => s.id)).toEqual([ready[0].id]));
    expect(b.getCall(ready[0])).toBeUndefined();
    await b.close();
    closed = true;
    await eventually(() =>
      expect(k.log()).toMatch(/REGISTER accepted for sip:roomkit@127\.0\.0\.1 contact .* expires 0/),
    );
  });

  it('reports a failed registration when the password is wrong', async () => {
    const k = await kamailio();
    const b = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      transports: ['udp'],
      logger: memoryLogger(),
      registrar: {
        registrar: `sip:127.0.0.1:${k.port}`,
        username: 'roomkit',
        password: 'wrong',
        expires: 60,
      },
    });
    cleanup.push(() => b.close());
    await b.listen();
    expect(b.registrationState).toBe('failed');
  });
});
