import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import { Registration } from '../../../src/backends/sip/registration.js';
import { SipHeaders } from '../../../src/backends/sip/sip-headers.js';
import {
  parseSipMessage,
  type SipRequest,
  type SipResponse,
  serializeSipMessage,
} from '../../../src/backends/sip/sip-message.js';
import { eventually } from '../../conformance/backend.js';
import { memoryLogger } from './helpers.js';

/**
 * The REGISTER client against a registrar on a real UDP socket that answers each REGISTER
 * when the test says so: the races between a refresh in flight and close are timed exactly.
 */

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Held {
  expires: number;
  answer(): void;
}

async function registrar(): Promise<{ port: number; received: Held[] }> {
  const received: Held[] = [];
  const socket: Socket = createSocket('udp4');
  cleanup.push(() => new Promise<void>((r) => socket.close(() => r())));
  const seen = new Set<string>();
  socket.on('message', (buf, from) => {
    const parsed = parseSipMessage(buf);
    if (!parsed.ok || parsed.message.kind !== 'request') return;
    const req: SipRequest = parsed.message;
    const cseq = req.headers.get('CSeq') ?? '';
    if (seen.has(cseq)) return; // a retransmission of a request already held
    seen.add(cseq);
    const expires = Number(req.headers.get('Expires'));
    const headers = new SipHeaders();
    for (const name of ['Via', 'From', 'Call-ID', 'CSeq']) headers.add(name, req.headers.get(name) ?? '');
    headers.add('To', `${req.headers.get('To')};tag=reg`);
    if (expires > 0) headers.add('Contact', `${req.headers.get('Contact')};expires=${expires}`);
    const reply = serializeSipMessage({
      kind: 'response',
      status: 200,
      reason: 'OK',
      headers,
      body: Buffer.alloc(0),
    });
    received.push({ expires, answer: () => socket.send(reply, from.port, from.address) });
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, received };
}

function registeringBackend(port: number, logger = memoryLogger()): SIPVoiceBackend {
  return new SIPVoiceBackend({
    host: '127.0.0.1',
    port: 0,
    transports: ['udp'],
    logger,
    rtcpInterval: 0,
    registrar: { registrar: `sip:127.0.0.1:${port}`, username: 'desk', password: 'unused', expires: 3 },
  });
}

/** A backend registered with `reg` (its first REGISTER answered), once its refresh has come: held. */
async function refreshHeld(reg: { port: number; received: Held[] }, logger = memoryLogger()) {
  const b = registeringBackend(reg.port, logger);
  let closed = false;
  cleanup.push(() => (closed ? undefined : b.close()));
  const listening = b.listen();
  await eventually(() => expect(reg.received).toHaveLength(1));
  reg.received[0].answer();
  await listening;
  const registered = b.registrationState;
  // The refresh is due 1 s into the 3 s binding.
  await eventually(() => expect(reg.received).toHaveLength(2), 4000);
  const close = () =>
    b.close().then(() => {
      closed = true;
    });
  return { b, registered, close };
}

describe('SIP registration', () => {
  it('stays registered through a refresh, and close waits for a refresh in flight, then unregisters', async () => {
    const reg = await registrar();
    const { b, registered, close } = await refreshHeld(reg);
    expect(registered).toBe('registered');
    // The refresh is held unanswered: the binding still holds.
    expect(reg.received[1].expires).toBe(3);
    expect(b.registrationState).toBe('registered');
    const closing = close();
    await new Promise((r) => setTimeout(r, 100));
    // Close has not unregistered yet: the refresh's 200 would renew the binding after it.
    expect(reg.received).toHaveLength(2);
    reg.received[1].answer();
    await eventually(() => expect(reg.received).toHaveLength(3));
    expect(reg.received[2].expires).toBe(0);
    reg.received[2].answer();
    await closing;
    expect(b.registrationState).toBe('unregistered');
  });

  it('close does not wait on a registrar that stopped answering: each wait is bounded, and said', async () => {
    const reg = await registrar();
    const logger = memoryLogger();
    // The refresh, then the unregister, are never answered.
    const { b, close } = await refreshHeld(reg, logger);
    const started = performance.now();
    await close();
    const tookMs = performance.now() - started;
    expect(reg.received.map((r) => r.expires)).toEqual([3, 3, 0]);
    // 2 s for the refresh, 2 s for the unregister; a SIP transaction alone would take 32 s.
    expect(tookMs).toBeGreaterThan(3_500);
    expect(tookMs).toBeLessThan(8_000);
    expect(b.registrationState).toBe('unregistered');
    const warnings = logger.lines.filter((l) => l.level === 'warn' && /not closed cleanly/.test(l.msg ?? ''));
    expect(warnings.map((w) => (w.obj as { err: string }).err)).toEqual([
      'SIP registration refresh timed out after 2000 ms',
      'SIP unregister timed out after 2000 ms',
    ]);
  }, 20_000);

  it('an answer that comes after close gave up on it changes nothing (unit, a scripted user agent)', async () => {
    // The exchanges are answered by hand; the refresh timer is fired by hand.
    const exchanges: { req: SipRequest; answer(status: number): void }[] = [];
    const ua = {
      request: (req: SipRequest) =>
        new Promise<SipResponse>((resolve) =>
          exchanges.push({
            req,
            answer: (status) => {
              const headers = new SipHeaders();
              headers.add('Contact', `<sip:desk@127.0.0.1:5060>;expires=${req.headers.get('Expires')}`);
              resolve({ kind: 'response', status, reason: '', headers, body: Buffer.alloc(0) });
            },
          }),
        ),
      via: () => 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKtest',
      contact: () => '<sip:desk@127.0.0.1:5060>',
    };
    const timers: (() => void)[] = [];
    const clock = {
      now: () => performance.now(),
      setTimer: (fn: () => void) => timers.push(fn),
      clearTimer: () => {},
    };
    const logger = memoryLogger();
    const states: string[] = [];
    const registration = new Registration(
      {
        ua: ua as never,
        clock,
        logger: logger as never,
        contactUser: 'desk',
        onState: (s) => states.push(s),
      },
      { registrar: 'sip:127.0.0.1:5070', username: 'desk', password: 'unused', expires: 60 },
    );
    const started = registration.start();
    exchanges[0].answer(200);
    expect(await started).toBe('registered');
    timers.shift()!(); // the refresh is due
    expect(exchanges).toHaveLength(2);
    await registration.stop(); // gives up on the refresh, then on the unregister (2 s each)
    expect(exchanges.map((e) => e.req.headers.get('Expires'))).toEqual(['60', '60', '0']);
    expect(registration.state).toBe('unregistered');
    // The registrar answers at last (or the transaction times out): nothing moves.
    exchanges[1].answer(408);
    exchanges[2].answer(200);
    await new Promise((r) => setTimeout(r, 20));
    expect(registration.state).toBe('unregistered');
    expect(states.at(-1)).toBe('unregistered');
    expect(timers).toHaveLength(0);
    expect(logger.lines.filter((l) => /registration failed|SIP registered/.test(l.msg ?? ''))).toHaveLength(
      1,
    );
  }, 20_000);
});
