import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type SipCallEvent, SipCallError, SIPVoiceBackend } from '../../../src/backends/sip/index.js';
import type { AudioFrame, VoiceSession } from '../../../src/voice/types.js';
import { eventually } from '../../conformance/backend.js';
import { freeTcpPort, freeUdpPort, memoryLogger } from './helpers.js';
import { FIXTURES, runSipp } from './sipp.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function phone(scenario: string) {
  const port = await freeUdpPort();
  const mp = await freeUdpPort(true);
  const run = runSipp(
    [
      '-sf',
      join(FIXTURES, scenario),
      '-i',
      '127.0.0.1',
      '-p',
      String(port),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(mp),
      '-m',
      '1',
    ],
    30,
  );
  cleanup.push(() => run.kill());
  // SIPp needs a moment to bind before it can be called.
  await new Promise((r) => setTimeout(r, 300));
  return { port, done: run.done };
}

describe('SIPVoiceBackend placing calls (UAC), SIPp answering', () => {
  it('dials into a room, hears the callee, holds, resumes, sends an INFO digit and transfers', async () => {
    const b = new SIPVoiceBackend({
      host: '127.0.0.1',
      port: 0,
      logger: memoryLogger(),
      rtcpInterval: 0,
      transports: ['udp'],
    });
    cleanup.push(() => b.close());
    await b.listen();
    const { port, done } = await phone('uas-answer.xml');
    const events: SipCallEvent[] = [];
    const ready: VoiceSession[] = [];
    const frames: AudioFrame[] = [];
    b.onCallEvent((_s, e) => events.push(e));
    b.onSessionReady((s) => ready.push(s));
    b.onAudioReceived((_s, f) => frames.push(f));
    const session = await b.dial(`sip:bot@127.0.0.1:${port}`, {
      roomId: 'outbound',
      metadata: { campaign: 'x' },
    });
    expect(ready.map((s) => s.id)).toEqual([session.id]);
    expect(session.roomId).toBe('outbound');
    expect(session.participantId).toBe('bot');
    expect(session.metadata).toMatchObject({
      callee: 'bot',
      codec: 'PCMA',
      campaign: 'x',
      sip: { direction: 'outbound' },
    });
    expect(b.sampleRateFor(session)).toBe(8000);
    await eventually(() => expect(frames.length).toBeGreaterThan(10), 5000);
    await b.hold(session);
    expect(b.getCall(session)?.heldLocally).toBe(true);
    await b.resume(session);
    await b.sendDtmf(session, '5', { method: 'info' });
    const outcome = await b.transfer(session, 'sip:human@127.0.0.1');
    expect(outcome.status).toBe(200);
    const result = await done;
    expect(result.code, result.errors).toBe(0);
    expect(result.messages).toContain('X-Hold: a=sendonly');
    expect(result.messages).toContain('X-Resume: a=sendrecv');
    expect(result.messages).toContain('X-Digit: Signal=5');
    expect(result.messages).toContain('X-Refer-To: sip:human@127.0.0.1');
    expect(events.map((e) => e.type)).toEqual([
      'ringing',
      'answered',
      'held',
      'resumed',
      'transfer',
      'transfer',
      'ended',
    ]);
    expect(events.at(-1)).toMatchObject({ reason: 'transferred', by: 'local' });
  });

  it("dials over TCP (SIPp's built-in UAS) and hangs up with a BYE on the same connection", async () => {
    const b = new SIPVoiceBackend({ host: '127.0.0.1', port: 0, logger: memoryLogger(), rtcpInterval: 0 });
    cleanup.push(() => b.close());
    await b.listen();
    const port = await freeTcpPort();
    const mp = await freeUdpPort(true);
    const run = runSipp(
      [
        '-sn',
        'uas',
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-t',
        't1',
        '-mi',
        '127.0.0.1',
        '-mp',
        String(mp),
        '-m',
        '1',
      ],
      20,
    );
    cleanup.push(() => run.kill());
    await new Promise((r) => setTimeout(r, 300));
    const session = await b.dial(`sip:uas@127.0.0.1:${port};transport=tcp`, { roomId: 'tcp-room' });
    expect(b.getCall(session)?.protocol).toBe('TCP');
    expect(session.metadata.codec).toBe('PCMU');
    await b.disconnect(session);
    const result = await run.done;
    expect(result.code, result.errors).toBe(0);
  });

  it('rejects with a SipCallError naming the status when nobody is there', async () => {
    const b = new SIPVoiceBackend({ host: '127.0.0.1', port: 0, logger: memoryLogger(), timers: { t1: 50 } });
    cleanup.push(() => b.close());
    await b.listen();
    const dead = await freeUdpPort();
    const error = await b.dial(`sip:nobody@127.0.0.1:${dead}`, { roomId: 'r' }).catch((e) => e);
    expect(error).toBeInstanceOf(SipCallError);
    expect((error as SipCallError).status).toBe(408);
    expect(b.listSessions('r')).toEqual([]);
  });
});
